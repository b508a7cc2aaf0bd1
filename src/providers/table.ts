import { PRESETS } from './dyndns2/presets.js'
import type { ProviderDef } from './types.js'

/**
 * The provider table, made from the registry alone (one source of truth for `edge-ddns providers`
 * and the README). One row per service: each provider type, and each dyndns2 preset as its own
 * row (`dyndns2 preset=strato`), since a preset is a service a user picks by name. Columns: type,
 * keys (required ones in bold in Markdown, `*` in text), how the current value is read back,
 * IPv6, and whether both families go in one request.
 */
export interface ProviderRow {
  /** `cloudflare`, or `dyndns2 preset=strato` for a preset. */
  type: string
  summary: string
  keys: string[]
  required: string[]
  readBack: string
  ipv6: boolean
  oneRequest: boolean
  docs: string
}

/** The rows of the dyndns2 presets, from the `dyndns2` definition's keys and each preset row. */
function presetRows(def: ProviderDef): ProviderRow[] {
  return PRESETS.map((p) => {
    const keys = [
      'preset',
      ...def.keys.map((k) => k.key).filter((k) => k !== 'preset' && (k !== 'username' || p.auth !== 'password-param') && (k !== 'server6' || p.ipv6 === 'host')),
    ]
    const userRequired = p.auth !== 'password-param' && !p.userIsHost
    return {
      type: `dyndns2 preset=${p.name}`,
      summary: p.title,
      keys,
      required: def.keys.filter((k) => k.required).map((k) => k.key).concat('preset', userRequired ? ['username'] : []),
      readBack: 'DNS',
      ipv6: p.ipv6 !== 'none',
      oneRequest: p.ipv6 === 'comma' || p.ipv6 === 'param',
      docs: p.docs,
    }
  })
}

/** One row per provider type, sorted by type name, each type followed by its presets. */
export function providerRows(providers: Readonly<Record<string, ProviderDef>>): ProviderRow[] {
  return Object.entries(providers)
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([type, def]) => {
      const row: ProviderRow = {
        type,
        summary: def.summary,
        keys: def.keys.map((k) => k.key),
        required: def.keys.filter((k) => k.required).map((k) => k.key),
        readBack: def.capabilities.read === 'api' ? 'API' : 'DNS',
        ipv6: def.capabilities.ipv6,
        oneRequest: def.capabilities.dualStackOneRequest,
        docs: def.docs,
      }
      return type === 'dyndns2' ? [row, ...presetRows(def)] : [row]
    })
}

/** The table in GitHub Markdown, for the README. */
export function providerMarkdown(providers: Readonly<Record<string, ProviderDef>>): string {
  const yes = (b: boolean): string => (b ? 'yes' : 'no')
  const lines = ['| type | keys (**required**) | reads back by | IPv6 | v4+v6 in one request |', '|---|---|---|---|---|']
  for (const r of providerRows(providers)) {
    const keys = r.keys.map((k) => (r.required.includes(k) ? `**${k}**` : k)).join(', ')
    lines.push(`| [\`${r.type}\`](${r.docs}) | ${keys} | ${r.readBack} | ${yes(r.ipv6)} | ${yes(r.oneRequest)} |`)
  }
  return `${lines.join('\n')}\n`
}

/**
 * The table as plain text, for `edge-ddns providers` (required keys marked with `*`), ending with
 * the count of services: provider types plus dyndns2 presets.
 */
export function providerText(providers: Readonly<Record<string, ProviderDef>>): string {
  const rows = providerRows(providers)
  const w = Math.max(4, ...rows.map((r) => r.type.length))
  const out = [`${'type'.padEnd(w)}  read  ipv6  1-req  keys (* required)`]
  for (const r of rows) {
    const keys = r.keys.map((k) => (r.required.includes(k) ? `${k}*` : k)).join(', ')
    out.push(`${r.type.padEnd(w)}  ${r.readBack.padEnd(4)}  ${(r.ipv6 ? 'yes' : 'no').padEnd(4)}  ${(r.oneRequest ? 'yes' : 'no').padEnd(5)}  ${keys}`)
    out.push(`${' '.repeat(w)}  ${r.summary}`)
  }
  const types = Object.keys(providers).length
  out.push(`${rows.length} services: ${types} provider types and ${rows.length - types} dyndns2 presets`)
  return `${out.join('\n')}\n`
}

/**
 * `edge-ddns providers TYPE`: one provider type (or dyndns2 preset, by its name) explained: its
 * summary, API documentation page, how it reads records back, IPv6, the TTLs it takes (seconds),
 * and each key with what it is. Undefined when `name` is neither a type nor a preset.
 */
export function providerDetail(providers: Readonly<Record<string, ProviderDef>>, name: string): string | undefined {
  // `preset=he` (or `dyndns2 preset=he`, as the list prints it) names the preset even where a
  // type has the same name.
  const asPreset = /^(?:dyndns2\s+)?preset=(.+)$/.exec(name.trim().toLowerCase())?.[1]
  const key = asPreset ?? name.toLowerCase()
  // Own properties only: `__proto__` or `constructor` is not a provider type.
  const def = asPreset === undefined && Object.prototype.hasOwnProperty.call(providers, key) ? providers[key] : undefined
  const preset = def ? undefined : PRESETS.find((p) => p.name === key)
  const base = def ?? (preset ? providers.dyndns2 : undefined)
  if (!base) return undefined
  const row = preset ? presetRows(base).find((r) => r.type === `dyndns2 preset=${preset.name}`)! : providerRows({ [key]: base })[0]!
  const yes = (b: boolean): string => (b ? 'yes' : 'no')
  const out = [
    `${row.type}: ${row.summary}`,
    `API documentation: ${row.docs}`,
    `reads records back by: ${row.readBack}; IPv6: ${yes(row.ipv6)}; v4 and v6 in one request: ${yes(row.oneRequest)}`,
  ]
  if (base.ttl) out.push(`ttl: ${base.ttl.min} to ${base.ttl.max} seconds${base.ttl.auto !== undefined ? ` (${base.ttl.auto} = automatic)` : ''}`)
  out.push('', `keys of a [[domains]] entry (* = required), besides type, ip_types, create${base.ttl ? ' and ttl' : ''}:`)
  const docs = new Map(base.keys.map((k) => [k.key, k]))
  const w = Math.max(...row.keys.map((k) => k.length)) + 1
  for (const k of row.keys) {
    const doc = k === 'preset' && preset ? `"${preset.name}"` : (docs.get(k)?.doc ?? '')
    const mark = row.required.includes(k) ? '*' : ' '
    out.push(`  ${`${k}${mark}`.padEnd(w)}  ${doc}${docs.get(k)?.secret ? ' (secret)' : ''}`)
  }
  return `${out.join('\n')}\n`
}
