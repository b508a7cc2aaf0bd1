import { EdgeError, type ErrorKind } from '../../errors.js'

/**
 * GoDaddy Domains API v1 error answers turned into EdgeErrors.
 *
 * Every error answer of the records endpoints is a JSON `Error` object `{code, message, fields?}`
 * (`fields: [{path, code, message}]` for a body that breaks the schema), and a 429 is an
 * `ErrorLimit` that adds `retryAfterSec` (the Swagger definitions behind
 * https://developer.godaddy.com/doc/endpoint/domains#/v1/recordGet and
 * …#/v1/recordReplaceTypeName). The documented statuses are 400 (malformed), 401 (authentication
 * info not sent or invalid), 403 (authenticated user is not allowed access), 404 (resource not
 * found), 422 (record does not fulfil the schema, domain not valid), 429, 500 and 504.
 *
 * Seen in the field: 403 `ACCESS_DENIED` "Authenticated user is not allowed access" for every call
 * once GoDaddy limited the API to some accounts (BC-23, qdm12/ddns-updater#707); 404
 * `UNKNOWN_DOMAIN` "The given domain is not registered, or does not have a zone file"; 401
 * `UNABLE_TO_AUTHENTICATE`; 422 `INVALID_BODY` with `records[0].ttl` "must have a minimum value of 600".
 */

/** GoDaddy's `Error` / `ErrorLimit` body, as far as edge-ddns reads it. */
export interface GdErrorBody {
  code?: string
  message?: string
  fields?: { path?: string; code?: string; message?: string }[]
  retryAfterSec?: number
}

/** The parts of a failed answer an error is built from. */
export interface GdFailedAnswer {
  status: number
  host: string
  body: GdErrorBody
  /** Seconds from a `Retry-After` header, when there was one. */
  retryAfterHeaderSec?: number
}

/** GoDaddy's documented rate limit is 60 requests per minute per key: wait a minute when no figure came. */
export const DEFAULT_RATELIMIT_HOLD_SEC = 60

/** BC-23: the hint for 403 ACCESS_DENIED. */
export const ACCESS_DENIED_HINT =
  'GoDaddy restricts DNS API access by account type (since 2024 only accounts with 10 or more domains, or a Discount Domain Club plan, may use it); this is not a wrong key: ask GoDaddy, or move the DNS to another provider'

/** Reads an `Error` body from a parsed JSON answer (anything else gives an empty body). */
export function errorBodyOf(body: unknown): GdErrorBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {}
  const o = body as Record<string, unknown>
  const out: GdErrorBody = {}
  if (typeof o.code === 'string') out.code = o.code
  if (typeof o.message === 'string') out.message = o.message
  if (typeof o.retryAfterSec === 'number' && Number.isFinite(o.retryAfterSec) && o.retryAfterSec >= 0) out.retryAfterSec = Math.ceil(o.retryAfterSec)
  if (Array.isArray(o.fields)) {
    out.fields = o.fields
      .filter((f): f is Record<string, unknown> => typeof f === 'object' && f !== null)
      .map((f) => ({
        ...(typeof f.path === 'string' ? { path: f.path } : {}),
        ...(typeof f.code === 'string' ? { code: f.code } : {}),
        ...(typeof f.message === 'string' ? { message: f.message } : {}),
      }))
  }
  return out
}

/** `Authenticated user is not allowed access (ACCESS_DENIED)`, then `; path: message` per field. */
function describe(b: GdErrorBody, clean: (s: string) => string): string {
  const text = clean((b.message ?? '').trim())
  const head = text && b.code ? `${text} (${b.code})` : text || b.code || 'no error details'
  const fields = (b.fields ?? []).map((f) => clean([f.path, f.message ?? f.code].filter(Boolean).join(': '))).filter(Boolean)
  return fields.length ? `${head}: ${fields.join('; ')}` : head
}

/**
 * Builds the error for a failed answer:
 * `godaddy: HTTP 403 from api.godaddy.com: Authenticated user is not allowed access (ACCESS_DENIED)`.
 * `clean` redacts provider-supplied text (a misbehaving server might echo a credential).
 */
export function godaddyError(a: GdFailedAnswer, clean: (s: string) => string): EdgeError {
  const b = a.body
  const message = `godaddy: HTTP ${a.status} from ${a.host}: ${describe(b, clean)}`
  const code = b.code ?? a.status
  let kind: ErrorKind
  let hint: string | undefined
  let retryAfterSec: number | undefined
  let retryable: boolean | undefined
  if (a.status === 429 || b.code === 'TOO_MANY_REQUESTS') {
    kind = 'ratelimit'
    retryAfterSec = b.retryAfterSec ?? a.retryAfterHeaderSec ?? DEFAULT_RATELIMIT_HOLD_SEC
    hint = `GoDaddy allows 60 requests per minute per API key; waiting ${retryAfterSec} s before the next call`
  } else if (a.status === 401) {
    kind = 'auth'
    hint = 'check key and secret: a Production key from https://developer.godaddy.com/keys (OTE test keys work only on api.ote-godaddy.com)'
  } else if (a.status === 403) {
    kind = 'forbidden'
    retryable = false
    hint = b.code === 'ACCESS_DENIED' ? ACCESS_DENIED_HINT : 'the key works but may not manage this domain; check that the domain is in the account the key belongs to'
  } else if (b.code === 'UNKNOWN_DOMAIN' || b.code === 'NOT_FOUND' || a.status === 404) {
    kind = 'notfound'
    hint = "check `domain`: it must be a domain of this key's account whose DNS GoDaddy hosts (nameservers *.domaincontrol.com)"
  } else if (a.status >= 500) {
    kind = 'transient'
  } else if (a.status === 400 || a.status === 422) {
    kind = 'invalid'
  } else {
    kind = 'provider'
  }
  return new EdgeError(kind, message, {
    code,
    ...(retryable !== undefined ? { retryable } : {}),
    ...(hint ? { hint } : {}),
    ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
  })
}
