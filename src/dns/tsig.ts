import { createHmac, timingSafeEqual } from 'node:crypto'
import { EdgeError } from '../errors.js'

/**
 * TSIG: secret key transaction authentication for DNS, RFC 8945.
 *
 * What this module does, and the sections it follows:
 * - signs a request: appends a TSIG RR whose MAC covers the message and the TSIG variables
 *   (section 4.3.3), and increments ARCOUNT (section 4.2);
 * - verifies a response: the MAC covers the request MAC (length-prefixed), the response without its
 *   TSIG RR (ARCOUNT decremented, ID set to Original ID) and the TSIG variables (sections 4.3.1,
 *   4.3.3, 5.3), then the time check (section 5.2.3, applied by the client to the answer, 5.4);
 * - reads the TSIG error field (section 3: BADSIG 16, BADKEY 17, BADTIME 18, BADTRUNC 22) and, for
 *   BADTIME, the server's time from Other Data (section 5.2.3).
 *
 * Only the three HMAC algorithms of RFC 8945 section 6 that edge-ddns offers are supported.
 * Names are written uncompressed in canonical form (lower case), as section 4.3.3 requires for the
 * digest; the RR itself is written the same way.
 */

/** The TSIG algorithms edge-ddns signs with (RFC 8945 section 6; names as in BIND's `key` statement). */
export type TsigAlgorithm = 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha512'

/** Per algorithm: the node:crypto hash and the full MAC length in bytes. */
export const TSIG_ALGORITHMS: Readonly<Record<TsigAlgorithm, { hash: string; macBytes: number }>> = {
  'hmac-sha1': { hash: 'sha1', macBytes: 20 },
  'hmac-sha256': { hash: 'sha256', macBytes: 32 },
  'hmac-sha512': { hash: 'sha512', macBytes: 64 },
}

/** A shared secret key as configured on both ends. */
export interface TsigKey {
  /** Key name as in the server's `key "NAME" { ... }` statement, without the trailing dot. */
  name: string
  algorithm: TsigAlgorithm
  /** The decoded secret (the config holds it base64-encoded). */
  secret: Buffer
}

/** Seconds of clock difference the server may accept; 300 is RFC 8945 section 10's recommendation. */
export const TSIG_FUDGE = 300

/** RR type of TSIG (RFC 8945 section 4.2). */
export const TYPE_TSIG = 250
/** CLASS ANY (RFC 1035 section 3.2.5): the class of a TSIG RR. */
export const CLASS_ANY = 255

/** TSIG error codes (RFC 8945 section 3; IANA "DNS RCODEs"). */
export const TSIG_ERROR_NAMES: Readonly<Record<number, string>> = {
  0: 'NOERROR',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
}

/** A decoded TSIG RR. */
export interface TsigRecord {
  /** Key name, lower case, no trailing dot. */
  keyName: string
  /** Algorithm name, lower case, no trailing dot (e.g. `hmac-sha256`). */
  algorithm: string
  /** Seconds since the epoch (48-bit on the wire). */
  timeSigned: number
  /** Seconds. */
  fudge: number
  mac: Buffer
  originalId: number
  /** TSIG error field: 0, or 16 BADSIG, 17 BADKEY, 18 BADTIME, 22 BADTRUNC. */
  error: number
  otherData: Buffer
}

/** The result of signing a request. */
export interface SignedMessage {
  /** The message with the TSIG RR appended and ARCOUNT incremented. */
  message: Buffer
  /** The request MAC, needed to verify the response (RFC 8945 section 4.3.1). */
  mac: Buffer
  /** Seconds since the epoch written in Time Signed. */
  timeSigned: number
}

/**
 * A BADTIME answer: the server's clock and ours differ by more than the fudge (BC-30).
 * `serverTime` comes from the TSIG Other Data (RFC 8945 section 5.2.3); `skewSec` is
 * server time minus our Time Signed (positive: our clock is behind).
 */
