import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { fingerprint, HEADER_SAFE } from '../credentials.js'
import { parseZone, reqSecret } from '../push/names.js'
import type { KeyDoc, ParseCtx, ParsedEntry, Provider, ProviderDef } from '../types.js'

/**
 * The `[[domains]]` keys the API providers share: `zone` (the zone at the service), `records`
 * (names in it: `@` or `""` the apex, `home`, `*`, or full names ending in the zone, BC-22),
 * `base_url` (the API endpoint; tests point it at 127.0.0.1) and the credentials; the account key
 * `<provider>:<API host>:<fingerprint>` (never a secret).
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
    { key: 'records', required: true, doc: 'names in the zone: @ or "" (apex), home, *, or full names' },
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
  const { domain: zone, names } = parseZone(t, path, ctx.warn, 'zone')
  const b = optUrl(t, 'base_url', path) ?? base
  if (!b) throw new ConfigError(keyPath(path, 'base_url'), 'is required')
  return { zone, names, base: b }
}

/** `cannot go into an HTTP header`, the end of the message for a credential that cannot. */
export const NOT_HEADER_SAFE = 'contains spaces or control characters, which cannot go into an HTTP header'

/**
 * A secret that goes into an HTTP header: required, trimmed (with a warning), registered, and
 * visible ASCII only (a space or control character would break the header).
 * @throws ConfigError naming the key, never its value.
 */
export function headerSecret(t: Table, key: string, path: string, ctx: ParseCtx): string {
  const v = reqSecret(t, key, path, ctx.secret, ctx.warn)
  if (!HEADER_SAFE.test(v)) throw new ConfigError(keyPath(path, key), NOT_HEADER_SAFE)
  return v
}

/** The settings of a JSON API provider whose one credential is a token. */
export interface TokenSettings extends ZoneSettings {
  token: string
}

/**
 * The definition of a JSON API provider whose one credential goes into a header (`cred`: its key
 * and doc; kept as `token` in the settings): keys `cred`, `more`, `zone`, `records`, `base_url`
 * (default `base`; required without one); `extra` reads the provider's other keys.
 */
export function tokenDef<S extends TokenSettings>(d: {
  name: string
  summary: string
  docs: string
  ttl: { min: number; max: number }
  cred: [key: string, doc: string]
  base?: string
  more?: KeyDoc[]
  extra?: (t: Table, path: string) => object
  driver: (s: S, ttl: number | undefined) => Provider
}): ProviderDef<S> {
  const def: ProviderDef<S> = {
    name: d.name,
    summary: d.summary,
    docs: d.docs,
    keys: [{ key: d.cred[0], required: true, secret: true, doc: d.cred[1] }, ...(d.more ?? []), ...zoneKeys(d.base)],
    capabilities: API_CAPS,
    ttl: d.ttl,
    parse(t, path, ctx) {
      const s = { ...zoneEntry(t, path, ctx, def.keys, d.base), token: headerSecret(t, d.cred[0], path, ctx), ...d.extra?.(t, path) } as S
      return entryOf(d.name, s, s.token)
    },
    create: (s, o) => d.driver(s, o.ttl),
  }
  return def
}

/** The account key of a provider entry: `<name>:<API host>:<fingerprint of who>`. */
const accountOf = (name: string, base: string, who: string): string => `${name}:${new URL(base).host}:${fingerprint(who)}`

/** The ParsedEntry of settings `s`; the account is `<name>:<API host>:<fingerprint of who>` (never a secret). */
export function entryOf<S extends ZoneSettings>(name: string, s: S, who: string): ParsedEntry<S> {
  return { settings: s, names: s.names, zone: s.zone, account: accountOf(name, s.base, who) }
}

/**
 * The name of `fqdn` relative to `zone`: `''` for the apex.
 * @throws EdgeError `config` when `fqdn` is not inside `zone` (nothing outside the zone is ever written).
 */
export function rel(fqdn: string, zone: string): string {
  if (fqdn === zone) return ''
  if (!fqdn.endsWith(`.${zone}`)) throw new EdgeError('config', `${fqdn} is not inside zone ${zone}`)
  return fqdn.slice(0, -zone.length - 1)
}

/** The full name of `name` relative to `zone`, as relative-name APIs write it (`@` or `''` the apex). */
export function full(name: string, zone: string): string {
  return name === '@' || name === '' ? zone : `${name}.${zone}`
}

/** Capabilities of every API provider: read back through the API, IPv6, one request per family. */
export const API_CAPS = { read: 'api', ipv6: true, dualStackOneRequest: false } as const

/** RFC 2181 section 8: the largest TTL. */
export const MAX_TTL = 2147483647

