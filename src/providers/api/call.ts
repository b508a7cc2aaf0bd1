import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError, type ErrorKind } from '../../errors.js'
import { snippet, type HttpResponse } from '../../net/http.js'
import { parseRetryAfter } from '../../net/http.js'

/**
 * One call of a JSON REST API, shared by the API providers of this folder (DigitalOcean, Hetzner,
 * Gandi, IONOS, ClouDNS, PowerDNS, TransIP, Azure): credentials in the headers (or the form body)
 * the service documents, never in the URL; one debug line per call naming the path and status;
 * every non-2xx answer turned into an EdgeError whose kind follows the status:
 *
 * | status | kind |
 * |---|---|
 * | 400, 405, 406, 422 | `invalid` (permanent) |
 * | 401 | `auth` (permanent) |
 * | 403 | `forbidden` (permanent) |
 * | 404 | `notfound` (permanent) |
 * | 409 | `conflict` (permanent) |
 * | 412 (the record changed since it was read) | `transient` |
 * | 429 | `ratelimit`, holding off `Retry-After` seconds, else until a `RateLimit-Reset` / `X-Rate-Limit-Reset` time, else 60 s |
 * | 5xx, timeout, refused connection | `transient` |
 * | anything else (a redirect: the API moved) | `protocol` |
 *
 * The message is `<provider>: HTTP <status> from <host>: <the service's own error text>`, the
 * text redacted; an HTML page where JSON is due says `unexpected text/html` (BC-25).
 */

/** One request, relative to the API's base URL. */
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

/** An API: its name (for messages), base URL, credentials and error envelope. */
export interface Api {
  name: string
  /** Base URL without a trailing slash. */
  base: string
  /** Headers every call carries (the credentials); may fetch a token first. */
  auth?: (ctx: Ctx) => Record<string, string> | Promise<Record<string, string>>
  /** The error text of a parsed error body: a string, a list of strings, or nothing. */
  text: (body: any) => unknown
}

const KINDS: Record<number, ErrorKind> = {
  400: 'invalid',
  401: 'auth',
  403: 'forbidden',
  404: 'notfound',
  405: 'invalid',
  406: 'invalid',
  409: 'conflict',
  412: 'transient',
  422: 'invalid',
  429: 'ratelimit',
}

/** Hold-off in seconds after a 429 that names no time. */
export const RATELIMIT_HOLD_SEC = 60

/**
 * Seconds to wait after a 429: `Retry-After` (RFC 9110 section 10.2.3), else a rate-limit reset
 * time (Unix seconds; DigitalOcean, Hetzner, TransIP), else RATELIMIT_HOLD_SEC.
 */
export function holdOff(res: HttpResponse, nowMs: number): number {
  const after = parseRetryAfter(res.headers['retry-after'], nowMs)
  if (after !== undefined) return after
  const reset = Number(res.headers['ratelimit-reset'] ?? res.headers['x-ratelimit-reset'] ?? res.headers['x-rate-limit-reset'])
  if (reset > 1e9) return Math.max(1, Math.ceil(reset - nowMs / 1000))
  return RATELIMIT_HOLD_SEC
}

/** Flattens an error text (string, list, nested lists) to one line. */
export function flat(x: unknown): string {
  if (Array.isArray(x)) return x.map(flat).filter(Boolean).join('; ')
  return typeof x === 'string' ? x.trim() : ''
}

/**
 * The EdgeError for a failed answer (kind from the status, see the table above). `msg` is the
 * service's text; it is redacted here.
 */
export function fail(ctx: Ctx, name: string, res: HttpResponse, msg: string): EdgeError {
  const st = res.status
  const k = KINDS[st] ?? (st >= 500 ? 'transient' : 'protocol')
  const text = ctx.redactor.redact(msg)
  return new EdgeError(k, `${name}: HTTP ${st} from ${res.host}${text ? `: ${text}` : ''}`, {
    code: st,
    ...(k === 'ratelimit' ? { retryAfterSec: holdOff(res, ctx.now()) } : {}),
  })
}

/**
 * Sends one request and returns the parsed JSON body of a 2xx answer (undefined when empty), or
 * null when `r.absent` says the answer means "no such record".
 * @throws EdgeError: the HTTP client's `transient` errors prefixed with the API name; `protocol`
 *   for a 2xx body that is not JSON; otherwise as `fail` for a non-2xx answer.
 */
export async function call(ctx: Ctx, api: Api, r: Req): Promise<any> {
  const method = r.method ?? 'GET'
  let res: HttpResponse
  try {
    const headers: Record<string, string> = { accept: 'application/json', ...(await api.auth?.(ctx)), ...r.headers }
    let body: string | undefined
    if (r.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded'
      body = new URLSearchParams(r.form).toString()
    } else if (r.json !== undefined || r.raw !== undefined) {
      headers['content-type'] = 'application/json'
      body = r.raw ?? JSON.stringify(r.json)
    }
    res = await ctx.http.request({
      method,
      url: api.base + r.path,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: ctx.timeouts.httpMs,
      // A zone listing may be large; 8 MiB is thousands of records.
      maxBytes: 8 << 20,
      signal: ctx.signal,
    })
  } catch (e) {
    const err = toEdgeError(e)
    // An error from fetching the token is already named.
    throw err.message.startsWith(`${api.name}:`) ? err : err.withContext(api.name)
  }
  ctx.log.debug(`${api.name}: ${method} ${r.path}: HTTP ${res.status}`)
  const text = res.body.trim()
  const ct = res.contentType
  let body: any
  if (text && (ct === '' || ct.includes('json'))) {
    try {
      body = JSON.parse(text)
    } catch {
      /* not JSON: handled below */
    }
  }
  if (r.absent?.(res.status, body)) return null
  if (res.status >= 200 && res.status < 300) {
    if (text && body === undefined) {
      throw new EdgeError('protocol', `${api.name}: unexpected ${ct || 'non-JSON content'} from ${res.host} (HTTP ${res.status})`)
    }
    return body
  }
  throw fail(ctx, api.name, res, body === undefined ? (ct.includes('html') ? `unexpected ${ct}` : snippet(text)) : flat(api.text(body)))
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
