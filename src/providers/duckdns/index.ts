import { fingerprint } from '../credentials.js'
import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, type Table } from '../../config/fields.js'
import { snippet } from '../../net/http.js'
import { ok, send, statusError } from '../push/http.js'
import { baseUrlKey, nameList, parseResolver, reqSecret, RESOLVER_KEY, type ServerAddress } from '../push/names.js'
import { both, byHost, familyOfAddress, familyOfChange, pushProvider, pushWrite } from '../push/outcome.js'
import type { ReadbackDeps } from '../push/readback.js'
import type { Change, ParseCtx, ParsedEntry, Provider, ProviderDef } from '../types.js'

/**
 * DuckDNS (`type = "duckdns"`): keys `token`, `domains` (`myhost` or `myhost.duckdns.org`, one or
 * a list), `base_url` (default https://www.duckdns.org) and `resolver`.
 *
 * One GET for all domains that get the same addresses, both families together:
 * `/update?domains=a,b&token=<token>&ip=<v4>&ipv6=<v6>&verbose=true`
 * (https://www.duckdns.org/spec.jsp). Only the label goes in `domains` (BC-07). A family not
 * updated is left out: without `ip` DuckDNS would detect an IPv4 address itself, but a request
 * with `ipv6` turns that detection off, and a request with `ip` alone leaves the AAAA as it is.
 * The answer is HTTP 200 either way: the first line `OK` is success, `KO` failure (wrong token or
 * a domain not in the account), anything else a failure (BC-07). With `verbose=true` the next
 * lines are the IPv4 and IPv6 addresses now set and `UPDATED` or `NOCHANGE`.
 * A token or domain with whitespace around it is trimmed, with a warning naming the key (BC-07).
 */

export const DUCKDNS_BASE_URL = 'https://www.duckdns.org'
const SUFFIX = '.duckdns.org'
const KEYS = ['token', 'domains', 'base_url', 'resolver'] as const
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/

/** A validated DuckDNS entry. */
export interface DuckdnsSettings {
  token: string
  /** Labels (`myhost`), in order. */
  labels: string[]
  baseUrl: string
  resolver?: ServerAddress
}

/** What a DuckDNS answer says. */
export type DuckdnsAnswer =
  | { ok: true; changed: boolean; v4?: string; v6?: string }
  | { ok: false; ko: boolean; line: string }

/** Reads a DuckDNS answer body (plain or verbose). */
export function parseDuckdnsAnswer(body: string): DuckdnsAnswer {
  const lines = body.replace(/^\uFEFF/, '').split(/\r?\n/).map((l) => l.trim())
  const first = lines[0] ?? ''
  if (first === 'KO') return { ok: false, ko: true, line: first }
  if (first !== 'OK') return { ok: false, ko: false, line: first }
  const v4 = lines[1] && familyOfAddress(lines[1]) === 4 ? lines[1] : undefined
  const v6 = lines[2] && familyOfAddress(lines[2]) === 6 ? lines[2] : undefined
  const changed = lines[3] !== 'NOCHANGE'
  return { ok: true, changed, ...(v4 ? { v4 } : {}), ...(v6 ? { v6 } : {}) }
}

function parseDomains(t: Table, path: string, warn: (m: string) => void): string[] {
  const v = t.domains
  const at = keyPath(path, 'domains')
  const out = nameList(
    t,
    'domains',
    path,
    warn,
    (x, p) => {
      if (x !== x.trim() && typeof v !== 'string') warn(`${p}: leading or trailing whitespace removed`)
      let name = x.trim().toLowerCase().replace(/\.$/, '')
      if (name.endsWith(SUFFIX)) name = name.slice(0, -SUFFIX.length)
      if (name === '') throw new ConfigError(p, 'is empty')
      if (name.includes('.')) throw new ConfigError(p, `"${x.trim()}" is not a DuckDNS name: use "myhost" or "myhost.duckdns.org" (DuckDNS only serves names directly under duckdns.org)`)
      if (!LABEL.test(name)) throw new ConfigError(p, `"${x.trim()}" is not a valid DuckDNS name (letters, digits and "-")`)
      return name
    },
    v === undefined ? 'is required: your DuckDNS names, "myhost" or "myhost.duckdns.org"' : 'must name at least one DuckDNS domain',
    ',',
  )
  if (typeof v === 'string' && v !== v.trim()) warn(`${at}: leading or trailing whitespace removed`)
  return out
}

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<DuckdnsSettings> {
  rejectUnknown(t, KEYS, path)
  const token = reqSecret(t, 'token', path, (v) => ctx.secret(v), ctx.warn)
  const labels = parseDomains(t, path, ctx.warn)
  const baseUrl = optUrl(t, 'base_url', path) ?? DUCKDNS_BASE_URL
  const resolver = parseResolver(t, path)
  return {
    settings: { token, labels, baseUrl, ...(resolver ? { resolver } : {}) },
    names: labels.map((l) => `${l}${SUFFIX}`),
    account: `duckdns:${new URL(baseUrl).host}:token-${fingerprint(token)}`,
  }
}

