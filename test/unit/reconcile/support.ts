import type { DomainEntry } from '../../../src/config/types.js'
import type { Ctx } from '../../../src/context.js'
import { DEFAULT_TIMEOUTS } from '../../../src/context.js'
import type { Addresses, FamilyResult } from '../../../src/detect/types.js'
import type { DnsClient } from '../../../src/dns/types.js'
import { EdgeError } from '../../../src/errors.js'
import { createHttpClient } from '../../../src/net/http.js'
import { cloudflare } from '../../../src/providers/cloudflare/index.js'
import type { Family, ProviderDef, RecordRef } from '../../../src/providers/types.js'
import { memoryLogger, type LogLevel } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'

/** Shared builders for the reconcile and Cloudflare tests (not a test file itself). */

/** DNS must not be used by these stages: any query fails the test loudly. */
export const noDns: DnsClient = {
  query: () => Promise.reject(new Error('DNS must not be used here')),
}

/** A Ctx with the real HTTP client, a memory logger (info level unless asked) and a fresh redactor. */
export function makeCtx(opts: { httpMs?: number; level?: LogLevel } = {}): Ctx & { lines: string[]; abort: AbortController } {
  const redactor = new Redactor()
  const log = memoryLogger(redactor, opts.level ?? 'info')
  const abort = new AbortController()
  const ctx: Ctx = {
    signal: abort.signal,
    http: createHttpClient({ timeoutMs: opts.httpMs ?? 5_000 }),
    dns: noDns,
    log,
    redactor,
    now: () => Date.UTC(2024, 5, 1),
    timeouts: { ...DEFAULT_TIMEOUTS, httpMs: opts.httpMs ?? 5_000 },
  }
  return Object.assign(ctx, { lines: log.lines, abort })
}

/**
 * A Cloudflare DomainEntry built by hand, the way the config stage builds one: the provider's
 * keys go through `cloudflare.parse` (which registers secrets with `ctx`'s redactor).
 */
export function cloudflareEntry(
  ctx: Ctx,
  keys: Record<string, unknown>,
  opts: { families?: Family[]; create?: boolean; ttl?: number; index?: number } = {},
): DomainEntry {
  const index = opts.index ?? 0
  const path = `domains[${index}]`
  const warnings: string[] = []
  const parsed = cloudflare.parse(keys, path, { secret: (v) => ctx.redactor.add(v), warn: (m) => warnings.push(m) })
  const families = opts.families ?? [4]
  const records: RecordRef[] = []
  for (const name of parsed.names) {
    for (const f of families) records.push({ fqdn: name, type: f === 6 ? 'AAAA' : 'A', ...(parsed.zone ? { zone: parsed.zone } : {}) })
  }
  return {
    index,
    path,
    type: 'cloudflare',
    def: cloudflare as ProviderDef,
    settings: parsed.settings,
    families,
    create: opts.create ?? false,
    ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}),
    records,
    account: parsed.account,
  }
}

/** Detection results: an address per family, or (with `null`) a failed detection with its reason. */
export function addresses(a: { 4?: string | null; 6?: string | null }): Addresses {
  const out: Addresses = {}
  for (const f of [4, 6] as const) {
    const v = a[f]
    if (v === undefined) continue
    const r: FamilyResult =
      v === null
        ? { family: f, attempts: [{ source: 'http:ipify', error: new EdgeError('detect', `HTTP 503 from api${f === 6 ? '6' : ''}.ipify.org`) }] }
        : { family: f, address: v, source: 'test', attempts: [{ source: 'test', address: v }] }
    out[f] = r
  }
  return out
}
