import { ConfigError } from '../../errors.js'
import { keyPath, optString, reqString, typeName, type Table } from '../../config/fields.js'
import { parseServer, type ServerAddress } from '../../dns/names.js'
import { validName } from '../../dns/names.js'
import type { KeyDoc } from '../types.js'

/**
 * Names and common keys of the providers: domains, record names, host names, the read-back
 * resolver and secrets.
 *
 * Record names keep dness's meaning for dness's types (he, dynu, namecheap, godaddy, porkbun): a
 * name in `records` is relative to the entry's domain, `@` (or `""`) is the apex and `*` the
 * wildcard. As the core issue asks of every provider, a name that ends in the domain, or that ends with a dot, is taken as a
 * full name: dness would have asked for `sub.example.com.example.com`, which no one means.
 */

export type { ServerAddress }

/**
 * A domain (zone) as the providers keep it: lower case, no trailing dot, at least two labels.
 * @throws ConfigError at `path` when it is not a domain name.
 */
export function normalizeDomain(raw: string, path: string): string {
  const d = raw.trim().replace(/\.$/, '').toLowerCase()
  if (!validName(d, false) || !d.includes('.')) throw new ConfigError(path, 'is not a domain name such as "example.com"')
  return d
}

/**
 * The full name of a configured record of `domain`: `@`/`""` → the domain, `*` → `*.domain`,
 * `sub` → `sub.domain`; a name ending in the domain or in a dot is already full. `dk` is the
 * entry's key that holds the domain (`domain`, `zone`), for the message.
 * @throws ConfigError at `path` for a malformed name or a full name outside the domain.
 */
export function recordFqdn(raw: string, domain: string, path: string, dk = 'domain'): string {
  let name = raw.trim().toLowerCase()
  if (name === '' || name === '@') return domain
  const absolute = name.endsWith('.')
  if (absolute) name = name.slice(0, -1)
  let fqdn: string
  if (name === domain || name.endsWith(`.${domain}`)) fqdn = name
  else if (absolute) throw new ConfigError(path, `"${raw.trim()}" is not inside ${dk} ${domain}; write a name relative to it ("home", "@") or a full name ending in .${domain}`)
  else fqdn = `${name}.${domain}`
  if (!validName(fqdn, true)) throw new ConfigError(path, `"${raw.trim()}" is not a valid record name (letters, digits, "-", "_", "." and a leading "*" only)`)
  return fqdn
}

/** The name of `fqdn` relative to `domain`: `@` for the apex, `sub` for `sub.domain`. */
export function relativeName(fqdn: string, domain: string): string {
  if (fqdn === domain) return '@'
  return fqdn.endsWith(`.${domain}`) ? fqdn.slice(0, -(domain.length + 1)) : fqdn
}

/** A name compared the way DNS compares names: case-insensitive, trailing dot ignored. */
export function nameKey(name: string): string {
  return name.trim().replace(/\.$/, '').toLowerCase()
}

/**
 * The domain at key `dk` (`domain`, `zone`, `hostname`) and the `records` list of an entry: names
 * relative to the domain (dness's meaning), full names out, in order, without duplicates (a
 * duplicate is a warning, not an error). `fqdnOf` and `norm` replace the name rules (Cloudflare's).
 * @throws ConfigError naming `path.dk`, `path.records` or `path.records[i]`.
 */
export function parseZone(
  t: Table,
  path: string,
  warn: (m: string) => void,
  dk = 'domain',
  fqdnOf: (raw: string, domain: string, path: string, dk: string) => string = recordFqdn,
  norm: (raw: string, path: string) => string = normalizeDomain,
): { domain: string; names: string[] } {
  const domain = norm(reqString(t, dk, path), keyPath(path, dk))
  const names = nameList(t, 'records', path, warn, (x, p) => fqdnOf(x, domain, p, dk), `${t.records === undefined ? 'is required: list' : 'must list'} at least one record name, relative to ${dk} ("@" for the apex, "home", "*")`)
  return { domain, names }
}

/**
 * The names of list key `key` (one string, split at `split` when given, or a list of strings),
 * each made by `one` (which throws the ConfigError of a bad one, naming `p`), in order, each once:
 * a repeat is a warning, not an error.
 * @throws ConfigError naming `path.key` (`none`: missing or empty) or `path.key[i]`.
 */
export function nameList(t: Table, key: string, path: string, warn: (m: string) => void, one: (x: string, p: string) => string, none: string, split?: string): string[] {
  const v = t[key]
  const at = keyPath(path, key)
  const list = typeof v === 'string' && split ? v.split(split) : typeof v === 'string' ? [v] : (v ?? [])
  if (!Array.isArray(list)) throw new ConfigError(at, `expected a string or an array of strings, got ${typeName(v)}`)
  if (list.length === 0) throw new ConfigError(at, none)
  const seen = new Set<string>()
  list.forEach((x, i) => {
    const p = Array.isArray(v) ? `${at}[${i}]` : at
    if (typeof x !== 'string') throw new ConfigError(p, `expected a string, got ${typeName(x)}`)
    const name = one(x, p)
    if (seen.has(name)) warn(`${p}: ${name} is listed twice; it is handled once`)
    seen.add(name)
  })
  return [...seen]
}

/**
 * Full host names (`home.example.com`): one string or a list, lower case, trailing dot dropped,
 * without duplicates.
 * @throws ConfigError naming `path.key` or `path.key[i]`.
 */
export function parseHostnames(t: Table, key: string, path: string, warn: (m: string) => void): string[] {
  return nameList(
    t,
    key,
    path,
    warn,
    (x, p) => {
      const name = x.trim().toLowerCase().replace(/\.$/, '')
      if (!validName(name, false) || !name.includes('.')) throw new ConfigError(p, `"${x.trim()}" is not a full host name such as "home.example.com"`)
      return name
    },
    t[key] === undefined ? 'is required: the full host name to update, e.g. "home.example.com"' : 'must name at least one host',
  )
}

/** The KeyDoc of `base_url` for an update server whose `path` is appended. */
export const baseUrlKey = (base: string, path: string): KeyDoc => ({ key: 'base_url', required: false, doc: `update server (default ${base}); ${path} is appended` })

/** The KeyDoc of `resolver`. */
export const RESOLVER_KEY: KeyDoc = { key: 'resolver', required: false, doc: 'DNS server for the read-back ("127.0.0.1:5353"); default: the zone\'s authoritative servers' }

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