export class TsigTimeError extends EdgeError {
  readonly serverTime: number | undefined
  readonly skewSec: number | undefined
  constructor(message: string, serverTime: number | undefined, skewSec: number | undefined, hint: string) {
    super('clock', message, { code: 'BADTIME', hint, retryable: true })
    this.name = 'TsigTimeError'
    this.serverTime = serverTime
    this.skewSec = skewSec
  }
}

// ---------------------------------------------------------------------------------------------
// Names

/**
 * A domain name in uncompressed wire format, lower-cased (canonical form, RFC 4034 section 6.2,
 * which RFC 8945 section 4.3.3 asks for in the digest). Accepts a trailing dot; `''` and `.` are
 * the root. Escapes (`\.`) are not supported: the config stage rejects such names.
 * @throws EdgeError kind `internal` for an empty label or a label longer than 63 bytes.
 */
export function nameToWire(name: string): Buffer {
  const n = name.endsWith('.') ? name.slice(0, -1) : name
  const parts: Buffer[] = []
  if (n !== '') {
    for (const label of n.toLowerCase().split('.')) {
      const b = Buffer.from(label, 'ascii')
      if (b.length === 0 || b.length > 63) throw new EdgeError('internal', `bad DNS name "${name}" (this is a bug in edge-ddns, please report it)`)
      parts.push(Buffer.from([b.length]), b)
    }
  }
  parts.push(Buffer.from([0]))
  const out = Buffer.concat(parts)
  if (out.length > 255) throw new EdgeError('internal', `DNS name too long: "${name}" (this is a bug in edge-ddns, please report it)`)
  return out
}

/**
 * Reads a possibly compressed name (RFC 1035 section 4.1.4) at `offset`.
 * Returns the name (lower case, no trailing dot; `''` for the root) and the offset after it in the
 * original position (a pointer ends the name there).
 * @throws EdgeError kind `protocol` on a name running past the end, a pointer loop or a bad label type.
 */
export function readName(msg: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = []
  let pos = offset
  let next = -1
  let jumps = 0
  for (;;) {
    if (pos >= msg.length) throw protocolError('a name runs past the end of the message')
    const len = msg[pos]!
    if (len === 0) {
      if (next < 0) next = pos + 1
      break
    }
    const kind = len & 0xc0
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) throw protocolError('a compression pointer runs past the end of the message')
      if (next < 0) next = pos + 2
      pos = ((len & 0x3f) << 8) | msg[pos + 1]!
      if (++jumps > 64) throw protocolError('a compression pointer loop')
      continue
    }
    if (kind !== 0) throw protocolError('an unknown label type')
    if (pos + 1 + len > msg.length) throw protocolError('a label runs past the end of the message')
    labels.push(msg.toString('latin1', pos + 1, pos + 1 + len).toLowerCase())
    pos += 1 + len
  }
  return { name: labels.join('.'), next }
}

function protocolError(what: string): EdgeError {
  return new EdgeError('protocol', `malformed DNS message: ${what}`)
}

// ---------------------------------------------------------------------------------------------
// Message walking

/** Where the records of a message start, and the last additional record (where TSIG must be). */
interface MessageLayout {
  /** Offset of the last RR of the additional section, or -1 when ARCOUNT is 0. */
  lastAdditional: number
  end: number
}

/**
 * Walks a whole DNS message (header, question/zone section, three RR sections).
 * @throws EdgeError kind `protocol` when the counts do not match the bytes.
 */
function layout(msg: Buffer): MessageLayout {
  if (msg.length < 12) throw protocolError('shorter than a header')
  const qd = msg.readUInt16BE(4)
  const rrs = msg.readUInt16BE(6) + msg.readUInt16BE(8)
  const ar = msg.readUInt16BE(10)
  let pos = 12
  for (let i = 0; i < qd; i++) {
    pos = readName(msg, pos).next + 4
    if (pos > msg.length) throw protocolError('a question runs past the end')
  }
  let lastAdditional = -1
  for (let i = 0; i < rrs + ar; i++) {
    if (i >= rrs) lastAdditional = pos
    pos = readName(msg, pos).next
    if (pos + 10 > msg.length) throw protocolError('a record header runs past the end')
    pos += 10 + msg.readUInt16BE(pos + 8)
    if (pos > msg.length) throw protocolError('a record runs past the end')
  }
  return { lastAdditional, end: pos }
}

