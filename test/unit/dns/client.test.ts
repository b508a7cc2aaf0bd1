import dgram from 'node:dgram'
import dnsPacket from 'dns-packet'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDnsClient } from '../../../src/dns/client.js'
import { exchange } from '../../../src/dns/transport.js'
import { rr, startDnsServer, type Script, type TestDnsServer } from '../../helpers/dns-server.js'
import { failureOf } from '../../helpers/errors.js'

let srv: TestDnsServer
const answerA: Script = (q) => ({ answers: [rr(q.name, 'A', '192.0.2.10')] })

beforeAll(async () => {
  srv = await startDnsServer(answerA)
})
afterAll(async () => {
  await srv.close()
})
afterEach(() => {
  srv.queries.length = 0
  srv.setScript(answerA)
})

const client = createDnsClient({ dnsMs: 1000, dnsRetries: 1 })

describe('DNS client', () => {
  it('asks over UDP and returns the decoded answer', async () => {
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' })
    expect(ans.rcode).toBe('NOERROR')
    expect(ans.transport).toBe('udp')
    expect(ans.answers).toEqual([{ name: 'myip.opendns.com', type: 'A', class: 'IN', ttl: 0, data: '192.0.2.10' }])
    expect(srv.queries).toMatchObject([{ name: 'myip.opendns.com', type: 'A', class: 'IN', transport: 'udp', family: 4, recursion: true }])
  })

  it('uses a random 16-bit query ID and a fresh source port for each query', async () => {
    for (let i = 0; i < 16; i++) await client.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' })
    const ids = srv.queries.map((q) => q.id)
    const ports = srv.queries.map((q) => q.sourcePort)
    expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id <= 0xffff)).toBe(true)
    // 16 draws from 65 536 values: a repeat is possible but more than 3 is not plausible.
    expect(new Set(ids).size).toBeGreaterThanOrEqual(13)
    // not a counter
    expect(ids.slice(1).every((id, i) => id === ((ids[i]! + 1) & 0xffff))).toBe(false)
    expect(new Set(ports).size).toBeGreaterThan(1)
  })

  it('sends class CH and accepts a CH answer (whoami.cloudflare)', async () => {
    srv.setScript((q) => ({ answers: [rr(q.name, 'TXT', '192.0.2.10', 'CH')] }))
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'whoami.cloudflare', type: 'TXT', class: 'CH' })
    expect(srv.queries[0]).toMatchObject({ class: 'CH', type: 'TXT' })
    expect(ans.answers[0]?.class).toBe('CH')
    expect((ans.answers[0]?.data as Buffer[]).map((b) => b.toString())).toEqual(['192.0.2.10'])
  })

  it('accepts an answer whose question differs only in letter case', async () => {
    srv.setScript((q) => ({ question: { name: q.name.toUpperCase(), type: 'A', class: 'IN' }, answers: [rr(q.name, 'A', '192.0.2.10')] }))
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' })
    expect(ans.answers).toHaveLength(1)
  })

  it('ignores an answer with another ID (RFC 5452) and says so when no right answer follows', async () => {
    srv.setScript((q) => ({ id: (q.id + 1) & 0xffff, answers: [rr(q.name, 'A', '192.0.2.66')] }))
    const c = createDnsClient({ dnsMs: 150, dnsRetries: 0 })
    const e = await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e.kind).toBe('transient')
    expect(e.message).toMatch(/no answer within 150 ms \(1 stray datagram ignored: another ID or not a response\)$/)
  })

  it('a forged answer with another ID or question does not end the query: the real answer after it is used', async () => {
    // A raw server that sends a wrong-ID datagram and an answer to another question first, then the real answer.
    const sock = dgram.createSocket('udp4')
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
    sock.on('message', (msg, rinfo) => {
      const q = dnsPacket.decode(msg)
      const answer = (id: number, ip: string, name = 'myip.opendns.com'): Buffer =>
        dnsPacket.encode({ type: 'response', id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [{ name, type: 'A', class: 'IN' }], answers: [{ type: 'A', name, ttl: 0, data: ip }] })
      sock.send(answer(((q.id ?? 0) + 7) & 0xffff, '192.0.2.66'), rinfo.port, rinfo.address)
      sock.send(answer(q.id ?? 0, '192.0.2.67', 'myip.opendns.con'), rinfo.port, rinfo.address)
      setTimeout(() => sock.send(answer(q.id ?? 0, '192.0.2.10'), rinfo.port, rinfo.address), 30)
    })
    try {
      const ans = await client.query({ server: '127.0.0.1', port: (sock.address() as { port: number }).port, name: 'myip.opendns.com', type: 'A' })
      expect(ans.answers.map((a) => a.data)).toEqual(['192.0.2.10'])
    } finally {
      sock.close()
    }
  })

  // An answer with our ID to another question is skipped while the real one can still come; at
  // the timeout it is the error, naming what did not match, and the query is not sent again.
  const quick = createDnsClient({ dnsMs: 200, dnsRetries: 1 })

  it('rejects an answer to another question, naming both, at the timeout and without a retry', async () => {
    srv.setScript(() => ({ question: { name: 'other.example', type: 'A', class: 'IN' }, answers: [rr('other.example', 'A', '192.0.2.10')] }))
    const e = await failureOf(quick.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(srv.queries).toHaveLength(1)
    expect(e.kind).toBe('protocol')
    expect(e.message).toContain('answer question other.example A IN does not match the query myip.opendns.com A IN')
  })

  it('rejects an answer to another type', async () => {
    srv.setScript((q) => ({ question: { name: q.name, type: 'AAAA', class: 'IN' } }))
    const e = await failureOf(quick.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e.message).toMatch(/myip\.opendns\.com AAAA IN does not match the query myip\.opendns\.com A IN/)
  })

  it.each([
    ['records of class IN (dnsdist 1.7 spoofed answer)', ((q) => ({ answers: [rr(q.name, 'TXT', '192.0.2.10', 'IN')] })) as Script],
    ['the question echoed as class IN', ((q) => ({ question: { name: q.name, type: 'TXT', class: 'IN' }, answers: [rr(q.name, 'TXT', '192.0.2.10', 'IN')] })) as Script],
  ])('rejects an answer of class IN to a CH question: %s', async (_what, script) => {
    srv.setScript(script)
    const e = await failureOf(quick.query({ server: '127.0.0.1', port: srv.port, name: 'whoami.cloudflare', type: 'TXT', class: 'CH' }))
    expect(e.kind).toBe('protocol')
    expect(e.code).toBe('CLASS_MISMATCH')
    expect(e.message).toContain('answer class IN to a CH question')
  })

  it('ignores a packet that is not a response (QR clear) and a 3-byte scrap, saying so at the timeout', async () => {
    const c = createDnsClient({ dnsMs: 150, dnsRetries: 0 })
    srv.setScript(() => ({ notResponse: true }))
    const e = await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e.message).toContain('(1 stray datagram ignored: another ID or not a response)')
    srv.setScript(() => ({ raw: Buffer.from([1, 2, 3]) }))
    const e2 = await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e2.message).toContain('(1 stray datagram ignored: another ID or not a response)')
  })

  it('rejects a malformed answer with our ID as a protocol error', async () => {
    srv.setScript((q) => {
      const raw = Buffer.alloc(14, 0xff)
      raw.writeUInt16BE(q.id, 0)
      return { raw }
    })
    const e = await failureOf(quick.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e.kind).toBe('protocol')
    expect(e.message).toContain('malformed answer')
  })

  it('returns NXDOMAIN as an rcode, not an error', async () => {
    srv.setScript(() => ({ rcode: 'NXDOMAIN' }))
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'nope.example', type: 'A' })
    expect(ans.rcode).toBe('NXDOMAIN')
    expect(ans.answers).toEqual([])
  })

  it('asks again over TCP when the UDP answer is truncated', async () => {
    const many = Array.from({ length: 3 }, (_, i) => `192.0.2.${i + 1}`)
    srv.setScript((q) => ({ truncate: true, answers: many.map((a) => rr(q.name, 'A', a)) }))
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'big.example', type: 'A' })
    expect(ans.transport).toBe('tcp')
    expect(ans.answers.map((a) => a.data)).toEqual(many)
    expect(srv.queries.map((q) => q.transport)).toEqual(['udp', 'tcp'])
  })

  it('uses TCP from the start when asked', async () => {
    const ans = await client.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A', tcp: true })
    expect(ans.transport).toBe('tcp')
    expect(srv.queries.map((q) => q.transport)).toEqual(['tcp'])
  })

  it('retries once after a timeout, then fails as transient naming the server', async () => {
    srv.setScript(() => null)
    const c = createDnsClient({ dnsMs: 150, dnsRetries: 1 })
    const started = Date.now()
    const e = await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(e.kind).toBe('transient')
    expect(e.code).toBe('ETIMEDOUT')
    expect(e.message).toContain(`127.0.0.1:${srv.port}`)
    expect(e.message).toContain('2 attempts')
    expect(srv.queries).toHaveLength(2)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('a timed-out first attempt is answered by the retry, with a new ID', async () => {
    let n = 0
    srv.setScript((q) => (n++ === 0 ? null : { answers: [rr(q.name, 'A', '192.0.2.10')] }))
    const c = createDnsClient({ dnsMs: 150, dnsRetries: 1 })
    const ans = await c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' })
    expect(ans.answers[0]?.data).toBe('192.0.2.10')
    expect(srv.queries).toHaveLength(2)
  })

  it('takes the number of retries from its options', async () => {
    srv.setScript(() => null)
    const c = createDnsClient({ dnsMs: 100, dnsRetries: 0 })
    await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }))
    expect(srv.queries).toHaveLength(1)
  })

  it('stops when the signal aborts, without retrying', async () => {
    srv.setScript(() => null)
    const ac = new AbortController()
    const c = createDnsClient({ dnsMs: 10_000, dnsRetries: 3 })
    setTimeout(() => ac.abort(), 100)
    const e = await failureOf(c.query({ server: '127.0.0.1', port: srv.port, name: 'myip.opendns.com', type: 'A' }, ac.signal))
    expect(e.kind).toBe('transient')
    expect(e.message).toContain('aborted')
    expect(srv.queries).toHaveLength(1)
  })

  it('BC-18: the socket family is the one asked (IPv6 to ::1)', async (t) => {
    if (!srv.host6) {
      console.warn('SKIP: this host has no IPv6 loopback')
      t.skip()
      return
    }
    srv.setScript((q) => ({ answers: [rr(q.name, 'AAAA', '2001:db8::10')] }))
    const ans = await client.query({ server: '::1', port: srv.port, name: 'myip.opendns.com', type: 'AAAA', family: 6 })
    expect(ans.answers[0]?.data).toBe('2001:db8::10')
    expect(srv.queries[0]).toMatchObject({ family: 6, transport: 'udp' })
  })
})

