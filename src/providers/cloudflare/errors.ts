import { EdgeError, type ErrorKind } from '../../errors.js'

/**
 * Cloudflare API v4 error envelopes turned into EdgeErrors.
 *
 * Every v4 answer is `{success, errors:[{code, message, error_chain?}], messages, result}`
 * (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/). The HTTP status
 * alone is not enough: an unusable token comes back as 400 with code 6003 ("Invalid request
 * headers", chained 6111), a revoked one as 403 with 9109 ("Invalid access token"), and a TTL
 * refusal as 400 with 9021, sometimes chained under 1004 "DNS Validation Error". A code Cloudflare
 * gave is better evidence than the status that carried it, so codes are read first.
 */

/** One entry of `errors` (or of an `error_chain`). */
export interface CfError {
  code?: number
  message?: string
  error_chain?: CfError[]
}

/** Codes that mean "these credentials are not accepted at all". */
const AUTH_CODES = new Set([
  1000, // Invalid API Token (token verify)
  6003, // Invalid request headers (malformed Authorization / X-Auth-* header)
  9103, // Unknown X-Auth-Key or X-Auth-Email
  9106, // Missing X-Auth-Key, X-Auth-Email or Authorization headers
  9109, // Invalid access token (also "Cannot use the access token from location", handled below)
])
/** Codes that mean "the record cannot coexist with what is at the name" (records-with-same-name page). */
const CONFLICT_CODES = new Set([81053, 81054, 81055, 81056, 81057, 81058])
/** Object identifiers that do not resolve: a zone or record deleted meanwhile, or a wrong id. */
const NOTFOUND_CODES = new Set([7000, 7003, 81044, 1001])
/** Throttling ("Please wait and consider throttling your request speed"). */
const RATELIMIT_CODES = new Set([971, 10100])

const TOKEN_HINT = 'check the token (or email and key); a token needs Zone:Read and DNS:Edit on the zone'

/**
 * How deep an `error_chain` is followed. Cloudflare's chains are one or two levels; a hostile or
 * broken answer nesting thousands must not overflow the stack or build a megabyte message.
 */
const MAX_CHAIN_DEPTH = 8

/** Every code of an error and its chain, outermost first. */
function codesOf(errors: CfError[]): number[] {
  const out: number[] = []
  const walk = (e: CfError): void => {
    if (typeof e.code === 'number') out.push(e.code)
    for (const c of e.error_chain ?? []) walk(c)
  }
  errors.forEach(walk)
  return out
}

/** The most specific code of the first error: the end of its chain, else its own. */
function mainCode(errors: CfError[]): number | undefined {
  let e: CfError | undefined = errors[0]
  let code: number | undefined
  while (e) {
    if (typeof e.code === 'number') code = e.code
    e = e.error_chain?.[e.error_chain.length - 1]
  }
  return code
}

/** `Invalid request headers (code 6003): Invalid format for Authorization header (code 6111)`. */
export function describeErrors(errors: CfError[], clean: (s: string) => string): string {
  const one = (e: CfError): string => {
    const raw = clean(String(e.message ?? 'error').trim()) || 'error'
    const text = raw.length > 300 ? `${raw.slice(0, 300)}…` : raw
    const head = typeof e.code === 'number' ? `${text} (code ${e.code})` : text
    const chain = (e.error_chain ?? []).map(one)
    return chain.length ? `${head}: ${chain.join('; ')}` : head
  }
  const all = errors.slice(0, 5).map(one).join('; ')
  return all.length > 2000 ? `${all.slice(0, 2000)}…` : all
}

/** Reads `errors` from an answer that may or may not be an envelope. */
export function errorsOf(body: unknown): CfError[] {
  if (typeof body !== 'object' || body === null) return []
  const errs = (body as { errors?: unknown }).errors
  if (!Array.isArray(errs)) return []
  // Normalising is where the depth is cut: everything after works on at most MAX_CHAIN_DEPTH levels.
  const norm = (x: unknown, depth: number): CfError => {
    if (typeof x !== 'object' || x === null) return { message: String(x) }
    const o = x as Record<string, unknown>
    const e: CfError = {}
    if (typeof o.code === 'number') e.code = o.code
    else if (typeof o.code === 'string' && /^\d+$/.test(o.code)) e.code = Number(o.code)
    if (typeof o.message === 'string') e.message = o.message
    if (Array.isArray(o.error_chain) && depth < MAX_CHAIN_DEPTH) e.error_chain = o.error_chain.slice(0, 5).map((c) => norm(c, depth + 1))
    return e
  }
  return errs.slice(0, 10).map((x) => norm(x, 0))
}

/** The parts of an HTTP answer an error is built from. */
export interface FailedAnswer {
  status: number
  host: string
  errors: CfError[]
  /** Seconds from `Retry-After`, when the answer had one. */
  retryAfterSec?: number
}

/** What Cloudflare's rate limit window is when no `Retry-After` came: 5 minutes. */
export const DEFAULT_RATELIMIT_HOLD_SEC = 300

/**
 * Builds the error for a failed v4 answer:
 * `cloudflare: HTTP 403 from api.cloudflare.com: Invalid access token (code 9109)`.
 * `clean` redacts provider-supplied text (a misbehaving server might echo a credential).
 */
export function cloudflareError(a: FailedAnswer, clean: (s: string) => string): EdgeError {
  const codes = codesOf(a.errors)
  const text = a.errors.length ? describeErrors(a.errors, clean) : a.status >= 200 && a.status < 300 ? 'success is false and no error was given' : 'no error details'
  const message = `cloudflare: HTTP ${a.status} from ${a.host}: ${text}`
  const code = mainCode(a.errors) ?? a.status
  const has = (set: Set<number>): boolean => codes.some((c) => set.has(c))
  const ipFiltered = a.errors.some((e) => e.code === 9109 && /location/i.test(e.message ?? ''))

  let kind: ErrorKind
  let hint: string | undefined
  let retryAfterSec: number | undefined
  if (a.status === 429 || has(RATELIMIT_CODES)) {
    kind = 'ratelimit'
    retryAfterSec = a.retryAfterSec ?? DEFAULT_RATELIMIT_HOLD_SEC
    hint = `Cloudflare allows 1200 requests per 5 minutes per user; waiting ${retryAfterSec} s before the next call`
  } else if (ipFiltered) {
    kind = 'forbidden'
    hint = "the token's Client IP Address Filtering does not allow this host's address; add it at Cloudflare"
  } else if (has(AUTH_CODES) || a.status === 401) {
    kind = 'auth'
    hint = TOKEN_HINT
  } else if (a.status === 403 || codes.includes(10000)) {
    kind = 'forbidden'
    hint = 'the credentials work but may not do this; a token needs Zone:Read and DNS:Edit on the zone'
  } else if (has(CONFLICT_CODES)) {
    kind = 'conflict'
    hint = 'an A/AAAA record cannot share its name with a CNAME; see https://developers.cloudflare.com/dns/manage-dns-records/troubleshooting/records-with-same-name/'
  } else if (has(NOTFOUND_CODES) || a.status === 404) {
    kind = 'notfound'
  } else if (a.status >= 500) {
    kind = 'transient'
  } else if (a.status === 400 || codes.some((c) => c === 1004 || (c >= 9000 && c < 10000))) {
    kind = 'invalid'
  } else {
    kind = 'provider'
  }
  return new EdgeError(kind, message, {
    code,
    hint,
    retryAfterSec,
  })
}

