import dgram from 'node:dgram'
import type { AddressInfo } from 'node:net'
import dnsPacket from 'dns-packet'
import type { Answer, Question } from 'dns-packet'
import { afterEach, describe, expect, it } from 'vitest'
import { datagramFit, exchange } from '../../../src/dns/transport.js'
import { failureOf } from '../../helpers/errors.js'

/**
 * The UDP filter every exchange applies (RFC 5452 sections 4.1 and 9.1), against a real UDP
 * server on 127.0.0.1 that answers each query with a script of datagrams: some from its own
 * port, some from a second socket (another source port), in order.
 */

interface Step {
  /** `other`: sent from a second socket, so from another source port than the one queried. */
  from?: 'server' | 'other'
  bytes: (query: Buffer) => Buffer
}

let closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.map((c) => c()))
  closers = []
})

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r))
  closers.push(() => new Promise<void>((r) => s.close(() => r())))
  return s
}

/** A server that answers every query with `steps`, 20 ms apart. */
async function scripted(steps: Step[]): Promise<{ port: number; sent: Buffer[] }> {
  const server = await bound()
  const other = await bound()
  const sent: Buffer[] = []
  server.on('message', (query, rinfo) => {
    steps.forEach((step, i) => {
      setTimeout(() => {
        const out = step.bytes(query)
        sent.push(out)
        ;(step.from === 'other' ? other : server).send(out, rinfo.port, rinfo.address)
      }, 20 * i)
    })
  })
  return { port: (server.address() as AddressInfo).port, sent }
}

const QUESTION: Question = { name: 'home.example.test', type: 'A', class: 'IN' }

function query(id = 0x1234, question: Question = QUESTION): Buffer {
  return dnsPacket.encode({ type: 'query', id, flags: 0, questions: [question] })
}

/** An answer to `q` built from its decoded form, with the changes asked for. */
function answer(q: Buffer, over: { id?: number; address?: string; question?: Question; qr?: boolean; rcode?: number; questions?: Question[] } = {}): Buffer {
  const d = dnsPacket.decode(q)
  const answers: Answer[] = [{ name: 'home.example.test', type: 'A', ttl: 60, data: over.address ?? '192.0.2.10' }]
  const out = dnsPacket.encode({
    type: 'response',
    id: over.id ?? d.id ?? 0,
    flags: dnsPacket.AUTHORITATIVE_ANSWER | (over.rcode ?? 0),
    questions: over.questions ?? [over.question ?? d.questions![0]!],
    answers,
  })
  if (over.qr === false) out.writeUInt16BE(out.readUInt16BE(2) & 0x7fff, 2)
  return out
}

describe('exchange over UDP ignores stray datagrams and takes the real answer', () => {
  it('another source port, another ID, QR clear, another question, another class, another opcode: all skipped', async () => {
    const s = await scripted([
      // A perfect forgery, but from another port of the server's address.
      { from: 'other', bytes: (q) => answer(q, { address: '198.51.100.66' }) },
      { bytes: (q) => answer(q, { id: (q.readUInt16BE(0) + 1) & 0xffff, address: '198.51.100.67' }) },
      { bytes: (q) => answer(q, { qr: false, address: '198.51.100.68' }) },
      { bytes: (q) => answer(q, { question: { ...QUESTION, name: 'other.example.test' }, address: '198.51.100.69' }) },
      { bytes: (q) => answer(q, { question: { ...QUESTION, class: 'CH' }, address: '198.51.100.70' }) },
      {
        bytes: (q) => {
          const a = answer(q, { address: '198.51.100.71' })
          a.writeUInt16BE(a.readUInt16BE(2) | (5 << 11), 2)
          return a
        },
      },
      { bytes: (q) => answer(q, { address: '192.0.2.10' }) },
    ])
    const got = await exchange(query(), { server: '127.0.0.1', port: s.port, timeoutMs: 2000 })
    expect(got.transport).toBe('udp')
    expect(dnsPacket.decode(got.message).answers?.map((a) => (a as { data?: unknown }).data)).toEqual(['192.0.2.10'])
    expect(got.message).toEqual(s.sent[s.sent.length - 1])
  })

  it('the question compares case-insensitively: an answer echoing it in upper case is taken', async () => {
    const s = await scripted([{ bytes: (q) => answer(q, { question: { ...QUESTION, name: 'HOME.Example.TEST' } }) }])
    const got = await exchange(query(), { server: '127.0.0.1', port: s.port, timeoutMs: 2000 })
    expect(dnsPacket.decode(got.message).questions?.[0]?.name).toBe('HOME.Example.TEST')
  })

  it('only strays: a timeout that says how many were ignored', async () => {
    const s = await scripted([
      { bytes: (q) => answer(q, { id: (q.readUInt16BE(0) + 7) & 0xffff }) },
      { bytes: (q) => answer(q, { qr: false }) },
      { bytes: () => Buffer.from([1, 2, 3]) },
    ])
    const e = await failureOf(exchange(query(), { server: '127.0.0.1', port: s.port, timeoutMs: 300 }))
    expect(e).toMatchObject({ kind: 'transient', code: 'ETIMEDOUT' })
    expect(e.message).toMatch(/: no answer within 300 ms \(3 stray datagrams ignored: another ID or not a response\)$/)
  })

  it('an answer with our ID to another question is handed over only at the timeout, for the caller to name', async () => {
    const s = await scripted([{ bytes: (q) => answer(q, { question: { ...QUESTION, name: 'other.example.test' } }) }])
    const started = Date.now()
    const got = await exchange(query(), { server: '127.0.0.1', port: s.port, timeoutMs: 300 })
    // It came within ~0 ms but was kept until the timeout: the real answer could still have come.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    expect(got.message).toEqual(s.sent[0])
  })
})

