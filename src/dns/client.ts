import { randomInt } from 'node:crypto'
import net from 'node:net'
import dnsPacket from 'dns-packet'
import type { Answer, DecodedPacket, Packet, RecordClass, RecordType } from 'dns-packet'
import { EdgeError } from '../errors.js'
import { exchange, hostPort } from './transport.js'
import type { DnsAnswer, DnsClient, DnsQuery, DnsRecord } from './types.js'

/**
 * The DNS client of edge-ddns: messages built and parsed with dns-packet, sent with `exchange`.
 *
 * Each query gets a random 16-bit ID from node:crypto and a fresh socket with an OS-chosen
 * source port (RFC 5452 section 9.2). Over UDP the transport's filter (`datagramFit` in
 * transport.ts, shared with RFC 2136) skips stray datagrams, so a forged one cannot end the query.
 * An answer is accepted only when it is a response (QR set) whose
 * ID, question name (compared case-insensitively, RFC 4343), type and class equal the query's
 * (RFC 5452 section 4.1); any mismatch is an error saying what did not match, never silently used.
 * That includes an answer of class IN to a CH question, as dnsdist 1.7's spoofed answers are.
 * A truncated UDP answer (TC bit) is asked again over TCP (RFC 1035 4.2.1, RFC 7766). A timed-out
 * attempt is repeated `dnsRetries` times; other failures are not.
 */

/** Timeouts of the client, from the run's `Timeouts`. */
export interface DnsClientOptions {
  /** One attempt, in milliseconds. */
  dnsMs: number
  /** Further attempts after a timeout. */
  dnsRetries: number
}

/** Creates the real client. */
export function createDnsClient(t: DnsClientOptions): DnsClient {
  return { query: (q, signal) => query(q, t, signal) }
}

/** `myip.opendns.com A IN`, for messages. */
function describe(name: string, type: string, klass: string): string {
  return `${name} ${type} ${klass}`
}

function canonicalName(n: string): string {
  return n.replace(/\.$/, '').toLowerCase()
}

async function query(q: DnsQuery, t: DnsClientOptions, signal?: AbortSignal): Promise<DnsAnswer> {
  const port = q.port ?? 53
  const lit = net.isIP(q.server)
  const family: 4 | 6 = q.family ?? (lit === 6 ? 6 : 4)
  const klass = q.class ?? 'IN'
  const type = q.type.toUpperCase()
  const asked = describe(q.name, type, klass)
  const where = `DNS ${asked} to ${hostPort(q.server, port)}`

  let tcp = q.tcp === true
  let attempt = 0
  for (;;) {
    const id = randomInt(0, 0x10000)
    const packet: Packet = {
      type: 'query',
      id,
      flags: q.recursion === false ? 0 : dnsPacket.RECURSION_DESIRED,
      questions: [{ name: q.name, type: type as RecordType, class: klass as RecordClass }],
    }
    let message: Buffer
    try {
      message = dnsPacket.encode(packet)
    } catch (e) {
      throw new EdgeError('invalid', `${where}: cannot encode the query: ${(e as Error).message}`, { retryable: false, cause: e })
    }
    let got: { message: Buffer; transport: 'udp' | 'tcp' }
    try {
      got = await exchange(message, { server: q.server, port, family, tcp, timeoutMs: t.dnsMs, ...(signal ? { signal } : {}) })
    } catch (e) {
      if (e instanceof EdgeError && e.code === 'ETIMEDOUT' && attempt < t.dnsRetries && !signal?.aborted) {
        attempt++
        continue
      }
      if (e instanceof EdgeError && e.code === 'ETIMEDOUT' && attempt > 0) {
        throw new EdgeError('transient', `${e.message} (${attempt + 1} attempts)`, { code: e.code, cause: e })
      }
      throw e
    }
    const res = decodeAnswer(got.message, `${where} over ${got.transport.toUpperCase()}`)
    checkAnswer(res, id, q.name, type, klass, `${where} over ${got.transport.toUpperCase()}`)
    if (res.flag_tc && got.transport === 'udp') {
      // RFC 7766 section 5: a truncated answer is not used; the whole one comes over TCP.
      tcp = true
      continue
    }
    return {
      rcode: (res as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR',
      answers: (res.answers ?? []).filter((a) => a.type !== 'OPT').map(toRecord),
      authorities: (res.authorities ?? []).filter((a) => a.type !== 'OPT').map(toRecord),
      transport: got.transport,
    }
  }
}

function decodeAnswer(buf: Buffer, where: string): DecodedPacket {
  try {
    return dnsPacket.decode(buf)
  } catch (e) {
    throw new EdgeError('protocol', `${where}: malformed answer (${(e as Error).message})`, { retryable: true, cause: e })
  }
}

/**
 * Checks an answer against its query (RFC 5452 section 4.1, RFC 1035 4.1.1).
 * @throws EdgeError kind `protocol` saying what did not match.
 */
function checkAnswer(res: DecodedPacket, id: number, name: string, type: string, klass: string, where: string): void {
  const fail = (what: string, code: string): never => {
    throw new EdgeError('protocol', `${where}: ${what}`, { retryable: true, code })
  }
  if (!res.flag_qr) fail('the answer is not a response (QR bit clear)', 'NOT_RESPONSE')
  if (res.id !== id) fail(`answer ID ${res.id} does not match query ID ${id}`, 'ID_MISMATCH')
  const qs = res.questions ?? []
  // A FORMERR or NOTIMP answer may leave the question out; its RCODE speaks for itself.
  const rcode = (res as DecodedPacket & { rcode?: string }).rcode
  if (qs.length === 0 && rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') return
  if (qs.length !== 1) fail(`answer carries ${qs.length} questions, the query had 1`, 'QUESTION_MISMATCH')
  const rq = qs[0]!
  const rclass = String(rq.class ?? 'IN')
  if (canonicalName(rq.name) !== canonicalName(name) || rq.type !== type) {
    fail(`answer question ${describe(rq.name, rq.type, rclass)} does not match the query ${describe(name, type, klass)}`, 'QUESTION_MISMATCH')
  }
  if (rclass !== klass) {
    fail(`answer class ${rclass} to a ${klass} question (${name} ${type}); the server does not handle class ${klass}`, 'CLASS_MISMATCH')
  }
  for (const a of res.answers ?? []) {
    if (a.type === 'OPT') continue
    const aclass = String((a as { class?: string }).class ?? 'IN')
    if (aclass !== klass) {
      fail(`answer class ${aclass} to a ${klass} question (${name} ${type}); the server does not handle class ${klass}`, 'CLASS_MISMATCH')
    }
  }
}

function toRecord(a: Answer): DnsRecord {
  const r = a as { name: string; type: string; class?: string; ttl?: number; data?: unknown }
  return { name: r.name, type: r.type, class: r.class ?? 'IN', ttl: r.ttl ?? 0, data: r.data }
}