/**
 * Finds the TSIG RR of a message: it must be the last record of the additional section
 * (RFC 8945 section 4.2). Returns null when the message carries none.
 * @throws EdgeError kind `protocol` when the message or the TSIG RDATA is malformed.
 */
export function findTsig(msg: Buffer): { record: TsigRecord; offset: number } | null {
  const { lastAdditional } = layout(msg)
  if (lastAdditional < 0) return null
  const owner = readName(msg, lastAdditional)
  let pos = owner.next
  if (msg.readUInt16BE(pos) !== TYPE_TSIG) return null
  const rdlen = msg.readUInt16BE(pos + 8)
  pos += 10
  const end = pos + rdlen
  const alg = readName(msg, pos)
  pos = alg.next
  const need = (n: number): void => {
    if (pos + n > end) throw protocolError('the TSIG record is cut short')
  }
  need(10)
  const timeSigned = msg.readUIntBE(pos, 6)
  const fudge = msg.readUInt16BE(pos + 6)
  const macSize = msg.readUInt16BE(pos + 8)
  pos += 10
  need(macSize)
  const mac = Buffer.from(msg.subarray(pos, pos + macSize))
  pos += macSize
  need(6)
  const originalId = msg.readUInt16BE(pos)
  const error = msg.readUInt16BE(pos + 2)
  const otherLen = msg.readUInt16BE(pos + 4)
  pos += 6
  need(otherLen)
  const otherData = Buffer.from(msg.subarray(pos, pos + otherLen))
  return {
    offset: lastAdditional,
    record: { keyName: owner.name, algorithm: alg.name, timeSigned, fudge, mac, originalId, error, otherData },
  }
}

// ---------------------------------------------------------------------------------------------
// Digest and signing

/** The fields of the TSIG variables (RFC 8945 section 4.3.3). */
export interface TsigVariables {
  keyName: string
  algorithm: string
  /** Seconds since the epoch. */
  timeSigned: number
  /** Seconds. */
  fudge: number
  error: number
  otherData: Buffer
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16BE(n)
  return b
}

function u48(n: number): Buffer {
  const b = Buffer.alloc(6)
  b.writeUIntBE(n, 0, 6)
  return b
}

/**
 * The TSIG variables as they enter the digest (RFC 8945 section 4.3.3): key name (canonical wire
 * form), CLASS (ANY), TTL (0), algorithm name (canonical wire form), Time Signed (48 bits), Fudge,
 * Error, Other Len, Other Data.
 */
export function tsigVariablesWire(v: TsigVariables): Buffer {
  const ttl = Buffer.alloc(4)
  return Buffer.concat([
    nameToWire(v.keyName),
    u16(CLASS_ANY),
    ttl,
    nameToWire(v.algorithm),
    u48(v.timeSigned),
    u16(v.fudge),
    u16(v.error),
    u16(v.otherData.length),
    v.otherData,
  ])
}

/**
 * The bytes the MAC is computed over (RFC 8945 section 4.3.3; for a response, 4.3.1 puts the
 * request MAC, prefixed by its 2-byte length, in front).
 * @param message the DNS message without the TSIG RR, with its ARCOUNT not counting it and its ID
 *   set to the Original ID.
 */
export function tsigDigestInput(message: Buffer, vars: TsigVariables, requestMac?: Buffer): Buffer {
  const parts: Buffer[] = []
  if (requestMac) parts.push(u16(requestMac.length), requestMac)
  parts.push(message, tsigVariablesWire(vars))
  return Buffer.concat(parts)
}

