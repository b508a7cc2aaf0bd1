import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError, type ErrorKind } from '../../errors.js'
import { parseJson, parseRetryAfter, snippet, type HttpRequest, type HttpResponse } from '../../net/http.js'
import { queued } from './provider.js'

/**
 * HTTP calls of the API providers (the JSON REST APIs of this folder, the signed APIs Route 53,
 * Alibaba Cloud DNS and DNSPod, GoDaddy, Porkbun and Cloudflare): one send with a debug line that
 * never shows a credential, and one table that turns a failed answer into an EdgeError.
 *
 * | status | kind |
 * |---|---|
 * | 400 and other 4xx | `invalid` (permanent) |
 * | 401 | `auth` (permanent) |
 * | 403 | `forbidden` (permanent) |
 * | 404 | `notfound` (permanent) |
 * | 409 | `conflict` (permanent) |
 * | 412 (the record changed since it was read) | `transient` |
 * | 429 | `ratelimit`, holding off `Retry-After` seconds, else until a `RateLimit-Reset` / `X-Rate-Limit-Reset` time, else 60 s |
 * | 5xx, timeout, refused connection | `transient` |
 * | 2xx carrying an error (DNSPod answers errors with 200) | `provider` |
 * | anything else (a redirect: the API moved) | `protocol` |
 *
 * A service's own error codes come first where it has a table of them (`KindRow`s). The message
 * is `<provider>: HTTP <status> from <host>: <the service's own error text>`, redacted; an HTML
 * page where JSON is due says `unexpected text/html` (BC-25).
 */

/**
 * Sends one request with the run's signal and HTTP timeout. Logs `<name>: <label>: HTTP <status>
 * <content type>, <n> bytes` at debug level (`ct` false leaves the content type out): the label
 * names the call (`GET /v1/...`, `ModifyRecord`), never a signed URL or a header.
 * @throws EdgeError from the HTTP client (kind `transient` on timeout or connection failure),
 *   prefixed with `<name>: `.
 */
export async function send(ctx: Ctx, name: string, label: string, req: HttpRequest, ct = true): Promise<HttpResponse> {
  let res: HttpResponse
  try {
    res = await ctx.http.request({ timeoutMs: ctx.timeouts.httpMs, ...req, signal: ctx.signal })
  } catch (e) {
    throw toEdgeError(e).withContext(name)
  }
  ctx.log.debug(`${name}: ${label}: HTTP ${res.status}${ct && res.contentType ? ` ${res.contentType}` : ''}, ${res.body.length} bytes`)
  return res
}

/** True for a 2xx status. */
export const ok = (res: HttpResponse): boolean => res.status >= 200 && res.status < 300

/** A row of a service's error table: a pattern tested on `<Code> <Message>`, and the kind it means. */
export type KindRow = readonly [RegExp, ErrorKind]

/** Hints per kind: one sentence telling the user what to do. */
export type Hints = Partial<Record<ErrorKind, string>>

const KINDS: Record<number, ErrorKind> = { 401: 'auth', 403: 'forbidden', 404: 'notfound', 409: 'conflict', 412: 'transient', 429: 'ratelimit' }

/** Signatures carry the time; every signed service refuses a clock off by more than minutes. */
const CLOCK_HINT = 'the signature carries the time: set the system clock right (NTP)'

/** Hold-off in seconds after a 429 that names no time. */
export const RATELIMIT_HOLD_SEC = 60

/**
 * Seconds to wait after a 429: `Retry-After` (RFC 9110 section 10.2.3), else a rate-limit reset
 * time (Unix seconds; DigitalOcean, Hetzner, TransIP), else `dflt`.
 */
export function holdOff(res: HttpResponse, nowMs: number, dflt = RATELIMIT_HOLD_SEC): number {
  const after = parseRetryAfter(res.headers['retry-after'], nowMs)
  if (after !== undefined) return after
  const reset = Number(res.headers['ratelimit-reset'] ?? res.headers['x-ratelimit-reset'] ?? res.headers['x-rate-limit-reset'])
  if (reset > 1e9) return Math.max(1, Math.ceil(reset - nowMs / 1000))
  return dflt
}

/**
 * The EdgeError for a failed answer: `<name>: HTTP <status> from <host>: <code>: <text>` (redacted;
 * `no error details` when the service gave none), the kind from the first row of `rows` matching
 * `<code> <text>`, else from the status (table above).
 */
export function fail(ctx: Ctx, name: string, res: HttpResponse, text: string, code = '', rows: readonly KindRow[] = [], hints: Hints = {}): EdgeError {
  const st = res.status
  const kind = rows.find(([re]) => re.test(`${code} ${text}`))?.[1] ?? KINDS[st] ?? (st >= 500 ? 'transient' : st >= 400 ? 'invalid' : ok(res) ? 'provider' : 'protocol')
  const hint = kind === 'clock' ? CLOCK_HINT : hints[kind]
  const what = [code, text.trim()].filter(Boolean).join(': ')
  return new EdgeError(kind, `${name}: HTTP ${st} from ${res.host}: ${ctx.redactor.redact(what) || 'no error details'}`, {
    code: code || st,
    hint,
    ...(kind === 'ratelimit' ? { retryAfterSec: holdOff(res, ctx.now()) } : {}),
  })
}

/**
 * The parsed JSON of `res`. A body that is not JSON is still a rate limit (429, holding off as
 * `holdOff` with `hint.hold` as its default) or an outage (5xx, `hint.transient`); otherwise it is
 * `protocol` "<name>: unexpected text/html from <host> (HTTP 403)" with `hint.protocol` (BC-25:
 * something else answers at the base URL).
 */
