import type { Ctx } from '../../context.js'
import { basicAuth, ok, send, statusError } from '../push/http.js'
import { relativeName, type ServerAddress } from '../push/names.js'
import { both, byHost, familyOfChange, ipv4Only, pushWrite } from '../push/outcome.js'
import { readBack, type ReadbackDeps } from '../push/readback.js'
import type { Change, Current, Outcome, Provider, RecordRef } from '../types.js'
import type { Dyndns2Preset } from './presets.js'
import { knownAnswer, parseResponse, type Sent, type Verdict } from './protocol.js'

/**
 * The dyndns2 update engine shared by the `dyndns2`, `noip`, `dynu` and `he` providers: it reads
 * records back by DNS, groups the changes it is given into as few requests as the preset allows,
 * sends them one after the other (per-account serialisation, BC-06), and turns each answer into
 * one Outcome per Change through the one response parser (protocol.ts).
 *
 * Grouping:
 * - presets that take both families in one request (`comma`, `param`) get one request per host
 *   with both changed families (BC-06); the others one request per host and family;
 * - presets with `maxHosts > 1` put hosts that get the same addresses into one request
 *   (`hostname=a,b`), up to `maxHosts`;
 * - `omittedFamilyIsDeleted`: the other family's value read from DNS goes along, so the service
 *   does not drop it; `v6NeedsV4` (INWX): an IPv6 update carries the current A value.
 * Parameter names follow the preset (`hostParam`, `ipParam`, `v6Param`; `ipParam: ''` sends no
 * address), `familyParams` go on requests of one family, and `statusCodes` read the answer from
 * the HTTP status alone (selfhost.de).
 * After an answer that would repeat for the account (bad credentials, a block, `911`, a network
 * failure) the remaining requests are not sent; their changes fail with that error.
 */

/** What the engine needs for one entry (plain data, built by a provider's `parse`). */
export interface Dyndns2Settings {
  /** Provider type, for messages and logs (`noip`). */
  provider: string
  preset: Dyndns2Preset
  /** Update URL for IPv4 (and for IPv6 unless `url6`). */
  url: string
  /** Update URL for IPv6 with the `host` style. */
  url6?: string
  /** Basic user; undefined with `password-param`, or with `userIsHost` (the host name is the user). */
  username?: string
  password: string
  userAgent: string
  /** Host names the entry owns (full names). */
  hosts: string[]
  /** The entry's `resolver`: where the read-back asks. */
  resolver?: ServerAddress
  /**
   * dness's Dynu form: `hostname=<domain>` plus `alias=<label>` for a name below it, instead of
   * `hostname=<full name>`.
   */
  alias?: { domain: string }
}

/** One request to send. */
interface Unit {
  url: string
  hosts: string[]
  sent: Sent
  changes: Change[]
}

function key(fqdn: string, type: string): string {
  return `${fqdn} ${type}`
}

/** The single value DNS showed for a record, if that is what it showed. */
function single(c: Current | undefined): string | undefined {
  return c?.kind === 'present' && c.values.length === 1 ? c.values[0] : undefined
}

/** Splits the changes into requests (see the module comment). */
export function planRequests(s: Dyndns2Settings, changes: Change[], read: ReadonlyMap<string, Current>): Unit[] {
  const p = s.preset
  const units: Unit[] = []
  const dual = p.ipv6 === 'comma' || p.ipv6 === 'param'
  for (const [host, f] of byHost(changes)) {
    if (dual) {
      const sent: Sent = {}
      if (f.v4) sent.v4 = f.v4.value
      if (f.v6) sent.v6 = f.v6.value
      if (p.omittedFamilyIsDeleted || (p.v6NeedsV4 && f.v6)) {
        const other4 = f.v4 ? undefined : single(read.get(key(host, 'A')))
        const other6 = f.v6 || !p.omittedFamilyIsDeleted ? undefined : single(read.get(key(host, 'AAAA')))
        if (other4) sent.v4 = other4
        if (other6) sent.v6 = other6
      }
      units.push({ url: s.url, hosts: [host], sent, changes: both(f) })
    } else {
      if (f.v4) units.push({ url: s.url, hosts: [host], sent: { v4: f.v4.value }, changes: [f.v4] })
      if (f.v6) units.push({ url: p.ipv6 === 'host' && s.url6 ? s.url6 : s.url, hosts: [host], sent: { v6: f.v6.value }, changes: [f.v6] })
    }
  }
  if (p.maxHosts <= 1 || s.alias || p.userIsHost) return units
  const merged: Unit[] = []
  const open = new Map<string, Unit>()
  for (const u of units) {
    const k = `${u.url} ${u.sent.v4 ?? ''} ${u.sent.v6 ?? ''}`
    const m = open.get(k)
    if (m && m.hosts.length < p.maxHosts) {
      m.hosts.push(...u.hosts)
      m.changes.push(...u.changes)
    } else {
      const copy = { ...u, hosts: [...u.hosts], changes: [...u.changes] }
      open.set(k, copy)
      merged.push(copy)
    }
  }
  return merged
}

