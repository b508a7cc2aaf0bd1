import { ConfigError } from '../../errors.js'
import { keyPath, optString, typeName, type Table } from '../../config/fields.js'
import { parseServer, type ServerAddress } from '../../dns/names.js'
import { validName } from '../../dns/names.js'

/**
 * Names and common keys of the push-only providers (dyndns2 family, Namecheap, DuckDNS, deSEC).
 *
 * Record names keep dness's meaning for dness's types (he, dynu, namecheap): a name in `records` is
 * relative to the entry's domain, `@` (or `""`) is the apex and `*` the wildcard. As the core issue
 * asks of every provider, a name that ends in the domain, or that ends with a dot, is taken as a
 * full name: dness would have asked for `sub.example.com.example.com`, which no one means.
 */

export type { ServerAddress }

/**
 * A domain (zone) as the push providers keep it: lower case, no trailing dot, at least two labels.
 * @throws ConfigError at `path` when it is not a domain name.
 */
export function normalizeDomain(raw: string, path: string): string {
  const d = raw.trim().replace(/\.$/, '').toLowerCase()
  if (!validName(d, false) || !d.includes('.')) throw new ConfigError(path, 'is not a domain name such as "example.com"')
  return d
}

/**
 * The full name of a dness-style record of `domain`: `@`/`""` → the domain, `*` → `*.domain`,
 * `sub` → `sub.domain`; a name ending in the domain or in a dot is already full.
 * @throws ConfigError at `path` for a malformed name, a wildcard where `allowWildcard` is false,
 *   or a full name outside the domain.
 */
export function recordFqdn(raw: string, domain: string, path: string, allowWildcard: boolean): string {
  let name = raw.trim().toLowerCase()
  if (name === '' || name === '@') return domain
  const absolute = name.endsWith('.')
  if (absolute) name = name.slice(0, -1)
  let fqdn: string
  if (name === domain || name.endsWith(`.${domain}`)) fqdn = name
  else if (absolute) throw new ConfigError(path, `"${raw.trim()}" is not inside ${domain}`)
  else fqdn = `${name}.${domain}`
  if (!validName(fqdn, allowWildcard)) {
    const why = !allowWildcard && fqdn.startsWith('*') ? ' (this provider takes no wildcard)' : ''
    throw new ConfigError(path, `"${raw.trim()}" is not a valid record name${why}`)
  }
  return fqdn
}

/** The name of `fqdn` relative to `domain`: `@` for the apex, `sub` for `sub.domain`. */
export function relativeName(fqdn: string, domain: string): string {
  if (fqdn === domain) return '@'
  return fqdn.endsWith(`.${domain}`) ? fqdn.slice(0, -(domain.length + 1)) : fqdn
}

/**
 * A list of record names relative to `domain` (dness `records`), full names out, in order, without
 * duplicates (a duplicate is a warning, not an error).
 * @throws ConfigError naming `path.key[i]`.
 */
export function parseRecords(t: Table, key: string, domain: string, path: string, warn: (m: string) => void, allowWildcard: boolean): string[] {
  const v = t[key]
  const at = keyPath(path, key)
  if (v === undefined) throw new ConfigError(at, 'is required: list the record names, "@" for the domain itself')
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list)) throw new ConfigError(at, `expected an array of strings, got ${typeName(v)}`)
  if (list.length === 0) throw new ConfigError(at, 'must list at least one record name ("@" for the domain itself)')
  const out: string[] = []
  const seen = new Set<string>()
  list.forEach((x, i) => {
    if (typeof x !== 'string') throw new ConfigError(`${at}[${i}]`, `expected a string, got ${typeName(x)}`)
    const fqdn = recordFqdn(x, domain, `${at}[${i}]`, allowWildcard)
    if (seen.has(fqdn)) warn(`${at}[${i}]: ${fqdn} is listed twice; it is handled once`)
    else {
      seen.add(fqdn)
      out.push(fqdn)
    }
  })
  return out
}

/**
 * Full host names (`home.example.com`): one string or a list, lower case, trailing dot dropped,
 * without duplicates.
 * @throws ConfigError naming `path.key` or `path.key[i]`.
 */
export function parseHostnames(t: Table, key: string, path: string, warn: (m: string) => void, required = true): string[] {
  const v = t[key]
  const at = keyPath(path, key)
  if (v === undefined) {
    if (required) throw new ConfigError(at, 'is required: the full host name to update, e.g. "home.example.com"')
    return []
  }
  const list = typeof v === 'string' ? [v] : v
  if (!Array.isArray(list)) throw new ConfigError(at, `expected a string or an array of strings, got ${typeName(v)}`)
  if (list.length === 0 && required) throw new ConfigError(at, 'must name at least one host')
  const out: string[] = []
  const seen = new Set<string>()
  list.forEach((x, i) => {
    const p = Array.isArray(v) ? `${at}[${i}]` : at
    if (typeof x !== 'string') throw new ConfigError(p, `expected a string, got ${typeName(x)}`)
    const name = x.trim().toLowerCase().replace(/\.$/, '')
    if (!validName(name, false) || !name.includes('.')) throw new ConfigError(p, `"${x.trim()}" is not a full host name such as "home.example.com"`)
    if (seen.has(name)) warn(`${p}: ${name} is listed twice; it is handled once`)
    else {
      seen.add(name)
      out.push(name)
    }
  })
  return out
}

/**
 * The optional `resolver` key: a DNS server that answers the read-back instead of the zone's
 * authoritative servers (`"127.0.0.1:5353"`, `"[2001:db8::53]:53"`, `"ns1.example.net"`).
 * @throws ConfigError naming the key.
 */
export function parseResolver(t: Table, path: string): ServerAddress | undefined {
  const s = optString(t, 'resolver', path)
  return s === undefined ? undefined : parseServer(s, keyPath(path, 'resolver'))
}

/**
 * A secret string key, required. A value with leading or trailing whitespace is trimmed, with a
 * warning that names the key (never the value): a copy-pasted token with a space fails every
 * update otherwise (BC-07).
 * @throws ConfigError naming the key when it is missing, empty or not a string.
 */
export function reqSecret(t: Table, key: string, path: string, secret: (v: string) => void, warn: (m: string) => void): string {
  const v = t[key]
  const at = keyPath(path, key)
  if (v === undefined) throw new ConfigError(at, 'is required')
  if (typeof v !== 'string') throw new ConfigError(at, `expected a string, got ${typeName(v)}`)
  secret(v)
  const s = v.trim()
  if (s === '') throw new ConfigError(at, 'is empty')
  if (s !== v) {
    secret(s)
    warn(`${at}: leading or trailing whitespace removed`)
  }
  if (/[\r\n\0]/.test(s)) throw new ConfigError(at, 'contains a line break or NUL character')
  return s
}