/** One request: domains that get the same addresses, both families together. */
interface Unit {
  labels: string[]
  v4?: string
  v6?: string
  changes: Change[]
}

/** Groups domains that get the same addresses into one request (both families together). */
function plan(changes: Change[]): Unit[] {
  const units = new Map<string, Unit>()
  for (const [label, e] of byHost(changes, (ch) => ch.ref.fqdn.slice(0, -SUFFIX.length))) {
    const [v4, v6] = [e.v4?.value, e.v6?.value]
    const k = `${v4 ?? ''} ${v6 ?? ''}`
    const u = units.get(k) ?? { labels: [], v4, v6, changes: [] }
    u.labels.push(label)
    u.changes.push(...both(e))
    units.set(k, u)
  }
  return [...units.values()]
}

/** Builds the provider for one entry; does no I/O. */
export function createDuckdnsProvider(s: DuckdnsSettings, deps: { readback?: ReadbackDeps } = {}): Provider {
  return pushProvider('duckdns', s.resolver, deps, (changes, ctx) =>
    pushWrite(
      'duckdns',
      changes,
      'token',
      (ch) => (ch.ref.fqdn.endsWith(SUFFIX) ? undefined : new EdgeError('internal', `duckdns: ${ch.ref.fqdn} is not under duckdns.org (this is a bug in edge-ddns, please report it)`)),
      plan,
      async (u) => {
        const q = new URLSearchParams([
          ['domains', u.labels.join(',')],
          ['token', s.token],
        ])
        if (u.v4 !== undefined) q.append('ip', u.v4)
        if (u.v6 !== undefined) q.append('ipv6', u.v6)
        q.append('verbose', 'true')
        const res = await send(ctx, 'duckdns', { url: `${s.baseUrl}/update?${q.toString()}` })
        if (!ok(res)) throw statusError('duckdns', res, ctx.now())
        const a = parseDuckdnsAnswer(res.body)
        if (a.ok) {
          return (ch) => {
            const got = familyOfChange(ch) === 6 ? a.v6 : a.v4
            return { ok: true, changed: a.changed, ...(got ? { recorded: [got] } : {}) }
          }
        }
        if (a.ko) {
          throw new EdgeError('auth', `duckdns: ${res.host} answered KO: the token is wrong or ${u.labels.length > 1 ? 'a domain is' : `${u.labels[0]} is`} not in this account`, {
            code: 'KO',
            hint: 'copy the token from the DuckDNS page again, and check the domain names',
          })
        }
        throw new EdgeError('protocol', `duckdns: ${res.host} answered "${snippet(res.body)}", neither OK nor KO`, { code: 'unknown', retryable: true })
      },
    ),
  )
}

/** The DuckDNS provider definition (registry entry `duckdns`). */
export const duckdns: ProviderDef<DuckdnsSettings> = {
  name: 'duckdns',
  summary: 'DuckDNS (token URL; OK/KO answers; v4 and v6 in one request)',
  docs: 'https://www.duckdns.org/spec.jsp',
  keys: [
    { key: 'token', required: true, secret: true, doc: 'the account token' },
    { key: 'domains', required: true, doc: 'DuckDNS names: "myhost" or "myhost.duckdns.org", one or a list' },
    baseUrlKey(DUCKDNS_BASE_URL, '/update'),
    RESOLVER_KEY,
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDuckdnsProvider(settings),
}
