import { ConfigError } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { fingerprint, HEADER_SAFE } from '../credentials.js'
import { normalizeDomain, parseRecords, reqSecret } from '../push/names.js'
import type { KeyDoc, ParseCtx, ParsedEntry } from '../types.js'

/**
 * The keys every JSON API entry shares: `zone` (the zone at the service), `records` (names in it:
 * `@` or `""` the apex, `home`, `*`, or full names ending in the zone, BC-22) and `base_url` (the
 * API endpoint; tests point it at 127.0.0.1).
 */

/** The shared part of a JSON API provider's settings. */
export interface ZoneSettings {
  /** Lower case, no trailing dot (`example.com`). */
  zone: string
  /** Full record names, lower case, no trailing dot. */
  names: string[]
  /** API base URL without a trailing slash. */
  base: string
}

/** KeyDocs of `zone` and `records`, and of `base_url` with its default. */
export function zoneKeys(base?: string): KeyDoc[] {
  return [
    { key: 'zone', required: true, doc: 'the zone, e.g. example.com' },
    { key: 'records', required: true, doc: 'names in the zone: @ (apex), home, *' },
    { key: 'base_url', required: !base, doc: base ? `API base URL (default ${base})` : 'API base URL' },
  ]
}

/**
 * Reads `zone`, `records` and `base_url` (default `base`), rejecting any key the provider's
 * `keys` (its KeyDocs, `zoneKeys` among them) do not name.
 * @throws ConfigError naming the key.
 */
export function zoneEntry(t: Table, path: string, ctx: ParseCtx, keys: readonly KeyDoc[], base?: string): ZoneSettings {
  rejectUnknown(
    t,
    keys.map((k) => k.key),
    path,
  )
  const zone = normalizeDomain(reqString(t, 'zone', path), keyPath(path, 'zone'))
  const names = parseRecords(t, 'records', zone, path, ctx.warn, true)
  const b = optUrl(t, 'base_url', path) ?? base
  if (!b) throw new ConfigError(keyPath(path, 'base_url'), 'is required')
  return { zone, names, base: b }
}

/**
 * A secret that goes into an HTTP header: required, trimmed (with a warning), registered, and
 * visible ASCII only (a space or control character would break the header).
 * @throws ConfigError naming the key, never its value.
 */
export function headerSecret(t: Table, key: string, path: string, ctx: ParseCtx): string {
  const v = reqSecret(t, key, path, ctx.secret, ctx.warn)
  if (!HEADER_SAFE.test(v)) throw new ConfigError(keyPath(path, key), 'contains spaces or characters that cannot go into an HTTP header')
  return v
}

/** The ParsedEntry of settings `s`; the account is `<name>:<API host>:<fingerprint of who>` (never a secret). */
export function entryOf<S extends ZoneSettings>(name: string, s: S, who: string): ParsedEntry<S> {
  return { settings: s, names: s.names, zone: s.zone, account: `${name}:${new URL(s.base).host}:${fingerprint(who)}` }
}

/** The name of `fqdn` relative to `zone`: `''` for the apex. */
export function rel(fqdn: string, zone: string): string {
  return fqdn === zone ? '' : fqdn.slice(0, -zone.length - 1)
}

/** The full name of `name` relative to `zone`, as relative-name APIs write it (`@` or `''` the apex). */
export function full(name: string, zone: string): string {
  return name === '@' || name === '' ? zone : `${name}.${zone}`
}

/** Capabilities of every provider here: read back through the API, IPv6, one request per family. */
export const API_CAPS = { read: 'api', ipv6: true, dualStackOneRequest: false } as const

/** RFC 2181 section 8: the largest TTL. */
export const MAX_TTL = 2147483647

/** A path segment: percent-encoded, but `@` (the apex in most of these APIs) stays literal as their docs write it. */
export function seg(s: string): string {
  return encodeURIComponent(s).replace(/%40/g, '@')
}
