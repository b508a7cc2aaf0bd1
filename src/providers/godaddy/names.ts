import { ConfigError } from '../../errors.js'
import { validName } from '../../dns/names.js'

/**
 * Names of zone-relative record APIs: GoDaddy's and Porkbun's (both dness types, both addressed
 * by a domain and a name relative to it). Porkbun's provider imports these too.
 *
 * dness reads `records` of these types as names relative to `domain` (`a` is `a.example.com`,
 * `@` the apex). The core issue adds: `""` and the domain itself are the apex too (BC-22), and a
 * name ending in the domain, or with a trailing dot, is a full name. So `a`, `a.b` and `*` are
 * relative, `home.example.com` is full, and `home.other.org.` (full, but outside the domain) is a
 * config error. dness would have sent `home.example.com` as `home.example.com.example.com`;
 * nobody means that.
 */

/**
 * The domain of an entry as edge-ddns keeps it: lower case, no trailing dot, at least two labels
 * (the registered domain, e.g. `example.com`).
 * @throws ConfigError at `path` when it is not such a name.
 */
export function normalizeDomain(raw: string, path: string): string {
  const d = raw.trim().replace(/\.$/, '').toLowerCase()
  if (!validName(d, false) || !d.includes('.')) throw new ConfigError(path, 'is not a domain name such as "example.com"')
  return d
}

/**
 * The fully qualified name (lower case, no trailing dot) of a configured record of `domain`:
 * `@`, `""` and the domain itself → the domain; `name.` or a name ending in `.domain` → itself;
 * anything else → `name.domain`.
 * @throws ConfigError at `path` for a malformed name or a full name outside the domain.
 */
export function recordFqdn(raw: string, domain: string, path: string): string {
  let name = raw.trim().toLowerCase()
  if (name === '' || name === '@') return domain
  const absolute = name.endsWith('.')
  if (absolute) name = name.slice(0, -1)
  let fqdn: string
  if (name === domain || name.endsWith(`.${domain}`)) fqdn = name
  else if (!absolute) fqdn = `${name}.${domain}`
  else throw new ConfigError(path, `"${raw.trim()}" is not inside domain ${domain}; write a name relative to it ("home", "@") or a full name ending in .${domain}`)
  if (!validName(fqdn, true)) throw new ConfigError(path, `"${raw.trim()}" is not a valid record name (letters, digits, "-", "_", "." and a leading "*" only)`)
  return fqdn
}

/**
 * The name of `fqdn` relative to `domain`: `''` for the apex, `home` for `home.example.com`;
 * undefined when `fqdn` is not inside `domain`. Compared case-insensitively, trailing dot ignored.
 */
export function relativeName(fqdn: string, domain: string): string | undefined {
  const n = nameKey(fqdn)
  const d = nameKey(domain)
  if (n === d) return ''
  return n.endsWith(`.${d}`) ? n.slice(0, -(d.length + 1)) : undefined
}

/** A name compared the way DNS compares names: case-insensitive, trailing dot ignored. */
export function nameKey(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase()
}

/**
 * The `records` list of an entry as full names, in order, each once (a repeat is a warning).
 * @throws ConfigError naming `records` when the list is missing or empty, or `records[i]` for a bad name.
 */
export function recordList(raw: string[] | undefined, domain: string, at: string, warn: (m: string) => void, apex: string): string[] {
  if (raw === undefined || raw.length === 0) {
    throw new ConfigError(at, `must list at least one record name, relative to domain (${apex} for the apex, "home", "*")`)
  }
  const records: string[] = []
  const seen = new Set<string>()
  raw.forEach((name, i) => {
    const fqdn = recordFqdn(name, domain, `${at}[${i}]`)
    if (seen.has(fqdn)) warn(`${at}[${i}]: ${fqdn} is listed twice; it is handled once`)
    else {
      seen.add(fqdn)
      records.push(fqdn)
    }
  })
  return records
}
