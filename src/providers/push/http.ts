import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
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
  const body = snippet(res.body)
  const what = `${provider}: HTTP ${res.status} from ${res.host}${body ? `: ${body}` : ''}`
  const opts = { code: res.status, ...(hint ? { hint } : {}) }
  switch (res.status) {
    case 401:
      return new EdgeError('auth', what, { ...opts, retryable: false })
    case 403:
      return new EdgeError('forbidden', what, { ...opts, retryable: false })
    case 404:
      return new EdgeError('notfound', what, { ...opts, retryable: false })
    case 400:
    case 422:
      return new EdgeError('invalid', what, { ...opts, retryable: false })
    case 429: {
      const retryAfterSec = parseRetryAfter(res.headers['retry-after'], nowMs) ?? DEFAULT_RATELIMIT_HOLD_SEC
      return new EdgeError('ratelimit', `${what} (retry after ${retryAfterSec} s)`, { ...opts, retryAfterSec })
    }
    default: {
      if (res.status >= 500) return new EdgeError('transient', what, opts)
      // Redirects are not followed (src/net/http.ts): a service that moved says where to.
      const loc = res.status >= 300 && res.status < 400 ? res.headers.location : undefined
      const moved = typeof loc === 'string' && loc ? ` (moved to ${loc}; set base_url or server)` : ''
      return new EdgeError('protocol', `${what}${moved}`, { ...opts, retryable: false })
    }
  }
}

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