describe('transport exchange (raw bytes, for RFC 2136)', () => {
  const msg = (id: number): Buffer => dnsPacket.encode({ type: 'query', id, questions: [{ name: 'example.com', type: 'SOA' }] })

  it.each([false, true])('returns the answer bytes unchanged (tcp: %s)', async (tcp) => {
    srv.setScript(() => ({ rcode: 'REFUSED' }))
    const r = await exchange(msg(4242), { server: '127.0.0.1', port: srv.port, tcp, timeoutMs: 1000 })
    expect(r.transport).toBe(tcp ? 'tcp' : 'udp')
    const d = dnsPacket.decode(r.message)
    expect(d.id).toBe(4242)
    expect((d as unknown as { rcode: string }).rcode).toBe('REFUSED')
  })

  it('a refused TCP connection is transient and names server:port', async () => {
    const closed = await startDnsServer()
    const port = closed.port
    await closed.close()
    const e = await failureOf(exchange(msg(1), { server: '127.0.0.1', port, tcp: true, timeoutMs: 1000 }))
    expect(e.kind).toBe('transient')
    expect(e.message).toContain(`127.0.0.1:${port}`)
    expect(e.code).toBe('ECONNREFUSED')
  })

  it('refuses a server literal of the other family', async () => {
    const e = await failureOf(exchange(msg(1), { server: '127.0.0.1', port: 53, family: 6, timeoutMs: 100 }))
    expect(e.kind).toBe('internal')
  })
})
