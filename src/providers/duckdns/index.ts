import type { Ctx } from '../../context.js'
import { fingerprint } from '../credentials.js'
import { ConfigError, EdgeError, toEdgeError } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, typeName, type Table } from '../../config/fields.js'
import { snippet } from '../../net/http.js'
import { ok, send, statusError, stopsAccount } from '../push/http.js'
import { parseResolver, reqSecret, type ServerAddress } from '../push/names.js'
import { checkChanges, familyOfAddress, familyOfChange, outcomeOf } from '../push/outcome.js'
import { readBack, type ReadbackDeps } from '../push/readback.js'
import type { Change, Current, Outcome, ParseCtx, ParsedEntry, Provider, ProviderDef, RecordRef } from '../types.js'

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
  if (v === undefined) throw new ConfigError(at, 'is required: your DuckDNS names, "myhost" or "myhost.duckdns.org"')
  const list = typeof v === 'string' ? v.split(',') : v
  if (!Array.isArray(list)) throw new ConfigError(at, `expected a string or an array of strings, got ${typeName(v)}`)
  const out: string[] = []
  const seen = new Set<string>()
  list.forEach((x, i) => {
    const p = Array.isArray(v) ? `${at}[${i}]` : at
    if (typeof x !== 'string') throw new ConfigError(p, `expected a string, got ${typeName(x)}`)
    if (x !== x.trim() && typeof v !== 'string') warn(`${p}: leading or trailing whitespace removed`)
    let name = x.trim().toLowerCase().replace(/\.$/, '')
    if (name.endsWith(SUFFIX)) name = name.slice(0, -SUFFIX.length)
    if (name === '') throw new ConfigError(p, 'is empty')
    if (name.includes('.')) throw new ConfigError(p, `"${x.trim()}" is not a DuckDNS name: use "myhost" or "myhost.duckdns.org" (DuckDNS only serves names directly under duckdns.org)`)
    if (!LABEL.test(name)) throw new ConfigError(p, `"${x.trim()}" is not a valid DuckDNS name (letters, digits and "-")`)
    if (seen.has(name)) warn(`${p}: ${name} is listed twice; it is handled once`)
    else {
      seen.add(name)
      out.push(name)
    }
  })
  if (typeof v === 'string' && v !== v.trim()) warn(`${at}: leading or trailing whitespace removed`)
  if (out.length === 0) throw new ConfigError(at, 'must name at least one DuckDNS domain')
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

interface Unit {
  labels: string[]
  v4?: string
  v6?: string
  changes: Change[]
}

class DuckdnsProvider implements Provider {
  constructor(
    private readonly s: DuckdnsSettings,
    private readonly deps: { readback?: ReadbackDeps },
  ) {}

