import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { describeErrors, errorsOf } from '../../../../src/providers/cloudflare/errors.js'
import { createHttpClient } from '../../../../src/net/http.js'
import { CloudflareApi } from '../../../../src/providers/cloudflare/api.js'
import { memoryLogger } from '../../../../src/report/log.js'
import { Redactor } from '../../../../src/report/redact.js'
import type { Ctx } from '../../../../src/context.js'
import { DEFAULT_TIMEOUTS } from '../../../../src/context.js'

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


describe('hostile Cloudflare listings', () => {
  let server: Server
  let base = ''
  let hits = 0
  let mode: 'loop' | 'dupes' = 'loop'
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++
      res.setHeader('content-type', 'application/json')
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page'))
      const item = { id: mode === 'loop' ? 'r1' : `r${Math.min(page, 2)}`, type: 'A', name: 'home.example.com', content: '192.0.2.1' }
      const result = mode === 'loop' ? [item] : [item, item]
      res.end(JSON.stringify({ success: true, errors: [], messages: [], result, result_info: { page, per_page: 1, total_pages: mode === 'loop' ? 1e9 : 2 } }))
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`
  })
  afterAll(() => {
    server.close()
  })
  function ctx(): Ctx {
    const redactor = new Redactor()
    return {
      signal: new AbortController().signal,
      http: createHttpClient({ timeoutMs: 2000 }),
      dns: { query: () => Promise.reject(new Error('no DNS here')) },
      log: memoryLogger(redactor),
      redactor,
      now: () => Date.now(),
      timeouts: DEFAULT_TIMEOUTS,
    }
  }

  it('a listing that repeats the same page forever stops at the second page', async () => {
    mode = 'loop'
    hits = 0
    const api = new CloudflareApi(base, { kind: 'token', token: 't0ken-abc' } as never)
    await expect(api.records(ctx(), 'z1')).rejects.toThrow(/repeats items already listed/)
    expect(hits).toBe(2)
  })
  it('a record id listed twice is kept once', async () => {
    mode = 'dupes'
    const api = new CloudflareApi(base, { kind: 'token', token: 't0ken-abc' } as never)
    const recs = await api.records(ctx(), 'z1')
    expect(recs.map((r) => r.id)).toEqual(['r1', 'r2'])
  })
})