/** A path segment: percent-encoded, but `@` (the apex in most of these APIs) stays literal as their docs write it. */
export function seg(s: string): string {
  return encodeURIComponent(s).replace(/%40/g, '@')
}

// ---- the signed APIs (Route 53, Alibaba Cloud DNS, DNSPod) -------------------------------------

/** A validated entry of a signed-API provider. */
export interface SignedSettings {
  /** Lower case, no trailing dot (`example.com`). */
  zone: string
  /** Full record names, lower case, no trailing dot, in order, without duplicates. */
  records: string[]
  /** API base without a trailing slash. */
  baseUrl: string
  /** The credential keys of the entry, trimmed (`access_key_id` ...). */
  creds: Record<string, string>
  /** Provider-specific keys (`hosted_zone_id`). */
  extra: Record<string, string>
  /** `<type>:<host>:<fingerprint of the first credential>`: queue and state key. */
  account: string
  /** Milliseconds between the starts of two calls of one account (tests lower it). */
  minGapMs: number
}

/**
 * The key docs of a signed-API provider: `first`, `zone`, `records`, the credentials
 * (`[key, doc, optional]`, all secrets), `base_url`.
 */
export function signedKeys(creds: [string, string, boolean?][], base: string, first: KeyDoc[] = []): KeyDoc[] {
  const [zone, records, url] = zoneKeys(base) as [KeyDoc, KeyDoc, KeyDoc]
  return [...first, zone, records, ...creds.map(([key, doc, opt]) => ({ key, required: !opt, secret: true, doc })), url]
}

/**
 * Validates a signed-API entry from the provider's key docs (`signedKeys`): `zone`, `records`,
 * `base_url`, every credential (identifiers too) registered as a secret before anything can echo
 * it, and the other keys as plain strings. `headerIds` go into the `Credential=<id>/...` field of
 * an Authorization header, which cannot carry a space, "/" or ",".
 * @throws ConfigError naming the key.
 */
export function signedEntry(
  t: Table,
  path: string,
  ctx: ParseCtx,
  def: { name: string; keys: KeyDoc[] },
  base: string,
  headerIds: string[] = [],
  minGapMs = 0,
): ParsedEntry<SignedSettings> {
  const z = zoneEntry(t, path, ctx, def.keys, base)
  const creds: Record<string, string> = {}
  const extra: Record<string, string> = {}
  for (const { key, required, secret } of def.keys) {
    if (secret && (required || t[key] !== undefined)) {
      const v = (creds[key] = reqSecret(t, key, path, ctx.secret, ctx.warn))
      if (headerIds.includes(key) && /[\s/,]/.test(v)) throw new ConfigError(keyPath(path, key), 'contains a space, "/" or ",", which the Authorization header cannot carry')
    } else if (!secret && key !== 'zone' && key !== 'records' && key !== 'base_url') extra[key] = reqString(t, key, path)
  }
  const account = accountOf(def.name, z.base, Object.values(creds)[0] as string)
  return { settings: { zone: z.zone, records: z.names, baseUrl: z.base, creds, extra, account, minGapMs }, names: z.names, zone: z.zone, account }
}

// ---- GoDaddy and Porkbun -----------------------------------------------------------------------

/** A validated GoDaddy or Porkbun entry (dness's keys). */
export interface PairSettings {
  /** The domain, lower case, no trailing dot (`example.com`). */
  domain: string
  /** The API key. */
  key: string
  /** The key's secret. */
  secret: string
  /** Full record names, lower case, no trailing dot, in the order configured, without duplicates. */
  records: string[]
  /** API base without a trailing slash. */
  baseUrl: string
  /** `<type>:<host>:<key fingerprint>`: the queue and state key of the account. */
  account: string
}

/**
 * Validates an entry of dness's GoDaddy and Porkbun types: `domain`, `key`, `secret` (both
 * registered as secrets, taken as written), `records` (relative to the domain, `@` the apex) and
 * `base_url`.
 * @throws ConfigError naming the key.
 */
export function pairEntry(t: Table, path: string, ctx: ParseCtx, def: { name: string; keys: KeyDoc[] }, base: string): PairSettings {
  rejectUnknown(
    t,
    def.keys.map((k) => k.key),
    path,
  )
  const key = reqString(t, 'key', path)
  const secret = reqString(t, 'secret', path)
  ctx.secret(key)
  ctx.secret(secret)
  const { domain, names } = parseZone(t, path, ctx.warn)
  const baseUrl = optUrl(t, 'base_url', path) ?? base
  return { domain, key, secret, records: names, baseUrl, account: accountOf(def.name, baseUrl, key) }
}
