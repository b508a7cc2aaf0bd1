import { isIPv4, isIPv6 } from 'node:net'
import { EdgeError } from '../errors.js'
import { CLASS_ANY, nameToWire } from './tsig.js'

/**
 * DNS UPDATE messages (RFC 2136), encoded by hand: dns-packet cannot write class NONE or ANY with
 * empty RDATA, which prerequisites and RRset deletes need. Names are written uncompressed (allowed
 * by RFC 1035 section 4.1.4; the messages are small).
 *
 * Layout (RFC 2136 section 2): header with Opcode 5 (UPDATE), then the Zone section (one entry:
 * zone name, type SOA, class IN), the Prerequisite section, the Update section and the Additional
 * section (where the TSIG RR goes, appended by `signRequest`).
 */

/** Opcode UPDATE (RFC 2136 section 1.3). */
export const OPCODE_UPDATE = 5
export const CLASS_IN = 1
/** CLASS NONE (RFC 2136 section 1.3). */
export const CLASS_NONE = 254
export const TYPE_A = 1
export const TYPE_SOA = 6
export const TYPE_CNAME = 5
export const TYPE_AAAA = 28

/** RR type numbers of the record types edge-ddns writes. */
export const RR_TYPES: Readonly<Record<'A' | 'AAAA', number>> = { A: TYPE_A, AAAA: TYPE_AAAA }

/** RCODE names (RFC 1035 section 4.1.1, RFC 2136 section 2.2). */
export const RCODE_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  1: 'FORMERR',
  2: 'SERVFAIL',
  3: 'NXDOMAIN',
  4: 'NOTIMP',
  5: 'REFUSED',
  6: 'YXDOMAIN',
  7: 'YXRRSET',
  8: 'NXRRSET',
  9: 'NOTAUTH',
  10: 'NOTZONE',
}

/** One RR of the prerequisite or update section, class and RDATA already chosen. */
export interface UpdateRR {
  /** Owner name, without trailing dot. */
  name: string
  /** RR type number (1 A, 28 AAAA, 255 ANY). */
  type: number
  /** 1 IN, 254 NONE, 255 ANY. */
  class: number
  /** Seconds; 0 in prerequisites and deletes (RFC 2136 sections 2.4, 2.5.2). */
  ttl: number
  /** Empty for prerequisites and deletes that carry no value. */
  rdata: Buffer
}

/** An UPDATE request before signing. */
export interface UpdateMessage {
  /** 16-bit message ID. */
  id: number
  /** Zone name, without trailing dot. */
  zone: string
  prerequisites: UpdateRR[]
  updates: UpdateRR[]
}

/**
 * The RDATA of an A (4 bytes) or AAAA (16 bytes) record.
 * @throws EdgeError kind `invalid` when `value` is not an address of that family.
 */
export function addressRdata(type: 'A' | 'AAAA', value: string): Buffer {
  if (type === 'A') {
    if (!isIPv4(value)) throw new EdgeError('invalid', `"${value}" is not an IPv4 address`)
    return Buffer.from(value.split('.').map(Number))
  }
  if (!isIPv6(value)) throw new EdgeError('invalid', `"${value}" is not an IPv6 address`)
  let v = value.toLowerCase()
  const zone = v.indexOf('%')
  if (zone >= 0) v = v.slice(0, zone)
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two 16-bit groups.
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(v)
  if (m) {
    const b = m[2]!.split('.').map(Number)
    v = `${m[1]}${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`
  }
  const [head = '', tail] = v.split('::')
  const hs = head ? head.split(':') : []
  const ts = tail === undefined ? [] : tail ? tail.split(':') : []
  const groups = tail === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2))
  return out
}

/** Prerequisite "RRset exists (value dependent)", RFC 2136 section 2.4.2: one RR per current value, class IN, TTL 0. */
export function prereqRRsetEquals(name: string, type: 'A' | 'AAAA', values: string[]): UpdateRR[] {
  return values.map((v) => ({ name, type: RR_TYPES[type], class: CLASS_IN, ttl: 0, rdata: addressRdata(type, v) }))
}

/** Prerequisite "RRset does not exist", RFC 2136 section 2.4.3: class NONE, TTL 0, empty RDATA. */
export function prereqRRsetAbsent(name: string, type: 'A' | 'AAAA'): UpdateRR {
  return { name, type: RR_TYPES[type], class: CLASS_NONE, ttl: 0, rdata: Buffer.alloc(0) }
}

/** Update "Delete an RRset", RFC 2136 section 2.5.2: class ANY, TTL 0, empty RDATA. */
export function deleteRRset(name: string, type: 'A' | 'AAAA'): UpdateRR {
  return { name, type: RR_TYPES[type], class: CLASS_ANY, ttl: 0, rdata: Buffer.alloc(0) }
}

/** Update "Add to an RRset", RFC 2136 section 2.5.1: class IN (the zone's class), the TTL in seconds. */
export function addRR(name: string, type: 'A' | 'AAAA', ttl: number, value: string): UpdateRR {
  return { name, type: RR_TYPES[type], class: CLASS_IN, ttl, rdata: addressRdata(type, value) }
}

function rrWire(rr: UpdateRR): Buffer {
  const head = Buffer.alloc(10)
  head.writeUInt16BE(rr.type, 0)
  head.writeUInt16BE(rr.class, 2)
  head.writeUInt32BE(rr.ttl, 4)
  head.writeUInt16BE(rr.rdata.length, 8)
  return Buffer.concat([nameToWire(rr.name), head, rr.rdata])
}

/**
 * Encodes an UPDATE request (RFC 2136 section 2): QR 0, Opcode 5, ZOCOUNT 1, PRCOUNT, UPCOUNT,
 * ADCOUNT 0 (TSIG is appended afterwards by `signRequest`).
 */
export function encodeUpdate(m: UpdateMessage): Buffer {
  const header = Buffer.alloc(12)
  header.writeUInt16BE(m.id, 0)
  header.writeUInt16BE(OPCODE_UPDATE << 11, 2)
  header.writeUInt16BE(1, 4)
  header.writeUInt16BE(m.prerequisites.length, 6)
  header.writeUInt16BE(m.updates.length, 8)
  header.writeUInt16BE(0, 10)
  const zoneTail = Buffer.alloc(4)
  zoneTail.writeUInt16BE(TYPE_SOA, 0)
  zoneTail.writeUInt16BE(CLASS_IN, 2)
  return Buffer.concat([header, nameToWire(m.zone), zoneTail, ...m.prerequisites.map(rrWire), ...m.updates.map(rrWire)])
}

/** The header fields of an answer that matter to an UPDATE client. */
export interface ResponseHeader {
  id: number
  qr: boolean
  opcode: number
  /** 4-bit RCODE (no EDNS is sent, so there is no extended RCODE). */
  rcode: number
  rcodeName: string
  truncated: boolean
}

/**
 * Reads the header of an answer.
 * @throws EdgeError kind `protocol` when shorter than a header.
 */
export function readHeader(msg: Buffer): ResponseHeader {
  if (msg.length < 12) throw new EdgeError('protocol', 'malformed DNS message: shorter than a header')
  const flags = msg.readUInt16BE(2)
  const rcode = flags & 0x0f
  return {
    id: msg.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0x0f,
    rcode,
    rcodeName: RCODE_NAMES[rcode] ?? `RCODE ${rcode}`,
    truncated: (flags & 0x0200) !== 0,
  }
}
