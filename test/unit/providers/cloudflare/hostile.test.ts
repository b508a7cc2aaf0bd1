import { describe, expect, it } from 'vitest'
import { describeErrors, errorsOf } from '../../../../src/providers/cloudflare/errors.js'

// Found by the adversarial review: a deeply nested error_chain overflowed the stack (exit 70) and
// a long one built a 20 KB log line.
describe('hostile Cloudflare error envelopes', () => {
  function nested(depth: number): unknown {
    let e: Record<string, unknown> = { code: 9999, message: 'innermost' }
    for (let i = 0; i < depth; i++) e = { code: 1000 + (i % 100), message: `level ${i}`, error_chain: [e] }
    return { success: false, errors: [e] }
  }
  it('a chain 10 000 levels deep is cut, not a stack overflow', () => {
    const errs = errorsOf(nested(10_000))
    const text = describeErrors(errs, (s) => s)
    expect(text.length).toBeLessThanOrEqual(2001)
    expect(text).toMatch(/^level 9999 \(code \d+\)/)
  })
  it('a message of 100 000 characters is shortened', () => {
    const text = describeErrors(errorsOf({ errors: [{ code: 1, message: 'x'.repeat(100_000) }] }), (s) => s)
    expect(text.length).toBeLessThan(400)
  })
})