  read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    return readBack(refs, ctx, { provider: 'duckdns', ...(this.s.resolver ? { resolver: this.s.resolver } : {}) }, this.deps.readback)
  }

  /** Groups domains that get the same addresses into one request (both families together). */
  private plan(changes: Change[]): Unit[] {
    const byLabel = new Map<string, { v4?: Change; v6?: Change }>()
    for (const ch of changes) {
      const label = ch.ref.fqdn.slice(0, -SUFFIX.length)
      const e = byLabel.get(label) ?? {}
      if (familyOfChange(ch) === 6) e.v6 = ch
      else e.v4 = ch
      byLabel.set(label, e)
    }
    const units = new Map<string, Unit>()
    for (const [label, e] of byLabel) {
      const k = `${e.v4?.value ?? ''} ${e.v6?.value ?? ''}`
      const u = units.get(k) ?? { labels: [], ...(e.v4 ? { v4: e.v4.value } : {}), ...(e.v6 ? { v6: e.v6.value } : {}), changes: [] }
      u.labels.push(label)
      u.changes.push(...[e.v4, e.v6].filter((c): c is Change => c !== undefined))
      units.set(k, u)
    }
    return [...units.values()]
  }

  async write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    const { ok: sendable, failed } = checkChanges(
      changes,
      (ch) => (ch.ref.fqdn.endsWith(SUFFIX) ? undefined : new EdgeError('internal', `duckdns: ${ch.ref.fqdn} is not under duckdns.org (this is a bug in edge-ddns, please report it)`)),
      (ch) => new EdgeError('internal', `duckdns: "${ch.value}" is not an address for an ${ch.ref.type} record (this is a bug in edge-ddns, please report it)`),
    )
    const results = new Map<Change, Outcome>(failed)
    let stop: EdgeError | undefined
    for (const u of this.plan(sendable)) {
      if (stop) {
        const e = new EdgeError(stop.kind, `not sent after an earlier answer for this token: ${stop.message}`, { retryable: stop.retryable, ...(stop.hint ? { hint: stop.hint } : {}) })
        for (const ch of u.changes) results.set(ch, outcomeOf(ch, { ok: false, error: e }))
        continue
      }
      try {
        const a = await this.sendUnit(u, ctx)
        for (const ch of u.changes) {
          const got = familyOfChange(ch) === 6 ? a.v6 : a.v4
          results.set(ch, outcomeOf(ch, { ok: true, changed: a.changed, ...(got ? { recorded: [got] } : {}) }))
        }
      } catch (err) {
        const e = toEdgeError(err)
        for (const ch of u.changes) results.set(ch, outcomeOf(ch, { ok: false, error: e }))
        if (stopsAccount(e)) stop = e
      }
    }
    return changes.map((ch) => results.get(ch) as Outcome)
  }

  private async sendUnit(u: Unit, ctx: Ctx): Promise<Extract<DuckdnsAnswer, { ok: true }>> {
    const q = new URLSearchParams([
      ['domains', u.labels.join(',')],
      ['token', this.s.token],
    ])
    if (u.v4 !== undefined) q.append('ip', u.v4)
    if (u.v6 !== undefined) q.append('ipv6', u.v6)
    q.append('verbose', 'true')
    const res = await send(ctx, 'duckdns', { url: `${this.s.baseUrl}/update?${q.toString()}` })
    if (!ok(res)) throw statusError('duckdns', res, ctx.now())
    const a = parseDuckdnsAnswer(res.body)
    if (a.ok) return a
    if (a.ko) {
      throw new EdgeError('auth', `duckdns: ${res.host} answered KO: the token is wrong or ${u.labels.length > 1 ? 'a domain is' : `${u.labels[0]} is`} not in this account`, {
        code: 'KO',
        retryable: false,
        hint: 'copy the token from the DuckDNS page again, and check the domain names',
      })
    }
    throw new EdgeError('protocol', `duckdns: ${res.host} answered "${snippet(res.body)}", neither OK nor KO`, { code: 'unknown', retryable: true })
  }
}

/** Builds the provider for one entry; does no I/O. */
export function createDuckdnsProvider(s: DuckdnsSettings, deps: { readback?: ReadbackDeps } = {}): Provider {
  return new DuckdnsProvider(s, deps)
}

/** The DuckDNS provider definition (registry entry `duckdns`). */
export const duckdns: ProviderDef<DuckdnsSettings> = {
  name: 'duckdns',
  summary: 'DuckDNS (token URL; OK/KO answers; v4 and v6 in one request)',
  docs: 'https://www.duckdns.org/spec.jsp',
  keys: [
    { key: 'token', required: true, secret: true, doc: 'the account token' },
    { key: 'domains', required: true, doc: 'DuckDNS names: "myhost" or "myhost.duckdns.org", one or a list' },
    { key: 'base_url', required: false, doc: `update server (default ${DUCKDNS_BASE_URL}); /update is appended` },
    { key: 'resolver', required: false, doc: 'DNS server for the read-back ("127.0.0.1:5353"); default: the duckdns.org name servers' },
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDuckdnsProvider(settings),
}
