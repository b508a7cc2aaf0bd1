import { EdgeError, type ErrorKind } from '../../errors.js'

/**
 * Porkbun API v3 error answers turned into EdgeErrors.
 *
 * Porkbun answers every call with JSON `{"status": "SUCCESS" | "ERROR", "message"?: ...}`
 * (https://porkbun.com/api/json/v3/documentation, "Errors"); failures come with HTTP 400 and
 * nothing but the English `message` to tell them apart (newer answers may add a `code`, kept as
 * the error's code when present). Messages seen in the field and mapped here:
 * - "Invalid API key. (001)" / "(002)" (davidramiro/frigabun#12, jeessy2/ddns-go#388) → `auth`;
 * - "Domain is not opted in to API access." (jeessy2/ddns-go#1015): API access is a per-domain
 *   switch, off by default → `forbidden`;
 * - "Invalid domain." (acmesh-official/acme.sh#3450): not a domain of this account → `notfound`;
 * - "Edit error: We were unable to edit the DNS record." (qdm12/ddns-updater#561, BC-22) and
 *   "Create error: We were unable to create the DNS record." (qdm12/ddns-updater#527, #731,
 *   often the parked-domain ALIAS/CNAME) → `invalid`.
 * Rate limiting shows as an HTML 502/503 from Porkbun's proxy (BC-06; qdm12/ddns-updater#523,
 * #911, DNSControl/dnscontrol#3225), handled by the caller as `transient`, or as a 429.
 */

/** The parts of a failed answer an error is built from. */
export interface PbFailedAnswer {
  status: number
  host: string
  /** Porkbun's `message` (may be empty). */
  message: string
  /** Porkbun's `code`, when the answer had one. */
  code?: string
  /** Seconds from a `Retry-After` header, when there was one. */
  retryAfterSec?: number
  /** The entry's domain, for hints. */
  domain: string
}

/** Without a `Retry-After`, wait a minute after a rate limit (Porkbun documents no figure). */
export const DEFAULT_RATELIMIT_HOLD_SEC = 60

/** BC-25: the hint when something other than the API answers at the base URL (the old porkbun.com host answers 403 HTML). */
export const NOT_THE_API_HINT =
  "Porkbun's API answers at https://api.porkbun.com/api/json/v3 (the old host porkbun.com stopped serving it on 2024-12-01); remove base_url or set it to that URL"

/**
 * Builds the error for a failed answer:
 * `porkbun: HTTP 400 from api.porkbun.com: Domain is not opted in to API access.`.
 * `clean` redacts provider-supplied text (a misbehaving server might echo a credential).
 */
export function porkbunError(a: PbFailedAnswer, clean: (s: string) => string): EdgeError {
  const st = a.status
  const m = a.message.toLowerCase()
  const retryAfterSec = a.retryAfterSec ?? DEFAULT_RATELIMIT_HOLD_SEC
  const [kind, hint]: [ErrorKind, string?] =
    st === 429 || /rate limit|too many requests/.test(m)
      ? ['ratelimit', `Porkbun throttles bursts of API calls; waiting ${retryAfterSec} s before the next call`]
      : /invalid api key|api keys? (?:is |are )?required|missing (?:secret ?)?api ?key|invalid user/.test(m) || st === 401
        ? ['auth', 'check key (the API key, pk1_…) and secret (the secret API key, sk1_…) from https://porkbun.com/account/api; the two are easily swapped']
        : /opted in to api access|api access/.test(m) || st === 403
          ? ['forbidden', `turn on API ACCESS for ${a.domain} at https://porkbun.com/account/domainsSpeedy (it is off for each domain until switched on)`]
          : /invalid domain/.test(m) || st === 404
            ? ['notfound', `check domain: ${a.domain} must be a domain of this Porkbun account (the registered domain, not a subdomain)`]
            : st >= 500
              ? ['transient']
              : /^create error/.test(m)
                ? ['invalid', 'Porkbun refuses a record that clashes with one at the same name, such as the ALIAS at @ and the CNAME at * it puts on parked domains (pixie.porkbun.com); delete those at porkbun.com']
                : /^edit error/.test(m)
                  ? ['invalid', 'the record may have been changed or deleted at Porkbun since it was read; the next run reads it again']
                  : [st >= 400 && st < 500 ? 'invalid' : 'provider']
  return new EdgeError(kind, `porkbun: HTTP ${st} from ${a.host}: ${clean(a.message.trim()) || 'no error details'}`, {
    code: a.code ?? st,
    hint,
    ...(kind === 'ratelimit' ? { retryAfterSec } : {}),
  })
}
