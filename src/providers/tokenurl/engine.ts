import type { Ctx } from '../../context.js'
import { fingerprint } from '../credentials.js'
import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { snippet, type HttpResponse } from '../../net/http.js'
import { classifyLine, knownAnswer, PROVIDER_FAILURE_HOLD_SEC } from '../dyndns2/protocol.js'
import { basicAuth, ok, send, statusError, USER_AGENT } from '../push/http.js'
import { normalizeDomain, parseHostnames, parseResolver, relativeName, reqSecret, RESOLVER_KEY, type ServerAddress } from '../push/names.js'
import { familyOfChange, ipv4Only, pushProvider, pushWrite, type PushResult } from '../push/outcome.js'
import type { ReadbackDeps } from '../push/readback.js'
import type { Change, Family, KeyDoc, ParseCtx, ParsedEntry, Provider, ProviderDef } from '../types.js'
import type { AnswerRule, TokenService } from './services.js'

/**
 * The one engine of the token-URL services (services.ts): config parsing, request building,
 * sending, and reading the answer through the service's rules.
 *
 * - Requests: per host, one request with both families (`both`) or one per family (`each`, and
 *   always with `url6`); one host per request. Parameters are built with URLSearchParams, secrets
 *   in a URL path with encodeURIComponent (BC-28); Basic credentials only through the header.
 * - Answers: the service's rules in order (`good`/`nochg` only with a 2xx status); then, for
 *   services that speak the dyndns2 words, the dyndns2 parser; then by HTTP status (401 auth,
 *   403 forbidden, 404 notfound, 429 with Retry-After, 5xx transient); a 2xx answer no rule
 *   explains is a failure, never a success (BC-02).
 * - After an answer that would repeat for the account (refused credentials, a block, a rate
 *   limit, a network failure) the entry's other requests are not sent.
 * - The current value is read by DNS (push/readback.ts): these services cannot read it.
 */

/** Keys whose values are secrets. */
const SECRETS = ['token', 'token6', 'password', 'url', 'url6']

/** The KeyDoc text of each config key. */
const DOCS: Record<string, string> = {
  token: 'update token or key',
  token6: "the AAAA record's own token, when it has one",
  username: 'user name',
  password: 'password',
  record_id: 'the numeric id of the dynamic record',
  url: "the A record's secret update URL",
  url6: "the AAAA record's secret update URL",
  domain: 'the domain (zone) the host names are in',
}

/** A validated entry. */
export interface TokenSettings {
  /** The `[[domains]]` path, for errors found at write time (`domains[0]`). */
  path: string
  /** Config values by key (`token`, `username`, ...). */
  values: Record<string, string>
  hosts: string[]
  /** `base_url`: replaces scheme, host and port of the service's URLs. */
  base?: string
  resolver?: ServerAddress
}

/** One request: a host, the addresses it carries, the changes it answers for. */
export interface Unit {
  host: string
  v4?: string
  v6?: string
  changes: Change[]
}

/** The key name of a spec (`token6?` → `token6`). */
const keyOf = (spec: string): string => spec.replace(/\?$/, '')

/** Renders `{name}` placeholders; undefined when one has no value. */
function render(template: string, v: Record<string, string | undefined>, encode: boolean): string | undefined {
  let missing = false
  const out = template.replace(/\{(\w+)\}/g, (_, k: string) => {
    const x = v[k]
    if (x === undefined) missing = true
    return encode ? encodeURIComponent(x ?? '') : (x ?? '')
  })
  return missing ? undefined : out
}

/**
 * Parses one `[[domains]]` entry of service `svc`.
 * @throws ConfigError naming the key.
 */
