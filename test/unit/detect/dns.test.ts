import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { detectViaDns, pickTxtAddress, txtRecordText } from '../../../src/detect/dns.js'
import type { DnsSourceSpec } from '../../../src/detect/types.js'
import { rr, startDnsServer, startMyIpServer, type TestDnsServer } from '../../helpers/dns-server.js'
import { fakeCtx } from './fake-ctx.js'
import { failureOf } from '../../helpers/errors.js'

let srv: TestDnsServer
beforeAll(async () => {
  srv = await startDnsServer()
})
afterAll(async () => {
  await srv.close()
})
afterEach(() => {
  srv.queries.length = 0
})

/** The opendns preset, pointed at the local server. */
function local(over: Partial<DnsSourceSpec> = {}): DnsSourceSpec {
  return {
    kind: 'dns',
    label: 'opendns',
    server: { 4: '127.0.0.1', ...(srv.host6 ? { 6: srv.host6 } : {}) },
    port: srv.port,
    name: 'myip.opendns.com',
    type: { 4: 'A', 6: 'AAAA' },
    class: 'IN',
    ...over,
  }
}

describe('dns source', () => {
  it('BC-18: the A query goes over IPv4 and the AAAA query over IPv6', async (t) => {
    // Like OpenDNS: the answer is the packet's source address, so a query over the wrong family
    // gets NXDOMAIN.
    srv.setScript((q) => {
      if (q.type === 'A' && q.family === 4) return { answers: [rr(q.name, 'A', '192.0.2.10')] }
      if (q.type === 'AAAA' && q.family === 6) return { answers: [rr(q.name, 'AAAA', '2001:db8::10')] }
      return { rcode: 'NXDOMAIN' }
    })
    const ctx = fakeCtx()
    expect(await detectViaDns(local(), 4, ctx)).toEqual({ address: '192.0.2.10' })
    expect(srv.queries).toMatchObject([{ type: 'A', family: 4, transport: 'udp' }])
    if (!srv.host6) {
      console.warn('SKIP (IPv6 half): this host has no IPv6 loopback')
      t.skip()
      return
    }
    expect(await detectViaDns(local(), 6, ctx)).toEqual({ address: '2001:db8::10' })
    expect(srv.queries[1]).toMatchObject({ type: 'AAAA', family: 6 })
  })

  it('BC-18: NXDOMAIN is "no address for this family", not a crash', async () => {
    srv.setScript(() => ({ rcode: 'NXDOMAIN' }))
    const e = await failureOf(detectViaDns(local(), 4, fakeCtx()))
    expect(e.kind).toBe('detect')
    // The server that said so is named: an intercepting resolver must not look like the real one.
    expect(e.message).toBe(`no address for IPv4: myip.opendns.com A is NXDOMAIN (answered by 127.0.0.1:${srv.port})`)
  })

  it('BC-18: an empty answer is "no address for this family"', async () => {
    srv.setScript(() => ({ answers: [] }))
    const e = await failureOf(detectViaDns(local(), 4, fakeCtx()))
    expect(e.message).toBe('no address for IPv4: the answer to myip.opendns.com A is empty')
  })

  it('SERVFAIL is a transient failure of the source', async () => {
    srv.setScript(() => ({ rcode: 'SERVFAIL' }))
    const e = await failureOf(detectViaDns(local(), 4, fakeCtx()))
    expect(e.kind).toBe('transient')
    expect(e.message).toContain('SERVFAIL')
  })

  it('two different A records are ambiguous', async () => {
    srv.setScript((q) => ({ answers: [rr(q.name, 'A', '192.0.2.10'), rr(q.name, 'A', '192.0.2.11')] }))
    const e = await failureOf(detectViaDns(local(), 4, fakeCtx()))
    expect(e.message).toBe('ambiguous answer to myip.opendns.com A: 192.0.2.10, 192.0.2.11')
  })

  it('a record owned by another name is not an answer to the question', async () => {
    srv.setScript(() => ({ answers: [rr('evil.example', 'A', '192.0.2.66')] }))
    const e = await failureOf(detectViaDns(local(), 4, fakeCtx()))
    expect(e.code).toBe('NODATA')
  })

  it('an address at the end of a CNAME chain from the name asked is accepted; a stray record beside it is not', async () => {
    srv.setScript((q) => ({
      answers: [
        { name: q.name, type: 'CNAME', class: 'IN', ttl: 0, data: 'echo.example.net' },
        rr('echo.example.net', 'A', '192.0.2.10'),
        rr('other.example', 'A', '192.0.2.66'),
      ],
    }))
    const r = await detectViaDns(local(), 4, fakeCtx())
    expect(r.address).toBe('192.0.2.10')
  })

  it('BC-19: the Google TXT answer with an ECS string gives the address', async () => {
    srv.setScript((q) => ({
      answers: [rr(q.name, 'TXT', 'edns0-client-subnet 198.51.100.0/24'), rr(q.name, 'TXT', '192.0.2.10')],
    }))
    const spec = local({ label: 'google', name: 'o-o.myaddr.l.google.com', type: { 4: 'TXT', 6: 'TXT' } })
    expect(await detectViaDns(spec, 4, fakeCtx())).toEqual({ address: '192.0.2.10' })
    expect(srv.queries[0]).toMatchObject({ type: 'TXT', class: 'IN', family: 4 })
  })

  it('Cloudflare whoami: TXT class CH', async () => {
    const my = await startMyIpServer({ v4: '192.0.2.10' })
    try {
      const spec = local({ label: 'cloudflare', server: { 4: '127.0.0.1' }, port: my.port, name: 'whoami.cloudflare', type: { 4: 'TXT', 6: 'TXT' }, class: 'CH' })
      expect(await detectViaDns(spec, 4, fakeCtx())).toEqual({ address: '192.0.2.10' })
      expect(my.queries[0]).toMatchObject({ name: 'whoami.cloudflare', type: 'TXT', class: 'CH' })
    } finally {
      await my.close()
    }
  })

  it('an answer of class IN to the CH question fails the source and says why (dnsdist 1.7)', async () => {
    srv.setScript((q) => ({ answers: [rr(q.name, 'TXT', '192.0.2.10', 'IN')] }))
    const spec = local({ label: 'cloudflare', name: 'whoami.cloudflare', type: { 4: 'TXT', 6: 'TXT' }, class: 'CH' })
    const e = await failureOf(detectViaDns(spec, 4, fakeCtx()))
    expect(e.kind).toBe('protocol')
    expect(e.message).toContain('answer class IN to a CH question')
  })

  it('a family without a server is not served', async () => {
    const e = await failureOf(detectViaDns(local({ server: { 4: '127.0.0.1' } }), 6, fakeCtx()))
    expect(e.code).toBe('NOT_SERVED')
    expect(srv.queries).toHaveLength(0)
  })
})

