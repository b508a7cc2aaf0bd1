import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpClient, parseJson, parseRetryAfter } from '../../../src/net/http.js'
import { EdgeError } from '../../../src/errors.js'

let server: Server
let base = ''
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/json') {
      res.setHeader('content-type', 'application/json; charset=utf-8')
      res.end('{"ok":true}')
    } else if (req.url === '/html') {
      res.statusCode = 403
      res.setHeader('content-type', 'text/html')
      res.end('<html>403 Forbidden</html>')
    } else if (req.url === '/big') {
      res.end('x'.repeat(5000))
    } else if (req.url === '/hang') {
      res.write('partial')
    } else if (req.url === '/echo') {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => res.end(JSON.stringify({ method: req.method, ua: req.headers['user-agent'], body })))
    } else res.end('plain')
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  server.close()
})

describe('http client', () => {
  const http = createHttpClient({ timeoutMs: 1000, maxBytes: 1024, userAgent: 'edge-ddns/test' })
  it('returns status, media type and body, and sends the body and user agent', async () => {
    const res = await http.request({ method: 'POST', url: `${base}/echo`, body: 'hello' })
    expect(res.status).toBe(200)
    expect(JSON.parse(res.body)).toEqual({ method: 'POST', ua: 'edge-ddns/test', body: 'hello' })
    const j = await http.request({ url: `${base}/json` })
    expect(j.contentType).toBe('application/json')
    expect(parseJson(j)).toEqual({ ok: true })
  })
  it('BC-25: a non-JSON answer names its content type and host', async () => {
    const res = await http.request({ url: `${base}/html` })
    expect(res.status).toBe(403)
    expect(() => parseJson(res)).toThrow(`unexpected text/html from 127.0.0.1:${new URL(base).port} (HTTP 403)`)
  })
  it('caps the body size', async () => {
    await expect(http.request({ url: `${base}/big` })).rejects.toThrow(/larger than 1024 bytes/)
  })
  it('times out a request that never finishes, as a transient error', async () => {
    const err = await http.request({ url: `${base}/hang`, timeoutMs: 200 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EdgeError)
    expect((err as EdgeError).kind).toBe('transient')
    expect((err as EdgeError).message).toMatch(/timed out after 200 ms/)
  })
  it('a refused connection is transient and names the host', async () => {
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as AddressInfo).port
    await new Promise<void>((r) => s.close(() => r()))
    const err = (await http.request({ url: `http://127.0.0.1:${port}/` }).catch((e: unknown) => e)) as EdgeError
    expect(err.kind).toBe('transient')
    expect(err.message).toContain(`GET 127.0.0.1:${port}: ECONNREFUSED`)
  })
  it('honours an aborted signal', async () => {
    const ac = new AbortController()
    ac.abort()
    await expect(http.request({ url: `${base}/json`, signal: ac.signal })).rejects.toThrow(/aborted/)
  })
  it('pins the address family: IPv6 to an IPv4-only listener fails', async () => {
    const err = await http.request({ url: `http://localhost:${new URL(base).port}/json`, family: 6 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EdgeError)
    const ok = await http.request({ url: `http://localhost:${new URL(base).port}/json`, family: 4 })
    expect(ok.status).toBe(200)
  })
})

describe('Retry-After', () => {
  const now = Date.parse('2026-11-29T12:00:00Z')
  it.each([
    ['120', 120],
    ['Sun, 29 Nov 2026 12:01:00 GMT', 60],
    ['-5', undefined],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %s s (a negative or garbled value counts as absent)', (v, sec) => {
    expect(parseRetryAfter(v, now)).toBe(sec)
  })
})
