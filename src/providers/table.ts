import type { ProviderDef } from './types.js'

/**
 * The provider table, made from the registry alone (one source of truth for `edge-ddns providers`
 * and the README). Columns: type, keys (required ones in bold in Markdown, `*` in text), how the
 * current value is read back, IPv6, and whether both families go in one request.
 */
export interface ProviderRow {
  type: string
  summary: string
  keys: string[]
  required: string[]
  readBack: string
  ipv6: boolean
  oneRequest: boolean
  docs: string
}

/** One row per provider, sorted by type name. */
export function providerRows(providers: Readonly<Record<string, ProviderDef>>): ProviderRow[] {
  return Object.entries(providers)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, def]) => ({
      type,
      summary: def.summary,
      keys: def.keys.map((k) => k.key),
      required: def.keys.filter((k) => k.required).map((k) => k.key),
      readBack: def.capabilities.read === 'api' ? 'API' : 'DNS',
      ipv6: def.capabilities.ipv6,
      oneRequest: def.capabilities.dualStackOneRequest,
      docs: def.docs,
    }))
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

/** The table as plain text, for `edge-ddns providers` (required keys marked with `*`). */
export function providerText(providers: Readonly<Record<string, ProviderDef>>): string {
  const rows = providerRows(providers)
  const w = Math.max(4, ...rows.map((r) => r.type.length))
  const out = [`${'type'.padEnd(w)}  read  ipv6  1-req  keys (* required)`]
  for (const r of rows) {
    const keys = r.keys.map((k) => (r.required.includes(k) ? `${k}*` : k)).join(', ')
    out.push(`${r.type.padEnd(w)}  ${r.readBack.padEnd(4)}  ${(r.ipv6 ? 'yes' : 'no').padEnd(4)}  ${(r.oneRequest ? 'yes' : 'no').padEnd(5)}  ${keys}`)
    out.push(`${' '.repeat(w)}  ${r.summary}`)
  }
  out.push(`${rows.length} provider types`)
  return `${out.join('\n')}\n`
}