/** HMAC of `data` with the key (RFC 8945 section 6). */
export function tsigMac(key: TsigKey, data: Buffer): Buffer {
  return createHmac(TSIG_ALGORITHMS[key.algorithm].hash, key.secret).update(data).digest()
}

/** The TSIG RR in wire form (RFC 8945 section 4.2), owner and algorithm names uncompressed. */
export function tsigRecordWire(r: TsigRecord): Buffer {
  const rdata = Buffer.concat([
    nameToWire(r.algorithm),
    u48(r.timeSigned),
    u16(r.fudge),
    u16(r.mac.length),
    r.mac,
    u16(r.originalId),
    u16(r.error),
    u16(r.otherData.length),
    r.otherData,
  ])
  const head = Buffer.alloc(10)
  head.writeUInt16BE(TYPE_TSIG, 0)
  head.writeUInt16BE(CLASS_ANY, 2)
  head.writeUInt32BE(0, 4)
  head.writeUInt16BE(rdata.length, 8)
  return Buffer.concat([nameToWire(r.keyName), head, rdata])
}

/**
 * Signs a request (RFC 8945 section 4.3.3 digest, section 4.2 placement).
 * @param message a complete DNS message without a TSIG RR.
 * @param timeSigned seconds since the epoch (the caller's clock, a fake one in tests).
 * @param fudge seconds; default 300.
 */
export function signRequest(message: Buffer, key: TsigKey, timeSigned: number, fudge = TSIG_FUDGE): SignedMessage {
  const vars: TsigVariables = {
    keyName: key.name,
    algorithm: key.algorithm,
    timeSigned,
    fudge,
    error: 0,
    otherData: Buffer.alloc(0),
  }
  const mac = tsigMac(key, tsigDigestInput(message, vars))
  const rr = tsigRecordWire({ ...vars, mac, originalId: message.readUInt16BE(0) })
  const out = Buffer.concat([message, rr])
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10)
  return { message: out, mac, timeSigned }
}

/**
 * Signs a response to a signed request (RFC 8945 sections 4.3.1, 4.3.3), as a server would. Used
 * by test stand-ins; edge-ddns itself only signs requests.
 */
export function signResponse(
  message: Buffer,
  key: TsigKey,
  requestMac: Buffer,
  vars: Omit<TsigVariables, 'keyName' | 'algorithm'>,
): Buffer {
  const full: TsigVariables = { ...vars, keyName: key.name, algorithm: key.algorithm }
  const mac = tsigMac(key, tsigDigestInput(message, full, requestMac))
  const rr = tsigRecordWire({ ...full, mac, originalId: message.readUInt16BE(0) })
  const out = Buffer.concat([message, rr])
  out.writeUInt16BE(message.readUInt16BE(10) + 1, 10)
  return out
}

/** The message a MAC was computed over: TSIG RR removed, ARCOUNT decremented, ID = Original ID. */
export function stripTsig(msg: Buffer, offset: number, originalId: number): Buffer {
  const out = Buffer.from(msg.subarray(0, offset))
  out.writeUInt16BE(originalId, 0)
  out.writeUInt16BE(out.readUInt16BE(10) - 1, 10)
  return out
}

// ---------------------------------------------------------------------------------------------
// Verification

/** What `verifyResponse` learned. */
export interface VerifiedTsig {
  record: TsigRecord
  /**
   * True when the MAC checked out. False only for the unsigned error answers RFC 8945 section 5.3.2
   * allows (BADKEY, BADSIG: MAC size 0), which the caller must treat as an error, never as success.
   */
  verified: boolean
}

/**
 * Verifies the TSIG of a response to a request we signed (RFC 8945 sections 5.3, 4.3.1, 4.3.3).
 *
 * - No TSIG RR: error (we signed, so the server must sign; an unsigned answer could come from anyone).
 * - Key name or algorithm other than ours: error.
 * - A TSIG error with an empty MAC (BADKEY, BADSIG: the server could not sign, section 5.3.2), or a
 *   BADTIME answer whose MAC does not verify: returned with `verified: false`. The caller reports
 *   the error; it never counts as success.
 * - Otherwise the MAC must be full length (we do not accept truncation, a local policy section
 *   5.2.2.1 allows) and equal the one computed here.
 * - Time check (section 5.2.3) unless the error is BADTIME: |now − Time Signed| ≤ Fudge.
 *
 * @param nowSec our clock, seconds since the epoch.
 * @throws EdgeError kind `protocol` (unsigned, wrong key, bad MAC, malformed) or `clock` (time check).
 */