describe('BC-19: TXT address selection', () => {
  it.each([
    [['edns0-client-subnet 198.51.100.0/24', '192.0.2.10'], 4, '192.0.2.10'],
    [['192.0.2.10', 'edns0-client-subnet 198.51.100.0/24'], 4, '192.0.2.10'],
    [['"192.0.2.10"'], 4, '192.0.2.10'],
    [['  192.0.2.10 \n'], 4, '192.0.2.10'],
    [['"192.0.2." "10"'], 4, '192.0.2.10'],
    [['192.0.2.10', '192.0.2.10'], 4, '192.0.2.10'],
    [['2001:DB8::10', 'edns0-client-subnet 2001:db8::/56'], 6, '2001:db8::10'],
    [['some text', '2001:db8::10'], 6, '2001:db8::10'],
  ] as const)('%j for IPv%i → %s', (texts, family, out) => {
    expect(pickTxtAddress([...texts], family)).toBe(out)
  })

  it('only the ECS string → no address', () => {
    expect(() => pickTxtAddress(['edns0-client-subnet 198.51.100.0/24'], 4)).toThrow(/no address for IPv4 in the TXT answer/)
  })

  it('two different addresses → ambiguous', () => {
    expect(() => pickTxtAddress(['192.0.2.10', '192.0.2.11'], 4)).toThrow(/ambiguous answer to TXT: 192.0.2.10, 192.0.2.11/)
  })

  it('an address of the other family is named', () => {
    expect(() => pickTxtAddress(['192.0.2.10'], 6)).toThrow('no address for IPv6: the answer to TXT holds 192.0.2.10, an IPv4 address')
  })

  it('a record of several character-strings is joined before parsing', () => {
    expect(txtRecordText([Buffer.from('192.0.'), Buffer.from('2.10')])).toBe('192.0.2.10')
    expect(txtRecordText(Buffer.from('x'))).toBe('x')
    expect(txtRecordText('y')).toBe('y')
  })
})