export function jsonOf(ctx: Ctx, name: string, res: HttpResponse, hint: { transient?: string; protocol?: string; hold?: number } = {}): unknown {
  try {
    return parseJson(res)
  } catch (e) {
    const st = res.status
    const msg = `${name}: ${toEdgeError(e).message}`
    if (st === 429) throw new EdgeError('ratelimit', msg, { code: 429, retryAfterSec: holdOff(res, ctx.now(), hint.hold) })
    const h = st >= 500 ? hint.transient : hint.protocol
    throw new EdgeError(st >= 500 ? 'transient' : 'protocol', msg, { code: st, hint: h })
  }
}

/** The JSON object in `body`, or undefined when it is not one. */
export function jsonObject(body: string): Record<string, any> | undefined {
  try {
    const v: unknown = JSON.parse(body)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, any>) : undefined
  } catch {
    return undefined
  }
}

/** The error for a 2xx answer that is not what the API sends: `unexpected text/html from <host>`. */
export function notTheApi(name: string, res: HttpResponse): EdgeError {
  return new EdgeError('protocol', `${name}: unexpected ${res.contentType || 'answer'} from ${res.host} (HTTP ${res.status})`, {
    code: res.status,
    hint: 'base_url must point at the API itself; remove it to use the default',
  })
}

/** One request of a JSON REST API, relative to its base URL. */
export interface Req {
  /** Default GET. */
  method?: string
  /** Path and query below the base URL (`/v2/domains/example.com/records?name=...`). */
  path: string
  /** Sent as `application/json`. */
  json?: unknown
  /** JSON text sent byte for byte (a signed body). */
  raw?: string
  /** Sent as `application/x-www-form-urlencoded` (ClouDNS, the OAuth token endpoint). */
  form?: Record<string, string>
  headers?: Record<string, string>
  /** True for an answer that means "no such record" (Azure's 404 `NotFound`): the call resolves to null. */
  absent?: (status: number, body: any) => boolean
}

/** A JSON REST API: its name (for messages), base URL, credentials and error envelope. */
export interface Api {
  name: string
  /** Base URL without a trailing slash. */
  base: string
  /** Headers every call carries (the credentials); may fetch a token first. */
  auth?: (ctx: Ctx) => Record<string, string> | Promise<Record<string, string>>
  /** The error text of a parsed error body: a string, a list of strings, or nothing. */
  text: (body: any) => unknown
}

/** Flattens an error text (string, list, nested lists) to one line. */
export function flat(x: unknown): string {
  if (Array.isArray(x)) return x.map(flat).filter(Boolean).join('; ')
  return typeof x === 'string' ? x.trim() : ''
}

/**
 * One call of a JSON REST API: credentials in the headers (or the form body) the service
 * documents, never in the URL. Returns the parsed JSON body of a 2xx answer (undefined when
 * empty), or null when `r.absent` says the answer means "no such record".
 * @throws EdgeError: `send`'s, prefixed with the API name; `protocol` for a 2xx body that is not
 *   JSON; otherwise as `fail` for a non-2xx answer.
 */
export async function call(ctx: Ctx, api: Api, r: Req): Promise<any> {
  const method = r.method ?? 'GET'
  const headers: Record<string, string> = { accept: 'application/json', ...(await api.auth?.(ctx)), ...r.headers }
  let body: string | undefined
  if (r.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded'
    body = new URLSearchParams(r.form).toString()
  } else if (r.json !== undefined || r.raw !== undefined) {
    headers['content-type'] = 'application/json'
    body = r.raw ?? JSON.stringify(r.json)
  }
  // A zone listing may be large; 8 MiB is thousands of records.
  const res = await send(ctx, api.name, `${method} ${r.path}`, { method, url: api.base + r.path, headers, ...(body !== undefined ? { body } : {}), maxBytes: 8 << 20 })
  const text = res.body.trim()
  const ct = res.contentType
  let b: any
  if (text && (ct === '' || ct.includes('json'))) {
    try {
      b = JSON.parse(text)
    } catch {
      /* not JSON: handled below */
    }
  }
  if (r.absent?.(res.status, b)) return null
  if (ok(res)) {
    if (text && b === undefined) throw new EdgeError('protocol', `${api.name}: unexpected ${ct || 'non-JSON content'} from ${res.host} (HTTP ${res.status})`)
    return b
  }
  throw fail(ctx, api.name, res, b === undefined ? (ct.includes('html') ? `unexpected ${ct}` : snippet(text)) : flat(api.text(b)))
}

/**
 * The list at `b[key]` (or `b` itself without a key) of a 2xx answer.
 * @throws EdgeError `protocol` when it is not a list: an answer without its list is never taken
 *   as "no records" (BC-34), which would create duplicates.
 */
export function listOf(api: Api, b: any, key?: string): any[] {
  const v = key ? b?.[key] : b
  if (!Array.isArray(v)) throw new EdgeError('protocol', `${api.name}: answer has no ${key ?? 'list'}`)
  return v
}

/**
 * One call of a signed API (Route 53, Alibaba Cloud DNS, DNSPod), as the next call of the entry's
 * account (`queued`): `req` is built, and so signed with the time, only when the call's turn has
 * come. The debug line names the call (`label`), never the signed URL or headers.
 */
export function signedSend(ctx: Ctx, name: string, s: { account: string; minGapMs: number }, label: string, req: () => HttpRequest): Promise<HttpResponse> {
  return queued(ctx, s.account, s.minGapMs, () => send(ctx, name, label, req(), false))
}
