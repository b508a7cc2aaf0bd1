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
  const o: Record<string, unknown> = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {}
  const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined)
  const after = o.retryAfterSec
  return {
    code: str(o.code),
    message: str(o.message),
    retryAfterSec: typeof after === 'number' && Number.isFinite(after) && after >= 0 ? Math.ceil(after) : undefined,
    fields: Array.isArray(o.fields) ? o.fields.filter((f) => typeof f === 'object' && f !== null).map((f) => ({ path: str(f.path), code: str(f.code), message: str(f.message) })) : undefined,
  }
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
  const { body: b, status: st } = a
  const retryAfterSec = b.retryAfterSec ?? a.retryAfterHeaderSec ?? DEFAULT_RATELIMIT_HOLD_SEC
  const [kind, hint]: [ErrorKind, string?] =
    st === 429 || b.code === 'TOO_MANY_REQUESTS'
      ? ['ratelimit', `GoDaddy allows 60 requests per minute per API key; waiting ${retryAfterSec} s before the next call`]
      : st === 401
        ? ['auth', 'check key and secret: a Production key from https://developer.godaddy.com/keys (OTE test keys work only on api.ote-godaddy.com)']
        : st === 403
          ? ['forbidden', b.code === 'ACCESS_DENIED' ? ACCESS_DENIED_HINT : 'the key works but may not manage this domain; check that the domain is in the account the key belongs to']
          : b.code === 'UNKNOWN_DOMAIN' || b.code === 'NOT_FOUND' || st === 404
            ? ['notfound', "check `domain`: it must be a domain of this key's account whose DNS GoDaddy hosts (nameservers *.domaincontrol.com)"]
            : [st >= 500 ? 'transient' : st === 400 || st === 422 ? 'invalid' : 'provider']
  return new EdgeError(kind, `godaddy: HTTP ${st} from ${a.host}: ${describe(b, clean)}`, { code: b.code ?? st, hint, ...(kind === 'ratelimit' ? { retryAfterSec } : {}) })
}
