import { describe, expect, it } from 'vitest'
import { EdgeError } from '../../../src/errors.js'
import { backoffMs, classifyFailure } from '../../../src/schedule/backoff.js'

describe('failure classes', () => {
  it.each([
    ['BC-02 dyndns2 abuse', new EdgeError('provider', 'abuse', { code: 'abuse', retryable: false }), 'block'],
    ['BC-02 dyndns2 badauth', new EdgeError('auth', 'badauth', { code: 'badauth' }), 'block'],
    ['BC-02 dyndns2 nohost (whatever kind)', new EdgeError('provider', 'nohost', { code: 'nohost' }), 'block'],
    ['BC-23 403 ACCESS_DENIED', new EdgeError('forbidden', 'ACCESS_DENIED', { retryable: false }), 'block'],
    ['a CNAME at the name', new EdgeError('conflict', 'CNAME', { retryable: false }), 'block'],
    ['Cloudflare bad TTL', new EdgeError('invalid', 'Invalid TTL', { retryable: false }), 'block'],
    ['unknown zone', new EdgeError('notfound', 'no zone', { retryable: false }), 'block'],
    ['BC-06 429', new EdgeError('ratelimit', '429', { retryAfterSec: 60 }), 'hold'],
    ['BC-02 911', new EdgeError('provider', '911', { code: '911', retryAfterSec: 1800 }), 'backoff'],
    ['timeout', new EdgeError('transient', 'timed out'), 'backoff'],
    ['BC-13 HTML instead of JSON', new EdgeError('protocol', 'unexpected text/html'), 'backoff'],
    ['a conflict the provider calls retryable', new EdgeError('conflict', 'busy', { retryable: true }), 'backoff'],
  ])('%s → %s', (_n, err, want) => {
    expect(classifyFailure(err)).toBe(want)
  })
})

describe('back-off', () => {
  it('doubles from 1 minute up to the cap, with equal jitter', () => {
    const cap = 3_600_000
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => backoffMs(n, cap, () => 0.999999))).toEqual(
      [1, 2, 4, 8, 16, 32, 60, 60, 60].map((m) => Math.round(m * 60_000 * 0.9999995)),
    )
    expect(backoffMs(3, cap, () => 0)).toBe(120_000)
    for (let i = 0; i < 100; i++) {
      const v = backoffMs(10, cap, Math.random)
      expect(v).toBeGreaterThanOrEqual(cap / 2)
      expect(v).toBeLessThanOrEqual(cap)
    }
  })
})
