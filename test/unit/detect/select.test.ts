import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseSource } from '../../../src/detect/presets.js'
import { chosenAttempt, detectAddresses } from '../../../src/detect/select.js'
import type { DetectConfig, SourceSpec } from '../../../src/detect/types.js'
import type { InterfaceReaders } from '../../../src/detect/interface.js'
import { rr, startDnsServer, startMyIpServer, type TestDnsServer } from '../../helpers/dns-server.js'
import { startHttpEcho, type HttpEcho } from '../../helpers/http-echo.js'
import { DOCS, STRICT, fakeCtx } from './fake-ctx.js'

let my: TestDnsServer
let echo: HttpEcho
beforeAll(async () => {
  my = await startMyIpServer({ v4: '192.0.2.10', v6: '2001:db8::10' })
  echo = await startHttpEcho()
})
afterAll(async () => {
  await my.close()
  await echo.close()
})

const src = (v: unknown): SourceSpec => parseSource(v, 'detect')
const myip4 = (): SourceSpec => src({ dns: `127.0.0.1:${my.port}`, name: 'myip.opendns.com', type: 'A' })
const myip6 = (): SourceSpec => src({ dns: `[::1]:${my.port}`, name: 'myip.opendns.com', type: 'AAAA' })
const cfg = (s4: SourceSpec[], s6: SourceSpec[] = [], policy = DOCS): DetectConfig => ({ sources: { 4: s4, 6: s6 }, policy })

describe('detectAddresses', () => {
  it('the first valid address wins, and the log says which source gave it', async () => {
    const ctx = fakeCtx()
    const echoSrc = src({ url: `${echo.url4}/ip`, family: 4 })
    echo.set({ body: '198.51.100.99' })
    const found = await detectAddresses(cfg([myip4(), echoSrc]), [4], ctx)
    expect(found[4]).toEqual({
      family: 4,
      address: '192.0.2.10',
      source: `dns:127.0.0.1:${my.port}`,
      attempts: [{ source: `dns:127.0.0.1:${my.port}`, address: '192.0.2.10' }],
    })
    expect(ctx.lines).toContain(`info: IPv4 address 192.0.2.10 from dns:127.0.0.1:${my.port}`)
    expect(found[6]).toBeUndefined()
  })

  it('BC-13: an echo answering HTML fails, is logged at warn, and the next source is asked', async () => {
    const ctx = fakeCtx()
    echo.set({ body: '<!DOCTYPE html><html><body>blocked</body></html>', contentType: 'text/html' })
    const echoSrc = src({ url: `${echo.url4}/ip`, family: 4 })
    const found = await detectAddresses(cfg([echoSrc, myip4()]), [4], ctx)
    expect(found[4]?.address).toBe('192.0.2.10')
    expect(found[4]?.attempts.map((a) => [a.source, a.address, a.error?.code])).toEqual([
      [`http:127.0.0.1:${new URL(echo.url4).port}`, undefined, 'NOT_AN_ADDRESS'],
      [`dns:127.0.0.1:${my.port}`, '192.0.2.10', undefined],
    ])
    const warn = ctx.lines.find((l) => l.startsWith('warn:'))
    expect(warn).toMatch(/^warn: IPv4 source http:127\.0\.0\.1:\d+ failed: 127\.0\.0\.1:\d+: not an IP address: an HTML page/)
  })

  it('the address policy applies to every source: a private answer is refused (BC-17)', async () => {
    const ctx = fakeCtx()
    echo.set({ body: '10.0.0.2' })
    const found = await detectAddresses(cfg([src({ url: `${echo.url4}/ip`, family: 4 })], [], STRICT), [4], ctx)
    expect(found[4]?.address).toBeUndefined()
    expect(found[4]?.attempts[0]?.error?.message).toBe('10.0.0.2 is private (RFC 1918), not a public address')
    expect(ctx.lines).toContain('warn: no IPv4 address: every source failed')
  })

  it('`all` asks every source and records every attempt; the first valid one still wins', async () => {
    const ctx = fakeCtx()
    echo.set({ body: '198.51.100.99\n' })
    const echoSrc = src({ url: `${echo.url4}/ip`, family: 4 })
    const failing = src({ dns: `127.0.0.1:${my.port}`, name: 'nothing.example', type: 'A' })
    const found = await detectAddresses(cfg([myip4(), failing, echoSrc], [src({ url: `${echo.url4}/ip`, family: 4 })]), [4, 6], ctx, { all: true })
    expect(found[4]?.address).toBe('192.0.2.10')
    expect(found[4]?.attempts.map((a) => a.address ?? a.error?.message)).toEqual([
      '192.0.2.10',
      `no address for IPv4: nothing.example A is NXDOMAIN (answered by 127.0.0.1:${my.port})`,
      '198.51.100.99',
    ])
    expect(ctx.lines).toContain('debug: IPv4 source http:127.0.0.1:' + new URL(echo.url4).port + ' also gave 198.51.100.99')
    // A source without a URL for IPv6 is recorded as such in `detect`.
    expect(found[6]?.attempts).toEqual([{ source: `http:127.0.0.1:${new URL(echo.url4).port}`, error: expect.objectContaining({ code: 'NOT_SERVED' }) }])
  })

  it('a source that does not serve the family is skipped quietly outside `all`', async () => {
    const ctx = fakeCtx()
    const found = await detectAddresses(cfg([], [myip4()]), [6], ctx)
    expect(found[6]).toEqual({ family: 6, attempts: [] })
    expect(ctx.lines).toContain('warn: no IPv6 address: no source configured for IPv6')
  })

  it('BC-35: a sandboxed interface source logs the AF_NETLINK hint, and the next source still runs', async () => {
    const ctx = fakeCtx()
    const readers: InterfaceReaders = {
      networkInterfaces: () => {
        throw Object.assign(new Error('Address family not supported by protocol'), { code: 'EAFNOSUPPORT' })
      },
      readIfInet6: () => null,
    }
    const found = await detectAddresses(cfg([src('interface:eth0'), myip4()]), [4], ctx, { deps: { interfaces: readers } })
    expect(found[4]?.address).toBe('192.0.2.10')
    expect(found[4]?.attempts[0]?.error?.kind).toBe('sandbox')
    expect(ctx.lines.find((l) => l.includes('interface:eth0'))).toMatch(/^warn: IPv4 source interface:eth0 failed: .*AF_NETLINK.*RestrictAddressFamilies/)
  })

  it('both families from the local "what is my IP" server', async (t) => {
    if (!my.host6) {
      console.warn('SKIP: this host has no IPv6 loopback')
      t.skip()
      return
    }
    const found = await detectAddresses(cfg([myip4()], [myip6()]), [4, 6], fakeCtx())
    expect([found[4]?.address, found[6]?.address]).toEqual(['192.0.2.10', '2001:db8::10'])
    expect(my.queries.slice(-2).map((q) => [q.type, q.family]).sort()).toEqual([
      ['A', 4],
      ['AAAA', 6],
    ])
  })
})

