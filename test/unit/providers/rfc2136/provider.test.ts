import dgram from 'node:dgram'
import type { AddressInfo } from 'node:net'
import dnsPacket from 'dns-packet'
import type { Answer } from 'dns-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { TsigTimeError, findTsig, readName, signResponse, stripTsig, tsigDigestInput, tsigMac, tsigRecordWire } from '../../../../src/dns/tsig.js'
import type { TsigKey } from '../../../../src/dns/tsig.js'
import { createRfc2136Provider } from '../../../../src/providers/rfc2136/index.js'
import type { ExchangeFn } from '../../../../src/providers/rfc2136/index.js'
import type { Change, Current, RecordRef } from '../../../../src/providers/types.js'
import { parseEntry, testCtx, udpStub } from './support.js'

/**
 * The provider against local UDP stand-ins that answer as an RFC 2136 server would (or would not),
 * for the answers a real BIND cannot be made to give: BADTIME (BC-30), unsigned or forged answers,
 * SERVFAIL, NOTZONE, silence. The real-server cases live in test/integration/rfc2136.test.ts.
 */

const SECRET = 'NcUOuXDRfwH68VOT+DePQY1gp1sgDeGWMwtwQAxRPMQ='
const KEY: TsigKey = { name: 'edge-ddns-key', algorithm: 'hmac-sha256', secret: Buffer.from(SECRET, 'base64') }
const HOME_A: RecordRef = { fqdn: 'home.example.test', type: 'A', zone: 'example.test' }

let closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.map((c) => c()))
  closers = []
})

async function stub(answer: (msg: Buffer) => Buffer | null) {
  const s = await udpStub(answer)
  closers.push(s.close)
  return s
}

function providerAt(port: number, exchange?: ExchangeFn) {
  const { parsed } = parseEntry({
    server: `127.0.0.1:${port}`,
    zone: 'example.test',
    records: ['home'],
    key_name: KEY.name,
    key_secret: SECRET,
  })
  return createRfc2136Provider(parsed.settings, {}, exchange ? { exchange } : {})
}

/** The answer's header and zone section, copied from the request with QR set and `rcode`. */
function updateAnswer(req: Buffer, rcode: number): Buffer {
  const zoneEnd = readName(req, 12).next + 4
  const out = Buffer.from(req.subarray(0, zoneEnd))
  out.writeUInt16BE(0x8000 | (5 << 11) | rcode, 2)
  out.writeUInt16BE(1, 4)
  out.writeUInt16BE(0, 6)
  out.writeUInt16BE(0, 8)
  out.writeUInt16BE(0, 10)
  return out
}

/** Signs an answer as a server holding `key` does (request MAC first, RFC 8945 section 4.3.1). */
function signed(req: Buffer, rcode: number, opts: { key?: TsigKey; error?: number; otherData?: Buffer } = {}): Buffer {
  const r = findTsig(req)!.record
  return signResponse(updateAnswer(req, rcode), opts.key ?? KEY, r.mac, {
    timeSigned: r.timeSigned,
    fudge: 300,
    error: opts.error ?? 0,
    otherData: opts.otherData ?? Buffer.alloc(0),
  })
}

/** An error answer with a TSIG RR whose MAC is empty (RFC 8945 section 5.3.2: BADKEY, BADSIG). */
function unsignedTsigError(req: Buffer, error: number): Buffer {
  const r = findTsig(req)!.record
  const out = Buffer.concat([updateAnswer(req, 9), tsigRecordWire({ ...r, mac: Buffer.alloc(0), error, otherData: Buffer.alloc(0) })])
  out.writeUInt16BE(1, 10)
  return out
}

const u48 = (n: number): Buffer => {
  const b = Buffer.alloc(6)
  b.writeUIntBE(n, 0, 6)
  return b
}

const presentHome = (values = ['192.0.2.1']): Current => ({ kind: 'present', values, meta: { ttl: 600 } })
const change = (current: Current = presentHome(), value = '192.0.2.10', create = true): Change => ({ ref: HOME_A, value, current, create })