describe('datagramFit', () => {
  const q = query(0xbeef)
  // An UPDATE: opcode 5, one zone entry (the zone's SOA, class IN).
  const update = dnsPacket.encode({ type: 'query', id: 0xbeef, flags: 5 << 11, questions: [{ name: 'example.test', type: 'SOA', class: 'IN' }] })
  /** `msg` as a response with its counts cut to a bare header with `rcode`. */
  const bareResponse = (msg: Buffer, rcode: number): Buffer => {
    const h = Buffer.from(msg.subarray(0, 12))
    h.writeUInt16BE(0x8000 | (msg.readUInt16BE(2) & 0x7800) | rcode, 2)
    h.fill(0, 4, 12)
    return h
  }
  it.each([
    ['the answer', q, answer(q), 'answer'],
    ['the answer with the name in another case', q, answer(q, { question: { ...QUESTION, name: 'Home.EXAMPLE.test' } }), 'answer'],
    ['another ID', q, answer(q, { id: 0xbeee }), 'stray'],
    ['QR clear', q, answer(q, { qr: false }), 'stray'],
    ['shorter than a header', q, Buffer.from([0xbe, 0xef, 0x80]), 'stray'],
    ['another name', q, answer(q, { question: { ...QUESTION, name: 'home.example.tesu' } }), 'ours'],
    ['another type', q, answer(q, { question: { ...QUESTION, type: 'AAAA' } }), 'ours'],
    ['another class', q, answer(q, { question: { ...QUESTION, class: 'CH' } }), 'ours'],
    ['two questions', q, answer(q, { questions: [QUESTION, QUESTION] }), 'ours'],
    ['REFUSED without the question', q, bareResponse(q, 5), 'answer'],
    ['NOERROR without the question', q, bareResponse(q, 0), 'ours'],
    ['NXDOMAIN without the question', q, bareResponse(q, 3), 'ours'],
    ['an UPDATE answer without the zone section (RFC 2136 section 3.8)', update, bareResponse(update, 0), 'answer'],
  ] as const)('%s', (_what, sent, msg, fit) => {
    expect(datagramFit(sent, msg)).toBe(fit)
  })

  it('an answer of another opcode is ours, not the answer', () => {
    const a = answer(q)
    a.writeUInt16BE(a.readUInt16BE(2) | (5 << 11), 2)
    expect(datagramFit(q, a)).toBe('ours')
    expect(datagramFit(update, bareResponse(q, 0))).toBe('ours')
  })

  it('a compression pointer in place of the question name does not match', () => {
    const a = answer(q)
    // The first question's name replaced by a pointer to offset 12 (itself).
    const ptr = Buffer.concat([a.subarray(0, 12), Buffer.from([0xc0, 0x0c]), a.subarray(12 + 'home.example.test'.length + 2)])
    expect(datagramFit(q, ptr)).toBe('ours')
  })
})