/** The parameters of one request, in the order they are sent. */
export function requestParams(s: Dyndns2Settings, u: Unit): [string, string][] {
  const p = s.preset
  const out: [string, string][] = []
  if (s.alias) {
    out.push(['hostname', s.alias.domain])
    const label = relativeName(u.hosts[0] as string, s.alias.domain)
    if (label !== '@') out.push(['alias', label])
  } else {
    out.push([p.hostParam ?? 'hostname', u.hosts.join(',')])
  }
  if (p.auth === 'query') out.push(['username', s.username ?? (u.hosts[0] as string)])
  if (p.auth !== 'basic') out.push(['password', s.password])
  const { v4, v6 } = u.sent
  const ip = p.ipParam ?? 'myip'
  switch (p.ipv6) {
    case 'comma':
      out.push([ip, [v4, v6].filter((a): a is string => a !== undefined).join(',')])
      break
    case 'param':
      if (v4 !== undefined) out.push([ip, v4])
      else if (p.keep !== undefined) out.push([ip, p.keep])
      if (v6 !== undefined) out.push([p.v6Param ?? 'myipv6', v6])
      else if (p.keep !== undefined) out.push([p.v6Param ?? 'myipv6', p.keep])
      break
    default:
      // An empty ipParam: the service records the address the request comes from (dy.fi).
      if (v4 !== undefined && ip) out.push([ip, v4])
      else if (v6 !== undefined) out.push([p.v6Param ?? ip, v6])
  }
  for (const [k, v] of p.extraParams ?? []) out.push([k, v])
  for (const [f, k, v] of p.familyParams ?? []) if ((f === 4 ? v4 : v6) !== undefined) out.push([k, v])
  return out
}

class Dyndns2Provider implements Provider {
  /** What `read` found, by `fqdn type`, for `omittedFamilyIsDeleted`. */
  private readonly seen = new Map<string, Current>()

  constructor(
    private readonly s: Dyndns2Settings,
    private readonly deps: { readback?: ReadbackDeps },
  ) {}

  async read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    const got = await readBack(refs, ctx, { provider: this.s.provider, ...(this.s.resolver ? { resolver: this.s.resolver } : {}) }, this.deps.readback)
    refs.forEach((r, i) => this.seen.set(key(r.fqdn, r.type), got[i] as Current))
    return got
  }

  write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    const s = this.s
    return pushWrite(
      s.provider,
      changes,
      'account',
      (ch) => (familyOfChange(ch) === 6 && s.preset.ipv6 === 'none' ? ipv4Only(`${s.provider}: ${s.preset.title} takes IPv4`) : undefined),
      (ok) => planRequests(s, ok, this.seen),
      async (u) => {
        const verdicts = await this.sendUnit(u, ctx)
        return (ch) => {
          const v = verdicts[Math.max(0, u.hosts.indexOf(ch.ref.fqdn))] as Verdict
          return v.ok ? { ok: true, changed: v.changed, warnings: v.warnings, recorded: v.echoed } : { ok: false, error: v.error, stop: v.account }
        }
      },
    )
  }

  /** Sends one request and returns one Verdict per host. @throws EdgeError for a transport or HTTP status failure. */
  private async sendUnit(u: Unit, ctx: Ctx): Promise<Verdict[]> {
    const s = this.s
    const p = s.preset
    const params = new URLSearchParams(requestParams(s, u))
    const headers: Record<string, string> = { 'user-agent': s.userAgent }
    if (p.auth === 'basic') {
      const user = s.username ?? (p.userIsHost ? (u.hosts[0] as string) : '')
      headers.authorization = basicAuth(ctx, user, s.password)
    }
    const url = new URL(u.url)
    let body: string | undefined
    if (p.method === 'POST') {
      body = params.toString()
      headers['content-type'] = 'application/x-www-form-urlencoded'
    } else {
      for (const [k, v] of params) url.searchParams.append(k, v)
    }
    const res = await send(ctx, s.provider, { method: p.method, url: url.toString(), headers, ...(body !== undefined ? { body } : {}) })
    const extra = p.extraCodes ?? []
    const byStatus = p.statusCodes?.find(([status]) => status === res.status)
    if (byStatus) {
      const [, kind, meaning] = byStatus
      return parseResponse(`HTTP ${res.status}`, u.hosts.length, u.sent, `${s.provider}: ${res.host}`, [{ match: '', kind, meaning }])
    }
    // A non-2xx answer yields to a known error word in the body (badauth with 400), never to a
    // preset's own success word: Domeneshop's empty 204 is success, an empty 401 is not.
    if (!ok(res) && !knownAnswer(res.body, extra.filter((x) => x.kind !== 'good' && x.kind !== 'nochg'))) throw statusError(s.provider, res, ctx.now())
    return parseResponse(res.body, u.hosts.length, u.sent, `${s.provider}: ${res.host}`, extra)
  }
}

/**
 * Builds the provider for one entry; does no I/O.
 * @param deps.readback replaces the system pieces of the DNS read-back (tests)
 */
export function createDyndns2Provider(s: Dyndns2Settings, deps: { readback?: ReadbackDeps } = {}): Provider {
  return new Dyndns2Provider(s, deps)
}