describe('rfc2136 UPDATE answers', () => {
  const T = Date.UTC(2026, 0, 1) / 1000 // the server's time: 2026-01-01T00:00:00Z

  it.each([
    ['an unsynchronised router clock at 1970-01-01', 0, T, 'behind'],
    ['a clock one hour behind', (T - 3600) * 1000, 3600, 'behind'],
    ['a clock ten minutes ahead', (T + 600) * 1000, -600, 'ahead of'],
  ])('BC-30: BADTIME with %s says the clock is off and by how much', async (_what, nowMs, skew, dir) => {
    const s = await stub((req) => signed(req, 9, { error: 18, otherData: u48(T) }))
    const ctx = testCtx(() => nowMs)
    const [out] = await providerAt(s.port).write([change()], ctx)
    const err = out!.error as TsigTimeError
    expect(out!.status).toBe('failed')
    expect(err).toBeInstanceOf(TsigTimeError)
    expect(err).toMatchObject({ kind: 'clock', code: 'BADTIME', serverTime: T, skewSec: skew })
    expect(err.message).toContain(`the clock of this host is ${Math.abs(skew)} s ${dir} 127.0.0.1:${s.port}`)
    expect(err.message).toContain(`the server's time is 2026-01-01T00:00:00.000Z (NOTAUTH, TSIG error BADTIME)`)
    expect(err.message).toContain(`it signed at ${new Date(Math.floor(nowMs / 1000) * 1000).toISOString()}`)
    expect(err.hint).toMatch(/NTP/)
  })

  it('signs the request so that a server holding the key verifies it (RFC 8945 section 4.3.3)', async () => {
    const s = await stub((req) => signed(req, 0))
    const ctx = testCtx(() => T * 1000)
    const [out] = await providerAt(s.port).write([change()], ctx)
    expect(out!.status).toBe('updated')
    const req = s.received[0]!
    const found = findTsig(req)!
    expect(found.record).toMatchObject({ keyName: 'edge-ddns-key', algorithm: 'hmac-sha256', timeSigned: T, fudge: 300, error: 0 })
    const mac = tsigMac(KEY, tsigDigestInput(stripTsig(req, found.offset, found.record.originalId), found.record))
    expect(mac).toEqual(found.record.mac)
    expect((req.readUInt16BE(2) >> 11) & 0x0f).toBe(5)
    expect(ctx.lines).toEqual([
      `debug: rfc2136: UPDATE of zone example.test at 127.0.0.1:${s.port}: home.example.test A update (${req.length} bytes, TSIG key edge-ddns-key)`,
    ])
  })

  it.each([
    ['NOERROR without a signature', (req: Buffer) => updateAnswer(req, 0), /carries no TSIG signature.*\(answer RCODE NOERROR\)/],
    [
      'NOERROR signed with another secret',
      (req: Buffer) => signed(req, 0, { key: { ...KEY, secret: Buffer.alloc(32, 9) } }),
      /signature does not verify; not trusted \(answer RCODE NOERROR\)/,
    ],
    ['NOERROR with a 10-byte MAC', (req: Buffer) => truncateMac(signed(req, 0)), /MAC is 10 bytes, expected 32/],
  ])('an answer that fails verification is an error, never "updated": %s', async (_what, answer, message) => {
    const s = await stub(answer)
    const [out] = await providerAt(s.port).write([change()], testCtx())
    expect(out!.status).toBe('failed')
    expect(out!.error).toMatchObject({ kind: 'protocol' })
    expect(out!.error!.message).toMatch(message)
    expect(out!.error!.message).toMatch(/^rfc2136: UPDATE of zone example\.test at 127\.0\.0\.1:\d+: /)
  })

  it.each([
    [5, 'REFUSED', 'forbidden', false, /refused the change \(REFUSED\): key "edge-ddns-key" may not update/],
    [10, 'NOTZONE', 'invalid', false, /not inside zone example\.test \(NOTZONE\)/],
    [9, 'NOTAUTH', 'notfound', false, /not authoritative for zone example\.test \(NOTAUTH\)/],
    [2, 'SERVFAIL', 'transient', true, /the server failed \(SERVFAIL\)/],
    [8, 'NXRRSET', 'transient', true, /changed on the server since it was read \(prerequisite failed: NXRRSET\)/],
    [7, 'YXRRSET', 'transient', true, /prerequisite failed: YXRRSET/],
    [4, 'NOTIMP', 'invalid', false, /does not implement dynamic update/],
    [1, 'FORMERR', 'protocol', false, /FORMERR; this is a bug in edge-ddns, please report it/],
  ])('signed RCODE %i %s → kind %s (retryable %s)', async (rcode, code, kind, retryable, message) => {
    const s = await stub((req) => signed(req, rcode))
    const outs = await providerAt(s.port).write([change(), change({ kind: 'absent' }, '192.0.2.11')], testCtx())
    // One message for both records, and both report its failure.
    expect(s.received.length).toBe(1)
    for (const out of outs) {
      expect(out.status).toBe('failed')
      expect(out.error).toMatchObject({ kind, code, retryable })
      expect(out.error!.message).toMatch(message)
    }
    expect(outs[0]!.previous).toEqual(['192.0.2.1'])
  })

  it.each([
    [17, 'BADKEY', /does not know TSIG key "edge-ddns-key" with algorithm hmac-sha256 \(NOTAUTH, TSIG error BADKEY\)/],
    [16, 'BADSIG', /rejected the signature of TSIG key "edge-ddns-key": the secret differs \(NOTAUTH, TSIG error BADSIG\)/],
  ])('an unsigned NOTAUTH with TSIG error %i (%s) is an auth error', async (error, code, message) => {
    const s = await stub((req) => unsignedTsigError(req, error))
    const [out] = await providerAt(s.port).write([change()], testCtx())
    expect(out!.error).toMatchObject({ kind: 'auth', code, retryable: false })
    expect(out!.error!.message).toMatch(message)
  })

  it('an answer with another ID is not taken for the UPDATE\'s: the wait goes on, and the timeout says why', async () => {
    const s = await stub((req) => {
      const a = signed(req, 0)
      a.writeUInt16BE(a.readUInt16BE(0) ^ 0xffff, 0)
      return a
    })
    const [out] = await providerAt(s.port).write([change()], testCtx(Date.now, 200))
    expect(out!.status).toBe('failed')
    expect(out!.error).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT' })
    expect(out!.error!.message).toMatch(/no answer within 200 ms \(1 stray datagram ignored: another ID or not a response\)$/)
  })

  it('an UPDATE answer with our ID but another opcode is handed over at the timeout and refused as not ours', async () => {
    const s = await stub((req) => {
      const a = signed(req, 0)
      a.writeUInt16BE(a.readUInt16BE(2) & ~(0x0f << 11), 2)
      return a
    })
    const [out] = await providerAt(s.port).write([change()], testCtx(Date.now, 200))
    expect(out!.error).toMatchObject({ kind: 'protocol' })
    expect(out!.error!.message).toMatch(/does not belong to the UPDATE \(ID \d+, opcode 0\)/)
  })

  it('a server that never answers: failed, transient, after the timeout', async () => {
    const s = await stub(() => null)
    const [out] = await providerAt(s.port).write([change()], testCtx(Date.now, 200))
    expect(out!.error).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT', retryable: true })
    expect(s.received.length).toBe(1)
  })

  it('equal values, missing records and failed reads send nothing', async () => {
    const s = await stub((req) => signed(req, 0))
    const failed: Current = { kind: 'failed', error: new TsigTimeError('x', undefined, undefined, 'y') }
    const outs = await providerAt(s.port).write(
      [
        change(presentHome(['192.0.2.10'])),
        change({ kind: 'absent' }, '192.0.2.10', false),
        change(failed),
        { ref: { ...HOME_A, type: 'AAAA' }, value: '2001:DB8::0:10', current: { kind: 'present', values: ['2001:db8::10'] }, create: false },
      ],
      testCtx(),
    )
    expect(outs.map((o) => o.status)).toEqual(['unchanged', 'missing', 'failed', 'unchanged'])
    expect(outs[2]!.error).toBe(failed.error)
    expect(s.received.length).toBe(0)
  })

  it('a value that is not an address of the record\'s family fails that record alone', async () => {
    const s = await stub((req) => signed(req, 0))
    const outs = await providerAt(s.port).write([change(presentHome(), '<html>'), change(presentHome(), '192.0.2.10')], testCtx())
    expect(outs.map((o) => o.status)).toEqual(['failed', 'updated'])
    expect(outs[0]!.error).toMatchObject({ kind: 'invalid' })
    expect(s.received.length).toBe(1)
  })
})

