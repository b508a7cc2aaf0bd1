import { createHash, createHmac } from 'node:crypto'

/**
 * Hashing and encoding shared by the signed-request providers: AWS Signature Version 4 (Route 53),
 * Alibaba Cloud RPC signature v1 (Alibaba Cloud DNS) and Tencent Cloud TC3-HMAC-SHA256 (DNSPod).
 * Strings are hashed as their UTF-8 bytes.
 */

/** Lower-case hex SHA-256 of `data`. */
export function sha256hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex')
}

/** HMAC of `data` with `key` (a string key is its UTF-8 bytes). */
export function hmac(alg: 'sha1' | 'sha256', key: string | Buffer, data: string): Buffer {
  return createHmac(alg, key).update(data, 'utf8').digest()
}

/**
 * HMAC-SHA256 applied along `parts`: `hmac(hmac(key, p0), p1)...`. The key derivation of SigV4
 * (`AWS4`+secret, date, region, service, `aws4_request`) and of TC3 (`TC3`+secret, date, service,
 * `tc3_request`).
 */
export function hmacChain(key: string, parts: string[]): Buffer {
  return parts.reduce<string | Buffer>((k, p) => hmac('sha256', k, p), key) as Buffer
}

/**
 * RFC 3986 percent-encoding of the UTF-8 bytes of `s`: only `A-Z a-z 0-9 - _ . ~` stay as they
 * are, hex digits upper case, a space is `%20`. AWS's `UriEncode` and Alibaba's `percentEncode`
 * are both this.
 */
export function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

/**
 * `k=v` pairs, each side RFC 3986-encoded, sorted by key then value in code-unit order and joined
 * with `&`: the canonical query of SigV4 and the canonicalized query string of Alibaba's RPC
 * signature. It is also sent as the URL's query, so what is signed is exactly what goes out.
 */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}