export function parseEntry(svc: TokenService, t: Table, path: string, ctx: ParseCtx): ParsedEntry<TokenSettings> {
  rejectUnknown(t, [...svc.keys.map(keyOf), 'hostname', 'base_url', 'resolver'], path)
  const values: Record<string, string> = {}
  for (const spec of svc.keys) {
    const k = keyOf(spec)
    if (spec.endsWith('?') && t[k] === undefined) continue
    values[k] = SECRETS.includes(k) ? reqSecret(t, k, path, (s) => ctx.secret(s), ctx.warn) : reqString(t, k, path)
  }
  for (const k of ['url', 'url6']) {
    const u = values[k]
    if (u !== undefined && !/^https?:\/\/[^\s/@]+\//i.test(`${u}/`)) throw new ConfigError(keyPath(path, k), 'must be the http(s) update URL the service gave for the record')
  }
  if (svc.keys.includes('url?') && values.url === undefined && values.url6 === undefined) throw new ConfigError(keyPath(path, 'url'), 'is required (or url6 for an IPv6-only entry)')
  if (values.domain !== undefined) values.domain = normalizeDomain(values.domain, keyPath(path, 'domain'))
  const hosts = parseHostnames(t, 'hostname', path, ctx.warn)
  if (svc.single && hosts.length > 1) throw new ConfigError(keyPath(path, 'hostname'), 'takes one host name: the secret belongs to one record (add an entry per host)')
  const d = values.domain
  if (d !== undefined) {
    for (const h of hosts) if (h !== d && !h.endsWith(`.${d}`)) throw new ConfigError(keyPath(path, 'hostname'), `${h} is not inside ${d}`)
  }
  const base = optUrl(t, 'base_url', path)
  const resolver = parseResolver(t, path)
  const secret = SECRETS.map((k) => values[k]).find((v) => v !== undefined) ?? ''
  const server = base ?? (svc.url.startsWith('{') ? 'url' : new URL(svc.url).host)
  const user = values.username ?? values.record_id
  return {
    settings: { path, values, hosts, ...(base ? { base } : {}), ...(resolver ? { resolver } : {}) },
    names: hosts,
    account: `${svc.name}:${server.replace(/^https?:\/\//, '')}:${user ?? `key-${fingerprint(secret)}`}`,
  }
}

/** The placeholder values of one request. */
function valuesOf(s: TokenSettings, u: Unit, family: Family | undefined): Record<string, string | undefined> {
  const v: Record<string, string | undefined> = { ...s.values, host: u.host, ip4: u.v4, ip6: u.v6, ip: family === 6 ? u.v6 : (u.v4 ?? u.v6) }
  // A record with its own secret per family: the IPv6 request takes the `6` one. A token may
  // serve both families (afraid.org links several records to one token); a URL never does.
  if (family === 6) Object.assign(v, { token: s.values.token6 ?? s.values.token, url: s.values.url6 })
  if (family !== undefined) v.type = family === 6 ? 'AAAA' : 'A'
  const d = s.values.domain
  if (d !== undefined) {
    const sub = relativeName(u.host, d)
    Object.assign(v, { sub, sub0: sub === '@' ? '' : sub, root: String(sub === '@') })
  }
  return v
}

/**
 * The request for one unit: method, URL, body and headers.
 * @throws ConfigError when a template needs a key the entry lacks (`url6` for an IPv6 record).
 */
export function buildRequest(svc: TokenService, s: TokenSettings, u: Unit, family: Family | undefined, ctx?: Ctx): { method: string; url: string; body?: string; headers: Record<string, string> } {
  const v = valuesOf(s, u, family)
  const template = family === 6 && svc.url6 ? svc.url6 : svc.url
  const raw = template === '{url}' ? v.url : render(template, v, true)
  if (raw === undefined) {
    const k = family === 6 && svc.keys.includes('url6?') ? 'url6' : 'url'
    throw new ConfigError(keyPath(s.path, k), `is required for ${family === 6 ? 'AAAA' : 'A'} records`)
  }
  const url = new URL(raw)
  if (s.base) {
    const b = new URL(s.base)
    url.protocol = b.protocol
    url.host = b.host
  }
  const params = new URLSearchParams()
  for (const [k, t] of svc.params) {
    const x = render(t, v, false)
    if (x !== undefined) params.set(k, x)
  }
  const headers: Record<string, string> = { 'user-agent': USER_AGENT }
  if (svc.basic && ctx) headers.authorization = basicAuth(ctx, render(svc.basic[0], v, false) ?? '', render(svc.basic[1], v, false) ?? '')
  if (svc.post) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    return { method: 'POST', url: url.toString(), body: params.toString(), headers }
  }
  for (const [k, x] of params) url.searchParams.set(k, x)
  return { method: 'GET', url: url.toString(), headers }
}

/** What an error kind means, for messages. */
const MEANING: Partial<Record<AnswerRule[1], string>> = {
  auth: 'the credentials were refused',
  forbidden: 'the service refused the update',
  notfound: 'no such host or record in this account',
  invalid: 'the service refused the request',
  ratelimit: 'too many updates',
  provider: 'the service failed on its side',
}

/**
 * What an answer means: a success (`changed` or not) or the error to report.
 * Rules first, then dyndns2 words (`codes`), then the HTTP status; an unexplained 2xx is a
 * `protocol` failure.
 */
