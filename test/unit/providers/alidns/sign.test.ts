import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { rpcSignature, rpcTimestamp } from '../../../../src/providers/alidns/sign.js'
import { canonicalQuery, rfc3986 } from '../../../../src/providers/sign/hmac.js'

/** Alibaba Cloud DNS's worked signature example (test/fixtures/alidns/signature-example.json names the page). */
const ex = JSON.parse(readFileSync(new URL('../../../fixtures/alidns/signature-example.json', import.meta.url), 'utf8')) as {
  method: string
  accessKeySecret: string
  params: Record<string, string>
  stringToSign: string
  signature: string
}

describe('Alibaba RPC signature (HMAC-SHA1)', () => {
  it('builds the documented StringToSign', () => {
    expect(`${ex.method}&${rfc3986('/')}&${rfc3986(canonicalQuery(ex.params))}`).toBe(ex.stringToSign)
  })

  it('reproduces the documented signature of the worked example', () => {
    expect(rpcSignature(ex.method, ex.params, ex.accessKeySecret)).toBe(ex.signature)
  })

  it('a wrong secret gives another signature', () => {
    expect(rpcSignature(ex.method, ex.params, 'testsecreT')).not.toBe(ex.signature)
  })

  it('BC-28: a secret with &#$%:+ signs (the key is the secret plus "&", nothing is encoded)', () => {
    expect(rpcSignature('GET', { A: '1' }, 'a&#$%:+b')).toMatch(/^[A-Za-z0-9+/]{27}=$/)
  })

  it('formats Timestamp as ISO 8601 UTC without fraction', () => {
    expect(rpcTimestamp(Date.UTC(2016, 2, 24, 16, 41, 54, 500))).toBe('2016-03-24T16:41:54Z')
  })
})