function truncateMac(msg: Buffer): Buffer {
  const found = findTsig(msg)!
  const out = Buffer.concat([
    stripTsig(msg, found.offset, found.record.originalId),
    tsigRecordWire({ ...found.record, mac: found.record.mac.subarray(0, 10) }),
  ])
  out.writeUInt16BE(1, 10)
  return out
}

describe('rfc2136 reads', () => {
  /** A query answer built with dns-packet from the query. */
  function queryAnswer(req: Buffer, opts: { rcode?: string; aa?: boolean; answers?: Answer[]; name?: string; tc?: boolean }): Buffer {
    const q = dnsPacket.decode(req)
    const rcodes: Record<string, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 }
    let flags = rcodes[opts.rcode ?? 'NOERROR']!
    if (opts.aa !== false) flags |= dnsPacket.AUTHORITATIVE_ANSWER
    if (opts.tc) flags |= dnsPacket.TRUNCATED_RESPONSE
    const question = { ...q.questions![0]!, ...(opts.name ? { name: opts.name } : {}) }
    return dnsPacket.encode({ type: 'response', id: q.id, flags, questions: [question], answers: opts.answers ?? [] })
  }

  it.each([
    ['a NOERROR answer with the RRset', { answers: [{ name: 'home.example.test', type: 'A', ttl: 600, data: '192.0.2.1' }] as Answer[] }, { kind: 'present', values: ['192.0.2.1'], meta: { ttl: 600 } }],
    ['NXDOMAIN', { rcode: 'NXDOMAIN' }, { kind: 'absent' }],
    ['NODATA (NOERROR, no answer)', {}, { kind: 'absent' }],
    ['a non-authoritative answer', { aa: false }, { kind: 'failed', error: { kind: 'invalid', code: 'NOT_AUTHORITATIVE' } }],
    ['SERVFAIL', { rcode: 'SERVFAIL' }, { kind: 'failed', error: { kind: 'transient', code: 'SERVFAIL' } }],
    ['REFUSED', { rcode: 'REFUSED' }, { kind: 'failed', error: { kind: 'forbidden', code: 'REFUSED' } }],
    ['an answer to another question', { name: 'other.example.test' }, { kind: 'failed', error: { kind: 'protocol' } }],
  ])('%s', async (_what, opts, expected) => {
    const s = await stub((req) => queryAnswer(req, opts))
    const [cur] = await providerAt(s.port).read([HOME_A], testCtx())
    expect(cur).toMatchObject(expected)
    const q = dnsPacket.decode(s.received[0]!)
    expect(q.flags! & dnsPacket.RECURSION_DESIRED).toBe(0)
  })

  it('a NOERROR answer without its question is never read as absent', async () => {
    const s = await stub((req) => {
      const q = dnsPacket.decode(req)
      return dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: [] })
    })
    const [cur] = await providerAt(s.port).read([HOME_A], testCtx(Date.now, 200))
    expect(cur).toMatchObject({ kind: 'failed', error: { kind: 'protocol' } })
    expect((cur as Extract<Current, { kind: 'failed' }>).error.message).toMatch(/the NOERROR answer carries no question$/)
  })

  it('a silent server: failed (transient), never absent (BC-34)', async () => {
    const s = await stub(() => null)
    const [cur] = await providerAt(s.port).read([HOME_A], testCtx(Date.now, 200))
    expect(cur).toMatchObject({ kind: 'failed', error: { kind: 'transient', code: 'ETIMEDOUT' } })
    expect((cur as Extract<Current, { kind: 'failed' }>).error.message).toMatch(/^rfc2136: home\.example\.test A from 127\.0\.0\.1:\d+: /)
  })

  it('a truncated UDP answer is asked again over TCP', async () => {
    const seen: Array<boolean | undefined> = []
    const fake: ExchangeFn = async (message, opts) => {
      seen.push(opts.tcp)
      const answers: Answer[] = [{ name: 'home.example.test', type: 'A', ttl: 60, data: '192.0.2.1' }]
      return opts.tcp
        ? { message: queryAnswer(message, { answers }), transport: 'tcp' }
        : { message: queryAnswer(message, { tc: true }), transport: 'udp' }
    }
    const [cur] = await providerAt(53, fake).read([HOME_A], testCtx())
    expect(seen).toEqual([false, true])
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
  })
})