export function judge(svc: TokenService, res: HttpResponse, nowMs: number): PushResult {
  const body = res.body.replace(/^\uFEFF/, '').trim()
  const where = `${svc.name}: ${res.host}`
  for (const [match, kind, status, holdSec] of svc.answers) {
    if (status !== undefined ? status !== res.status : (kind === 'good' || kind === 'nochg') && !ok(res)) continue
    if (!new RegExp(match, 'im').test(body)) continue
    if (kind === 'good' || kind === 'nochg') return { ok: true, changed: kind === 'good' }
    const permanent = kind !== 'ratelimit' && kind !== 'provider' && kind !== 'transient'
    const hold = holdSec ?? (kind === 'provider' ? PROVIDER_FAILURE_HOLD_SEC : undefined)
    return {
      ok: false,
      error: new EdgeError(kind, `${where} answered ${status ?? ''}${status && body ? ' ' : ''}${body ? `"${snippet(body)}"` : ''}: ${MEANING[kind] ?? kind}`, {
        code: status ?? snippet(body),
        retryable: !permanent,
        ...(hold !== undefined ? { retryAfterSec: hold } : {}),
      }),
    }
  }
  if (svc.codes && knownAnswer(body)) {
    const v = classifyLine(body.split(/\r?\n/)[0] ?? '', {}, where)
    return v.ok ? { ok: true, changed: v.changed } : { ok: false, error: v.error }
  }
  if (!ok(res)) return { ok: false, error: statusError(svc.name, res, nowMs) }
  return {
    ok: false,
    error: new EdgeError('protocol', `${where} answered ${body ? `"${snippet(body)}"` : 'an empty body'}, which this service's documented answers do not explain`, {
      code: 'unknown',
      retryable: true,
      retryAfterSec: PROVIDER_FAILURE_HOLD_SEC,
    }),
  }
}

/** One unit per host (`both`), or per host and family. */
function plan(svc: TokenService, changes: Change[]): Unit[] {
  const together = svc.family === 'both' && !svc.url6
  const units = new Map<string, Unit>()
  for (const ch of changes) {
    const f = familyOfChange(ch)
    const k = together ? ch.ref.fqdn : `${ch.ref.fqdn} ${f}`
    const u = units.get(k) ?? { host: ch.ref.fqdn, changes: [] }
    if (f === 6) u.v6 = ch.value
    else u.v4 = ch.value
    u.changes.push(ch)
    units.set(k, u)
  }
  return [...units.values()]
}

/**
 * Builds the provider of one entry; does no I/O.
 * @param deps.readback replaces the system pieces of the DNS read-back (tests)
 */
export function createTokenProvider(svc: TokenService, s: TokenSettings, deps: { readback?: ReadbackDeps } = {}): Provider {
  const name = svc.name
  return pushProvider(name, s.resolver, deps, (changes, ctx) =>
    pushWrite(
      name,
      changes,
      'account',
      (ch) => (familyOfChange(ch) === 6 && svc.family === 'v4' ? ipv4Only(`${name} takes IPv4`) : undefined),
      (ok) => plan(svc, ok),
      async (u) => {
        const family = u.v4 !== undefined && u.v6 !== undefined ? undefined : u.v6 !== undefined ? 6 : 4
        return judge(svc, await send(ctx, name, buildRequest(svc, s, u, family, ctx)), ctx.now())
      },
    ),
  )
}

/** The provider definition of one service (its registry entry). */
export function tokenDef(svc: TokenService): ProviderDef<TokenSettings> {
  const keys: KeyDoc[] = svc.keys.map((spec) => {
    const key = keyOf(spec)
    return { key, required: !spec.endsWith('?'), ...(SECRETS.includes(key) ? { secret: true } : {}), doc: DOCS[key] ?? key }
  })
  keys.push(
    { key: 'hostname', required: true, doc: svc.single ? 'the full host name of the record' : 'full host name, or a list of them' },
    { key: 'base_url', required: false, doc: "update server (scheme and host); default: the service's" },
    RESOLVER_KEY,
  )
  return {
    name: svc.name,
    summary: svc.summary,
    docs: svc.docs,
    keys,
    capabilities: { read: 'dns', ipv6: svc.family !== 'v4', dualStackOneRequest: svc.family === 'both' && !svc.url6 },
    parse: (t, path, ctx) => parseEntry(svc, t, path, ctx),
    create: (settings) => createTokenProvider(svc, settings),
  }
}