describe('BC-18: a dead IPv6 path does not delay or break IPv4', () => {
  let dead: TestDnsServer
  beforeAll(async () => {
    // Answers A over IPv4 at once; never answers over IPv6.
    dead = await startDnsServer((q) => (q.family === 4 ? { answers: [rr(q.name, 'A', '192.0.2.10')] } : null))
  })
  afterAll(async () => {
    await dead.close()
  })

  it('BC-18: IPv6 that never answers → no IPv6 address within its own timeouts, IPv4 unaffected', async (t) => {
    if (!dead.host6) {
      console.warn('SKIP: this host has no IPv6 loopback')
      t.skip()
      return
    }
    const ctx = fakeCtx({ timeouts: { dnsMs: 300, dnsRetries: 1 } })
    const s4 = src({ dns: `127.0.0.1:${dead.port}`, name: 'myip.opendns.com', type: 'A' })
    const s6 = src({ dns: `[::1]:${dead.port}`, name: 'myip.opendns.com', type: 'AAAA' })
    const started = Date.now()
    const found = await detectAddresses(cfg([s4], [s6]), [4, 6], ctx)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(found[4]?.address).toBe('192.0.2.10')
    expect(found[6]?.address).toBeUndefined()
    expect(found[6]?.attempts[0]?.error).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT' })
    // IPv4 finished while IPv6 was still waiting: its line comes before IPv6's failure.
    const i4 = ctx.lines.findIndex((l) => l.startsWith('info: IPv4 address 192.0.2.10'))
    const i6 = ctx.lines.findIndex((l) => l.startsWith('warn: IPv6 source'))
    expect(i4).toBeGreaterThanOrEqual(0)
    expect(i6).toBeGreaterThan(i4)
    expect(dead.queries.filter((q) => q.family === 6)).toHaveLength(2)
  })
})

describe('chosenAttempt', () => {
  it('is the position of the first attempt with an address, whatever the labels; -1 without an address', () => {
    const twin = { source: 'dns:opendns', address: '192.0.2.10' }
    expect(chosenAttempt({ family: 4, address: '192.0.2.10', source: 'dns:opendns', attempts: [{ source: 'dns:opendns' }, twin, { ...twin }] })).toBe(1)
    expect(chosenAttempt({ family: 4, attempts: [{ source: 'dns:opendns' }] })).toBe(-1)
    expect(chosenAttempt(undefined)).toBe(-1)
  })
})