export function verifyResponse(response: Buffer, key: TsigKey, requestMac: Buffer, nowSec: number): VerifiedTsig {
  const found = findTsig(response)
  if (!found) throw new EdgeError('protocol', 'the answer carries no TSIG signature although the UPDATE was signed; not trusted')
  const { record, offset } = found
  if (record.keyName !== key.name.toLowerCase().replace(/\.$/, '') || record.algorithm !== key.algorithm) {
    throw new EdgeError('protocol', `the answer is signed with key "${record.keyName}" (${record.algorithm}), not the one sent; not trusted`)
  }
  // An error answer the server could not (BADKEY, BADSIG) or did not sign: report it, trust nothing.
  if (record.mac.length === 0 && record.error !== 0) return { record, verified: false }
  const full = TSIG_ALGORITHMS[key.algorithm].macBytes
  const expected = tsigMac(key, tsigDigestInput(stripTsig(response, offset, record.originalId), record, requestMac))
  const good = record.mac.length === full && timingSafeEqual(expected, record.mac)
  if (!good) {
    // A BADTIME answer is still worth reporting (the user learns about the clock), flagged unverified.
    if (record.error === 18) return { record, verified: false }
    if (record.mac.length !== full) {
      throw new EdgeError('protocol', `the answer's TSIG MAC is ${record.mac.length} bytes, expected ${full}; not trusted`)
    }
    throw new EdgeError('protocol', 'the answer\'s TSIG signature does not verify; not trusted')
  }
  if (record.error !== 18 && Math.abs(nowSec - record.timeSigned) > record.fudge) {
    throw new EdgeError('clock', `the answer's TSIG time is ${record.timeSigned - nowSec} s away from this host's clock (fudge ${record.fudge} s)`, {
      code: 'BADTIME',
      retryable: true,
      hint: 'synchronise this host\'s clock (NTP)',
    })
  }
  return { record, verified: true }
}

/** The server time carried in a BADTIME answer's Other Data (6 bytes, RFC 8945 section 5.2.3), if any. */
export function badTimeServerTime(record: TsigRecord): number | undefined {
  return record.otherData.length === 6 ? record.otherData.readUIntBE(0, 6) : undefined
}

/**
 * The error for a BADTIME answer (BC-30): says the clock is off and by how much, from the server
 * time in Other Data, or says the server did not tell when Other Data is missing.
 * @param server `host:port` for the message.
 */
export function badTimeError(record: TsigRecord, ourTimeSigned: number, server: string, verified: boolean): TsigTimeError {
  const serverTime = badTimeServerTime(record)
  const hint = `synchronise this host's clock (NTP); TSIG accepts at most ${record.fudge || TSIG_FUDGE} s of difference`
  const note = verified ? '' : ' (the answer\'s signature did not verify)'
  if (serverTime === undefined) {
    return new TsigTimeError(`${server} rejected the TSIG time: the clock of this host is off (NOTAUTH, TSIG error BADTIME)${note}`, undefined, undefined, hint)
  }
  const skew = serverTime - ourTimeSigned
  const dir = skew > 0 ? 'behind' : 'ahead of'
  const iso = (s: number): string => new Date(s * 1000).toISOString()
  return new TsigTimeError(
    `the clock of this host is ${Math.abs(skew)} s ${dir} ${server}: it signed at ${iso(ourTimeSigned)}, the server's time is ${iso(serverTime)} (NOTAUTH, TSIG error BADTIME)${note}`,
    serverTime,
    skew,
    hint,
  )
}
