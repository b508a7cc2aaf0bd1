import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { detectViaHttp, parseEchoBody } from '../../../src/detect/http.js'
import type { HttpSourceSpec } from '../../../src/detect/types.js'
import { EdgeError } from '../../../src/errors.js'
import type { HttpClient, HttpRequest } from '../../../src/net/http.js'
import { startHttpEcho, type HttpEcho } from '../../helpers/http-echo.js'
import { fakeCtx } from './fake-ctx.js'
import { failureOf } from '../../helpers/errors.js'

let echo: HttpEcho
beforeAll(async () => {
  echo = await startHttpEcho()
})
afterAll(async () => {
  await echo.close()
})

function spec(format: HttpSourceSpec['format'] = 'plain'): HttpSourceSpec {
  return { kind: 'http', label: 'custom', url: { 4: `${echo.url4}/ip`, ...(echo.url6 ? { 6: `${echo.url6}/ip` } : {}) }, format }
}

describe('http source against a local echo', () => {
  it('reads a plain address body (trailing newline trimmed)', async () => {
    echo.set({ body: '192.0.2.10\n' })
    expect(await detectViaHttp(spec(), 4, fakeCtx())).toEqual({ address: '192.0.2.10' })
    expect(echo.requests.at(-1)).toMatchObject({ method: 'GET', path: '/ip', family: 4 })
  })

  it('canonicalises an IPv6 body', async (t) => {
    if (!echo.url6) {
      console.warn('SKIP: this host has no IPv6 loopback')
      t.skip()
      return
    }
    echo.set({ body: ' 2001:DB8:0::10 \r\n' })
    expect(await detectViaHttp(spec(), 6, fakeCtx())).toEqual({ address: '2001:db8::10' })
    expect(echo.requests.at(-1)).toMatchObject({ family: 6 })
  })

  it('BC-13: an HTML page with status 200 is not an IP address', async () => {
    echo.set({ body: '<!DOCTYPE html><html><head><title>Blocked</title></head><body>You have been blocked</body></html>', contentType: 'text/html' })
    const e = await failureOf(detectViaHttp(spec(), 4, fakeCtx()))
    expect(e.kind).toBe('detect')
    expect(e.code).toBe('NOT_AN_ADDRESS')
    expect(e.message).toMatch(/^127\.0\.0\.1:\d+: not an IP address: an HTML page/)
  })

  it('BC-13: 403 with "error code: 1034" is a failure naming status and body', async () => {
    echo.set({ status: 403, body: 'error code: 1034' })
    const e = await failureOf(detectViaHttp(spec('trace'), 4, fakeCtx()))
    expect(e.kind).toBe('detect')
    expect(e.code).toBe(403)
    expect(e.message).toMatch(/^HTTP 403 from 127\.0\.0\.1:\d+: error code: 1034$/)
  })

  it('BC-13: the Cloudflare trace body gives ip=', async () => {
    echo.set({ body: 'fl=1\nh=example\nip=192.0.2.10\nts=1\n' })
    expect(await detectViaHttp(spec('trace'), 4, fakeCtx())).toEqual({ address: '192.0.2.10' })
  })

  it('a 5xx status is transient', async () => {
    echo.set({ status: 503, body: 'upstream down' })
    const e = await failureOf(detectViaHttp(spec(), 4, fakeCtx()))
    expect(e.kind).toBe('transient')
    expect(e.retryable).toBe(true)
  })

  it('a family without a URL is not served, and nothing is sent', async () => {
    const before = echo.requests.length
    const e = await failureOf(detectViaHttp({ ...spec(), url: { 4: `${echo.url4}/ip` } }, 6, fakeCtx()))
    expect(e.code).toBe('NOT_SERVED')
    expect(echo.requests.length).toBe(before)
  })
})

describe('http source request shape', () => {
  it('pins the connection to the family asked, with the HTTP timeout and the run signal', async () => {
    const seen: HttpRequest[] = []
    const http: HttpClient = {
      request: async (req) => {
        seen.push(req)
        return { status: 200, headers: {}, body: req.family === 6 ? '2001:db8::10' : '192.0.2.10', contentType: 'text/plain', host: 'echo.example' }
      },
    }
    const ac = new AbortController()
    const ctx = fakeCtx({ http, signal: ac.signal, timeouts: { httpMs: 1234 } })
    const s: HttpSourceSpec = { kind: 'http', label: 'ipify', url: { 4: 'https://api.ipify.org', 6: 'https://api6.ipify.org' }, format: 'plain' }
    expect((await detectViaHttp(s, 4, ctx)).address).toBe('192.0.2.10')
    expect((await detectViaHttp(s, 6, ctx)).address).toBe('2001:db8::10')
    expect(seen.map((r) => [r.url, r.family, r.timeoutMs, r.signal])).toEqual([
      ['https://api.ipify.org', 4, 1234, ac.signal],
      ['https://api6.ipify.org', 6, 1234, ac.signal],
    ])
  })
})

describe('echo body parsing (BC-13)', () => {
  it.each([
    ['192.0.2.10', 'plain', 4, '192.0.2.10'],
    ['\t192.0.2.10\r\n', 'plain', 4, '192.0.2.10'],
    ['2001:db8:0:0::10', 'plain', 6, '2001:db8::10'],
    ['fl=1\nh=example\nip=192.0.2.10\nts=1', 'trace', 4, '192.0.2.10'],
    ['fl=1\r\nip=2001:db8::10\r\nts=1\r\n', 'trace', 6, '2001:db8::10'],
  ] as const)('%j (%s, IPv%i) → %s', (body, format, family, out) => {
    expect(parseEchoBody(body, format, family)).toBe(out)
  })

  it.each([
    ['<!DOCTYPE html><html>…</html>', 'plain', 4, 'not an IP address: an HTML page'],
    ['<html><body>403 Forbidden</body></html>', 'plain', 4, 'not an IP address: an HTML page'],
    ['error code: 1034', 'plain', 4, 'not an IP address: "error code: 1034"'],
    ['', 'plain', 4, 'not an IP address: empty body'],
    ['192.0.2.10\n192.0.2.11', 'plain', 4, 'not an IP address'],
    ['192.0.2.10 198.51.100.1', 'plain', 4, 'not an IP address'],
    ['{"ip":"192.0.2.10"}', 'plain', 4, 'not an IP address'],
    ['2001:db8::10', 'plain', 4, 'answered an IPv6 address (2001:db8::10) to an IPv4 request'],
    ['192.0.2.10', 'plain', 6, 'answered an IPv4 address (192.0.2.10) to an IPv6 request'],
    ['fl=1\nh=example\nts=1', 'trace', 4, 'no ip= line'],
    ['fl=1\nip=garbage\n', 'trace', 4, 'not an IP address'],
  ] as const)('%j (%s, IPv%i) fails: %s', (body, format, family, msg) => {
    let err: unknown
    try {
      parseEchoBody(body, format, family)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(EdgeError)
    expect((err as EdgeError).kind).toBe('detect')
    expect((err as EdgeError).message).toContain(msg)
  })
})
