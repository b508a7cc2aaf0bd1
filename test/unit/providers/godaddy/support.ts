import type { DomainEntry } from '../../../../src/config/types.js'
import type { Ctx } from '../../../../src/context.js'
import type { Family, ProviderDef, RecordRef } from '../../../../src/providers/types.js'

/**
 * A DomainEntry built by hand the way the config stage builds one (the provider's keys go through
 * `def.parse`, which registers secrets with `ctx`'s redactor). `settings` may adjust the parsed
 * settings (tests lower Porkbun's pacing). Shared by the API provider tests; not a test file.
 */
export function entryFor<S>(
  def: ProviderDef<S>,
  ctx: Ctx,
  keys: Record<string, unknown>,
  opts: { families?: Family[]; create?: boolean; ttl?: number; index?: number; settings?: (s: S) => S } = {},
): DomainEntry {
  const index = opts.index ?? 0
  const path = `domains[${index}]`
  const parsed = def.parse(keys, path, { secret: (v) => ctx.redactor.add(v), warn: () => {} })
  const families = opts.families ?? [4]
  const records: RecordRef[] = []
  for (const name of parsed.names) {
    for (const f of families) records.push({ fqdn: name, type: f === 6 ? 'AAAA' : 'A', ...(parsed.zone ? { zone: parsed.zone } : {}) })
  }
  return {
    index,
    path,
    type: def.name,
    def: def as ProviderDef,
    settings: opts.settings ? opts.settings(parsed.settings) : parsed.settings,
    families,
    create: opts.create ?? false,
    ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
    records,
    account: parsed.account,
  }
}

/** `def.parse` of `keys` at `domains[0]`, with the secrets it registered and the warnings it gave. */
export function parseCollect<S>(def: ProviderDef<S>, keys: Record<string, unknown>) {
  const secrets: string[] = []
  const warnings: string[] = []
  const r = def.parse(keys, 'domains[0]', { secret: (s) => secrets.push(s), warn: (w) => warnings.push(w) })
  return { ...r, secrets, warnings }
}

export { configErrorOf } from '../../../helpers/errors.js'
