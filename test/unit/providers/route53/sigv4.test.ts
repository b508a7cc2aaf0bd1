import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { amzDate, signV4 } from '../../../../src/providers/route53/sigv4.js'
import { hmacChain } from '../../../../src/providers/sign/hmac.js'

/** AWS's published SigV4 test suite (test/fixtures/route53/sigv4-suite.json names its pages). */
interface Vector {
  name: string
  method: string
  host: string
  path: string
  query?: Record<string, string>
  headers?: Record<string, string>
  body?: string
  sessionToken?: string
  authorization: string
}
const suite = JSON.parse(readFileSync(new URL('../../../fixtures/route53/sigv4-suite.json', import.meta.url), 'utf8')) as {
  credentials: { accessKeyId: string; secretAccessKey: string }
  time: string
  region: string
  service: string
  vectors: Vector[]
  signingKey: { secret: string; date: string; region: string; service: string; hex: string }
}

describe('SigV4 against AWS\'s published test suite', () => {
  it.each(suite.vectors)('$name', (v) => {
    const creds = { ...suite.credentials, ...(v.sessionToken ? { sessionToken: v.sessionToken } : {}) }
    const h = signV4(
      { method: v.method, host: v.host, path: v.path, ...(v.query ? { query: v.query } : {}), ...(v.headers ? { headers: v.headers } : {}), ...(v.body ? { body: v.body } : {}) },
      creds,
      suite.region,
      suite.service,
      Date.parse(suite.time),
    )
    expect(h.authorization).toBe(v.authorization)
    expect(h['x-amz-date']).toBe('20150830T123600Z')
    if (v.sessionToken) expect(h['x-amz-security-token']).toBe(v.sessionToken)
    else expect(h).not.toHaveProperty('x-amz-security-token')
    // Node sets Host from the URL; the signer must not send a second one.
    expect(h).not.toHaveProperty('host')
  })

  it('derives the signing key of AWS\'s documented example', () => {
    const k = suite.signingKey
    expect(hmacChain(`AWS4${k.secret}`, [k.date, k.region, k.service, 'aws4_request']).toString('hex')).toBe(k.hex)
  })

  it('a wrong secret gives another signature (the vectors are not passed by accident)', () => {
    const v = suite.vectors[0] as Vector
    const h = signV4({ method: v.method, host: v.host, path: v.path }, { ...suite.credentials, secretAccessKey: 'x' }, suite.region, suite.service, Date.parse(suite.time))
    expect(h.authorization).not.toBe(v.authorization)
  })

  it('formats x-amz-date in UTC without separators', () => {
    expect(amzDate(Date.UTC(2024, 5, 1, 7, 8, 9, 123))).toBe('20240601T070809Z')
  })
})
