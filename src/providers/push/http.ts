import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError, type ErrorKind } from '../../errors.js'
import { snippet, type HttpRequest, type HttpResponse } from '../../net/http.js'
import { VERSION } from '../../version.js'
import { parseRetryAfter } from '../../net/http.js'

/**
 * HTTP pieces shared by the push-only providers: the User-Agent, Basic credentials, one send with
 * a debug line, and HTTP statuses turned into EdgeErrors.
 *
 * Credentials never go into URL userinfo (`https://user:pass@host/`): a `#` there starts a
 * fragment and a `:` splits the pair (BC-28). Basic credentials are the base64 of the exact
 * UTF-8 bytes of `user:password`; query and form values are built with URLSearchParams.
 */

/**
 * The User-Agent of update requests, in No-IP's software-client form "Company
 * NameOfProgram/OSVersion-ReleaseVersion" (https://www.noip.com/integrate/request; Dyn asks the
 * same, https://help.dyn.com/remote-access-api/perform-update/). A service that refuses a client
 * answers `badagent`. The contact part is the user's: providers that need it take `user_agent`.
 */
export const USER_AGENT = `edge-ddns edge-ddns/${process.platform}-${VERSION}`

/**
 * The value of an `Authorization: Basic` header for `user` and `password`, registering its base64
 * form with the run's redactor so an echoed header cannot leak (RFC 7617: base64 of the UTF-8 bytes
 * of `user:password`).
 */
export function basicAuth(ctx: Ctx, user: string, password: string): string {
  ctx.redactor.addBasic(user, password)
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`
}


/** Hold-off in seconds after a 429 without a usable `Retry-After`. */
export const DEFAULT_RATELIMIT_HOLD_SEC = 300

/**
 * Sends one request with the run's signal and HTTP timeout, logging `<provider>: <METHOD> <url>`
 * at debug level (the logger redacts registered secrets, query values included).
 * @throws EdgeError from the HTTP client (kind `transient` on timeout or connection failure),
 *   with `<provider>: ` put before its message.
 */
export async function send(ctx: Ctx, provider: string, req: HttpRequest): Promise<HttpResponse> {
  const method = (req.method ?? 'GET').toUpperCase()
  ctx.log.debug(`${provider}: ${method} ${req.url}`)
  try {
    const res = await ctx.http.request({ ...req, method, signal: ctx.signal, timeoutMs: req.timeoutMs ?? ctx.timeouts.httpMs })
    ctx.log.debug(`${provider}: HTTP ${res.status} from ${res.host}: ${snippet(res.body)}`)
    return res
  } catch (e) {
    throw toEdgeError(e).withContext(provider)
  }
}

/**
 * An EdgeError for a non-2xx answer whose body the protocol does not explain:
 * 401 `auth`, 403 `forbidden`, 404 `notfound`, 400/422 `invalid` (all permanent), 429 `ratelimit`
 * with the `Retry-After` seconds (300 when absent), 5xx `transient`, anything else `protocol`
 * (a redirect names its `Location`).
 * The message names the provider, the status, the host and the first line of the body.
 */
export function statusError(provider: string, res: HttpResponse, nowMs: number, hint?: string): EdgeError {
  const st = res.status
  const body = snippet(res.body)
  let what = `${provider}: HTTP ${st} from ${res.host}${body ? `: ${body}` : ''}`
  const kind: ErrorKind = KINDS[st] ?? (st >= 500 ? 'transient' : 'protocol')
  let retryAfterSec: number | undefined
  if (kind === 'ratelimit') {
    retryAfterSec = parseRetryAfter(res.headers['retry-after'], nowMs) ?? DEFAULT_RATELIMIT_HOLD_SEC
    what += ` (retry after ${retryAfterSec} s)`
  }
  // Redirects are not followed (src/net/http.ts): a service that moved says where to.
  const loc = st >= 300 && st < 400 ? res.headers.location : undefined
  if (typeof loc === 'string' && loc) what += ` (moved to ${loc}; set base_url or server)`
  return new EdgeError(kind, what, { code: st, hint, retryAfterSec })
}

const KINDS: Record<number, ErrorKind> = { 400: 'invalid', 401: 'auth', 403: 'forbidden', 404: 'notfound', 422: 'invalid', 429: 'ratelimit' }

/** True for a 2xx status. */
export function ok(res: HttpResponse): boolean {
  return res.status >= 200 && res.status < 300
}

/**
 * Whether the rest of an account's requests should still be sent after `e`: not after refused
 * credentials, a block, a rate limit, the provider's own failure or a network failure, since
 * the next request would meet the same answer (and hammering a refusing service gets accounts
 * blocked, BC-02, BC-05). Host-scoped refusals (unknown host, bad name) stop nothing.
 */
export function stopsAccount(e: EdgeError): boolean {
  return e.kind !== 'notfound' && e.kind !== 'invalid' && e.kind !== 'conflict' && e.kind !== 'config'
}
