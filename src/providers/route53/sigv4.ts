import { canonicalQuery, hmac, hmacChain, sha256hex } from '../sign/hmac.js'

/**
 * AWS Signature Version 4, header form, written on `node:crypto`
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-create-signed-request.html).
 * Checked against AWS's published test suite (aws-sig-v4-test-suite; see test/fixtures/route53).
 *
 * The caller gives the path already in its canonical form: Route 53's paths are fixed segments and
 * a hosted zone id of letters and digits, so no segment needs encoding.
 */

/** An access key pair, with the session token of temporary credentials. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
}

/** What is signed of one request. */
export interface SigV4Request {
  method: string
  /** `host[:port]`, exactly as the Host header will carry it. */
  host: string
  /** Canonical URI, e.g. `/2013-04-01/hostedzone/Z1/rrset`. */
  path: string
  /** Query parameters (unencoded); the URL must carry `canonicalQuery(query)`. */
  query?: Record<string, string>
  /** Further headers to sign and send (`content-type`), lower-case names. */
  headers?: Record<string, string>
  /** The body as sent (UTF-8); '' for none. */
  body?: string
}

/** `20150830T123600Z` for a time in milliseconds since the epoch. */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]|\.\d{3}/g, '')
}

/**
 * The headers that authenticate `req` at time `nowMs`: `x-amz-date`, `x-amz-security-token` (with a
 * session token, signed too) and `authorization`, plus the request's own `headers`. Header values
 * are trimmed and inner runs of spaces collapsed, as the canonical form asks.
 */
export function signV4(req: SigV4Request, creds: AwsCredentials, region: string, service: string, nowMs: number): Record<string, string> {
  const date = amzDate(nowMs)
  const headers: Record<string, string> = { ...req.headers, host: req.host, 'x-amz-date': date }
  if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken
  const names = Object.keys(headers).sort()
  const signed = names.join(';')
  const canonical = [
    req.method,
    req.path,
    canonicalQuery(req.query ?? {}),
    names.map((n) => `${n}:${String(headers[n]).trim().replace(/ +/g, ' ')}\n`).join(''),
    signed,
    sha256hex(req.body ?? ''),
  ].join('\n')
  const scope = `${date.slice(0, 8)}/${region}/${service}/aws4_request`
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${sha256hex(canonical)}`
  const key = hmacChain(`AWS4${creds.secretAccessKey}`, [date.slice(0, 8), region, service, 'aws4_request'])
  const signature = hmac('sha256', key, toSign).toString('hex')
  delete headers.host
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signed}, Signature=${signature}`
  return headers
}
