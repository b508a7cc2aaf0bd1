import { describe, expect, it } from 'vitest'
import { porkbunError } from '../../../../src/providers/porkbun/errors.js'
import { loadPorkbunFixture } from '../../../helpers/porkbun-server.js'

const keep = (s: string): string => s

function fromFixture(name: string) {
  const f = loadPorkbunFixture(name)
  const b = f.body as { message: string }
  return porkbunError({ status: f.status, host: 'api.porkbun.com', message: b.message, domain: 'example.com' }, keep)
}

describe('Porkbun error answers (a fixture in, an error out)', () => {
  it.each([
    // fixture, kind, retryable, hint
    ['invalid-api-key-001', 'auth', false, /pk1_/],
    ['invalid-api-key-002', 'auth', false, /easily swapped/],
    ['not-opted-in', 'forbidden', false, /API ACCESS for example\.com/],
    ['invalid-domain', 'notfound', false, /not a subdomain/],
    ['edit-error', 'invalid', false, /changed or deleted/],
    ['create-error', 'invalid', false, /pixie\.porkbun\.com/],
  ] as const)('%s → %s', (fixture, kind, retryable, hint) => {
    const e = fromFixture(fixture)
    expect(e).toMatchObject({ kind, retryable, code: 400 })
    expect(e.hint).toMatch(hint)
    expect(e.message).toBe(`porkbun: HTTP 400 from api.porkbun.com: ${(loadPorkbunFixture(fixture).body as { message: string }).message}`)
  })

  it.each([
    [429, 'Too many requests', 'ratelimit'],
    [400, 'rate limit exceeded', 'ratelimit'],
    [500, 'Internal error', 'transient'],
    [400, 'Something new.', 'invalid'],
    [200, 'Something new.', 'provider'],
    [401, '', 'auth'],
  ] as const)('HTTP %i "%s" → %s', (status, message, kind) => {
    expect(porkbunError({ status, host: 'h', message, domain: 'example.com' }, keep).kind).toBe(kind)
  })

  it('a rate limit waits Retry-After seconds, else 60; a code Porkbun gives is kept', () => {
    expect(porkbunError({ status: 429, host: 'h', message: '', retryAfterSec: 5, domain: 'd' }, keep).retryAfterSec).toBe(5)
    expect(porkbunError({ status: 429, host: 'h', message: '', domain: 'd' }, keep).retryAfterSec).toBe(60)
    expect(porkbunError({ status: 400, host: 'h', message: 'Invalid API key. (002)', code: 'INVALID_API_KEYS_002', domain: 'd' }, keep).code).toBe('INVALID_API_KEYS_002')
    expect(porkbunError({ status: 400, host: 'h', message: '', domain: 'd' }, keep).message).toBe('porkbun: HTTP 400 from h: no error details')
  })
})
