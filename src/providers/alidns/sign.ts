import { canonicalQuery, hmac, rfc3986 } from '../sign/hmac.js'

/**
 * Alibaba Cloud RPC signature, version 1.0, method HMAC-SHA1
 * (https://help.aliyun.com/document_detail/29747.html, "Signature mechanism" of Alibaba Cloud DNS):
 * StringToSign = `<METHOD>&%2F&` + percentEncode(canonicalized query string), the query being every
 * parameter but `Signature`, sorted by name, names and values percent-encoded (RFC 3986); the
 * signature is base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)). Checked against the worked
 * example of that page (test/fixtures/alidns/signature-example.json).
 */

/** The `Signature` parameter for `params` (all other parameters, unencoded). */
export function rpcSignature(method: string, params: Record<string, string>, accessKeySecret: string): string {
  const toSign = `${method}&${rfc3986('/')}&${rfc3986(canonicalQuery(params))}`
  return hmac('sha1', `${accessKeySecret}&`, toSign).toString('base64')
}

/** `2016-03-24T16:41:54Z` (ISO 8601, UTC, no fraction) for a time in milliseconds. */
export function rpcTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}/, '')
}