/**
 * A UDP server on 127.0.0.1 that answers each message with `steps` in order, 20 ms apart; a step
 * marked `other` is sent from a second socket, so from another source port than the one asked.
 */
async function scriptedServer(steps: Array<{ other?: boolean; bytes: (req: Buffer) => Buffer }>): Promise<{ port: number; received: Buffer[] }> {
  const open = async (): Promise<dgram.Socket> => {
    const sock = dgram.createSocket('udp4')
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r))
    closers.push(() => new Promise<void>((r) => sock.close(() => r())))
    return sock
  }
  const server = await open()
  const other = await open()
  const received: Buffer[] = []
  server.on('message', (req, rinfo) => {
    received.push(req)
    steps.forEach((step, i) => setTimeout(() => (step.other ? other : server).send(step.bytes(req), rinfo.port, rinfo.address), 20 * i))
  })
  return { port: (server.address() as AddressInfo).port, received }
}

describe('rfc2136 over UDP: stray datagrams before the real answer (RFC 5452 section 9.1)', () => {
  const withId = (msg: Buffer, id: number): Buffer => {
    const out = Buffer.from(msg)
    out.writeUInt16BE(id, 0)
    return out
  }
  const flipId = (req: Buffer): number => req.readUInt16BE(0) ^ 0x5a5a

  it('a read takes the real answer, not a forgery from another port, with another ID or to another question', async () => {
    const a = (req: Buffer, data: string, name = 'home.example.test'): Buffer => {
      const q = dnsPacket.decode(req)
      return dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER,
        questions: [{ name, type: 'A', class: 'IN' }],
        answers: [{ name, type: 'A', ttl: 600, data }],
      })
    }
    const s = await scriptedServer([
      { other: true, bytes: (req) => a(req, '198.51.100.66') },
      { bytes: (req) => withId(a(req, '198.51.100.67'), flipId(req)) },
      { bytes: (req) => a(req, '198.51.100.68', 'home.example.tesu') },
      { bytes: (req) => a(req, '192.0.2.1') },
    ])
    const [cur] = await providerAt(s.port).read([HOME_A], testCtx(Date.now, 2000))
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
    expect(s.received).toHaveLength(1)
  })

  it('a signed UPDATE is not ended by a stray datagram: the server\'s signed answer after it counts', async () => {
    const s = await scriptedServer([
      // Unsigned NOERROR with our ID from another port: a forgery that would fail TSIG.
      { other: true, bytes: (req) => updateAnswer(req, 0) },
      // A signed answer to some other exchange: another ID.
      { bytes: (req) => withId(signed(req, 5), flipId(req)) },
      // A datagram that is not a response at all.
      { bytes: (req) => withId(Buffer.from(req), req.readUInt16BE(0)) },
      { bytes: (req) => signed(req, 0) },
    ])
    const [out] = await providerAt(s.port).write([change()], testCtx(Date.now, 2000))
    expect(out).toMatchObject({ status: 'updated', value: '192.0.2.10', previous: ['192.0.2.1'] })
    expect(s.received).toHaveLength(1)
  })
})
