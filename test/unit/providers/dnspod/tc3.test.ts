import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { tc3Authorization } from '../../../../src/providers/dnspod/tc3.js'
import { sha256hex } from '../../../../src/providers/sign/hmac.js'

/** Tencent Cloud's worked TC3 example (test/fixtures/dnspod/signature-example.json names the page). */
const ex = JSON.parse(readFileSync(new URL('../../../fixtures/dnspod/signature-example.json', import.meta.url), 'utf8')) as {
  secretId: string
  secretKey: string
  service: string
  host: string
  contentType: string
  timestamp: number
  payload: string
  hashedPayload: string
  hashedCanonicalRequest: string
  authorization: string
}

describe('TC3-HMAC-SHA256', () => {
  it('hashes the documented payload as the page does', () => {
    expect(sha256hex(ex.payload)).toBe(ex.hashedPayload)
    const canonical = `POST\n/\n\ncontent-type:${ex.contentType}\nhost:${ex.host}\n\ncontent-type;host\n${ex.hashedPayload}`
    expect(sha256hex(canonical)).toBe(ex.hashedCanonicalRequest)
  })

  it('reproduces the documented Authorization header of the worked example', () => {
    const auth = tc3Authorization(ex.secretId, ex.secretKey, ex.service, { host: ex.host, path: '/', contentType: ex.contentType, payload: ex.payload }, ex.timestamp)
    expect(auth).toBe(ex.authorization)
  })

  it('a wrong key gives another signature', () => {
    const auth = tc3Authorization(ex.secretId, `${ex.secretKey}x`, ex.service, { host: ex.host, path: '/', contentType: ex.contentType, payload: ex.payload }, ex.timestamp)
    expect(auth).not.toBe(ex.authorization)
  })
})
