import { hmac, hmacChain, sha256hex } from '../sign/hmac.js'

/**
 * Tencent Cloud API 3.0 signature v3, TC3-HMAC-SHA256, for a POST of a JSON body
 * (page "签名方法 v3", the same in every product's API 3.0 docs, e.g.
 * https://cloud.tencent.com/document/api/862/37573). The signed headers are
 * `content-type` and `host`, the two the method requires. Checked against that page's worked
 * example (test/fixtures/dnspod/signature-example.json).
 */

/** The value of the `Authorization` header for `payload` sent at `timestampSec` (seconds since the epoch). */
export function tc3Authorization(
  secretId: string,
  secretKey: string,
  service: string,
  req: { host: string; path: string; contentType: string; payload: string },
  timestampSec: number,
): string {
  const date = new Date(timestampSec * 1000).toISOString().slice(0, 10)
  const canonical = `POST\n${req.path}\n\ncontent-type:${req.contentType}\nhost:${req.host}\n\ncontent-type;host\n${sha256hex(req.payload)}`
  const scope = `${date}/${service}/tc3_request`
  const toSign = `TC3-HMAC-SHA256\n${timestampSec}\n${scope}\n${sha256hex(canonical)}`
  const signature = hmac('sha256', hmacChain(`TC3${secretKey}`, [date, service, 'tc3_request']), toSign).toString('hex')
  return `TC3-HMAC-SHA256 Credential=${secretId}/${scope}, SignedHeaders=content-type;host, Signature=${signature}`
}
