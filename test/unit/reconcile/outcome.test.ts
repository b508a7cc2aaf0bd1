import { describe, expect, it } from 'vitest'
import type { Outcome } from '../../../src/providers/types.js'
import { missingAt, outcomeLines } from '../../../src/reconcile/outcome.js'

// A push-only provider (dyndns2, DuckDNS, ...) never lists records: the DNS read-back answered,
// and the line must say so rather than blame the provider (found by the fresh-user trial).
describe('the missing-record line says who answered', () => {
  const missing: Outcome = { ref: { fqdn: 'home.example.net', type: 'A' }, status: 'missing', value: '203.0.113.7' }

  it.each([
    ['api', 'cloudflare', 'warn: home.example.net A: missing: no such record at cloudflare (set create = true to create it)'],
    ['dns', 'dyndns2', 'warn: home.example.net A: missing: no such record in the DNS (dyndns2 records are read back over DNS) (set create = true to create it)'],
  ] as const)('read back by %s (%s)', (readBy, provider, line) => {
    const lines = outcomeLines(missing, undefined, provider, false, readBy)
    expect(lines.map((l) => `${l.level}: ${l.text}`)).toEqual([line])
  })

  it('an API provider keeps its wording when readBy is not given', () => {
    expect(missingAt('godaddy')).toBe('no such record at godaddy')
  })
})
