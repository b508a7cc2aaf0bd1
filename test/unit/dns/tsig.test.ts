import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  TsigTimeError,
  badTimeError,
  findTsig,
  nameToWire,
  readName,
  signRequest,
  signResponse,
  stripTsig,
  tsigDigestInput,
  tsigMac,
  verifyResponse,
} from '../../../src/dns/tsig.js'
import type { TsigAlgorithm, TsigKey } from '../../../src/dns/tsig.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'rfc2136')
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name))
const fixtureKeys = JSON.parse(readFileSync(join(FIXTURES, 'keys.json'), 'utf8')) as Record<string, { algorithm: TsigAlgorithm; secret: string }>
function fixtureKey(name: string): TsigKey {
  const k = fixtureKeys[name]!
  return { name, algorithm: k.algorithm, secret: Buffer.from(k.secret, 'base64') }
}

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
/** A length-prefixed label sequence, written out by hand (not with nameToWire). */
const wireName = (...labels: string[]): Buffer =>
  Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])), Buffer.from([0])])

describe('TSIG signing against a known vector (RFC 8945 section 4.3.3)', () => {
  // An UPDATE: ID 0x1234, opcode 5, zone example.com SOA IN, one add: home.example.com 300 IN A 192.0.2.10.
  const message = hex(`
    1234 2800 0001 0000 0001 0000
    07 6578616d706c65 03 636f6d 00 0006 0001
    04 686f6d65 07 6578616d706c65 03 636f6d 00 0001 0001 0000012c 0004 c000020a`)
  const secret = Buffer.from('c2VjcmV0LWtleS1mb3ItdGhlLWVkZ2UtZGRucy12ZWN0b3I=', 'base64')
  const key: TsigKey = { name: 'edge-ddns-key', algorithm: 'hmac-sha256', secret }
  const time = 1_700_000_000 // 0x6553F100
  const fudge = 300

  // The digest components laid out by hand, in the order of section 4.3.3.
  const variables = Buffer.concat([
    wireName('edge-ddns-key'), // NAME, canonical
    hex('00ff'), // CLASS ANY
    hex('00000000'), // TTL 0
    wireName('hmac-sha256'), // Algorithm Name, canonical
    hex('0000 6553f100'), // Time Signed, 48 bits
    hex('012c'), // Fudge 300
    hex('0000'), // Error
    hex('0000'), // Other Len (no Other Data)
  ])
  const expectedMac = createHmac('sha256', secret).update(Buffer.concat([message, variables])).digest()

  it('computes the MAC node:crypto computes over the hand-laid digest input, and the pinned value', () => {
    const signed = signRequest(message, key, time, fudge)
    expect(signed.mac).toEqual(expectedMac)
    expect(signed.mac.toString('hex')).toBe('daa27eb396fc8e7b0eee0ab69a6a1662bcfceb4613284b317e8727c45eb88704')
    expect(signed.timeSigned).toBe(time)
  })

  it('appends the TSIG RR as section 4.2 lays it out and counts it in ARCOUNT', () => {
    const signed = signRequest(message, key, time, fudge)
    const rdata = Buffer.concat([wireName('hmac-sha256'), hex('0000 6553f100 012c 0020'), expectedMac, hex('1234 0000 0000')])
    const rr = Buffer.concat([wireName('edge-ddns-key'), hex('00fa 00ff 00000000'), Buffer.from([0, rdata.length]), rdata])
    const expected = Buffer.concat([message, rr])
    expected.writeUInt16BE(1, 10)
    expect(signed.message.toString('hex')).toBe(expected.toString('hex'))
  })

  it('writes names in canonical form (lower case) for the digest, whatever the configured case', () => {
    const upper = signRequest(message, { ...key, name: 'EDGE-DDNS-Key.' }, time, fudge)
    expect(upper.mac).toEqual(expectedMac)
  })
})

describe('cross-check with nsupdate and BIND 9 (captured bytes, test/fixtures/rfc2136)', () => {
  it.each([
    ['nsupdate-sha256', 'fixture-sha256.example'],
    ['nsupdate-sha512', 'fixture-sha512.example'],
  ])('%s: our signature of the same message and time equals nsupdate\'s, byte for byte', (prefix, keyName) => {
    const key = fixtureKey(keyName)
    const request = fixture(`${prefix}.request.bin`)
    const found = findTsig(request)!
    expect(found.record).toMatchObject({ keyName, algorithm: key.algorithm, fudge: 300, error: 0 })
    const unsigned = stripTsig(request, found.offset, found.record.originalId)
    const ours = signRequest(unsigned, key, found.record.timeSigned, found.record.fudge)
    expect(ours.mac.toString('hex')).toBe(found.record.mac.toString('hex'))
    expect(ours.message.toString('hex')).toBe(request.toString('hex'))
  })

  it.each([
    ['nsupdate-sha256', 'fixture-sha256.example'],
    ['nsupdate-sha512', 'fixture-sha512.example'],
  ])('%s: BIND\'s signed answer verifies with the request MAC (sections 4.3.1, 5.3)', (prefix, keyName) => {
    const key = fixtureKey(keyName)
    const request = findTsig(fixture(`${prefix}.request.bin`))!.record
    const response = fixture(`${prefix}.response.bin`)
    const v = verifyResponse(response, key, request.mac, request.timeSigned + 1)
    expect(v.verified).toBe(true)
    expect(v.record.error).toBe(0)
    expect(response.readUInt16BE(2) & 0x0f).toBe(0) // NOERROR: BIND applied the update
  })

  it('rejects BIND\'s answer when one byte changed, when the request MAC differs, or with another secret', () => {
    const key = fixtureKey('fixture-sha256.example')
    const request = findTsig(fixture('nsupdate-sha256.request.bin'))!.record
    const response = fixture('nsupdate-sha256.response.bin')
    const now = request.timeSigned
    const flipped = Buffer.from(response)
    flipped[3] = flipped[3]! ^ 0x05 // RCODE NOERROR → REFUSED
    expect(() => verifyResponse(flipped, key, request.mac, now)).toThrow(/signature does not verify/)
    const otherMac = Buffer.from(request.mac)
    otherMac[0] = otherMac[0]! ^ 1
    expect(() => verifyResponse(response, key, otherMac, now)).toThrow(/signature does not verify/)
    expect(() => verifyResponse(response, { ...key, secret: Buffer.alloc(32, 7) }, request.mac, now)).toThrow(/does not verify/)
  })

  it('applies the time check to a signed answer (section 5.2.3): outside the fudge is a clock error', () => {
    const key = fixtureKey('fixture-sha256.example')
    const request = findTsig(fixture('nsupdate-sha256.request.bin'))!.record
    const response = fixture('nsupdate-sha256.response.bin')
    expect(verifyResponse(response, key, request.mac, request.timeSigned + 300).verified).toBe(true)
    expect(() => verifyResponse(response, key, request.mac, request.timeSigned + 301)).toThrow(
      expect.objectContaining({ kind: 'clock', message: expect.stringMatching(/-301 s away/) }),
    )
  })
})

describe('response verification', () => {
  const key: TsigKey = { name: 'k.example', algorithm: 'hmac-sha256', secret: Buffer.alloc(32, 1) }
  const now = 1_750_000_000
  // A minimal UPDATE answer: ID 0x0102, QR, opcode 5, NOERROR, zone example.test SOA IN.
  const answer = hex('0102 a800 0001 0000 0000 0000 07 6578616d706c65 04 74657374 00 0006 0001')
  const request = signRequest(hex('0102 2800 0001 0000 0000 0000 07 6578616d706c65 04 74657374 00 0006 0001'), key, now)

  it.each(['hmac-sha1', 'hmac-sha256', 'hmac-sha512'] as const)('%s: a response signed as a server signs verifies', (algorithm) => {
    const k = { ...key, algorithm }
    const req = signRequest(answer, k, now)
    const signed = signResponse(answer, k, req.mac, { timeSigned: now, fudge: 300, error: 0, otherData: Buffer.alloc(0) })
    expect(verifyResponse(signed, k, req.mac, now)).toMatchObject({ verified: true })
  })

  it('an unsigned answer to a signed request is not trusted', () => {
    expect(() => verifyResponse(answer, key, request.mac, now)).toThrow(/carries no TSIG signature/)
  })

  it('an answer signed with another key name is not trusted', () => {
    const other = { ...key, name: 'other.example' }
    const signed = signResponse(answer, other, request.mac, { timeSigned: now, fudge: 300, error: 0, otherData: Buffer.alloc(0) })
    expect(() => verifyResponse(signed, key, request.mac, now)).toThrow(/signed with key "other.example"/)
  })

  it('a truncated MAC is refused (local policy, section 5.2.2.1)', () => {
    const signed = signResponse(answer, key, request.mac, { timeSigned: now, fudge: 300, error: 0, otherData: Buffer.alloc(0) })
    const found = findTsig(signed)!
    const short = Buffer.concat([
      stripTsig(signed, found.offset, found.record.originalId),
      tsigRR({ ...found.record, mac: found.record.mac.subarray(0, 16) }),
    ])
    short.writeUInt16BE(1, 10)
    expect(() => verifyResponse(short, key, request.mac, now)).toThrow(/MAC is 16 bytes, expected 32/)
  })

  it.each([
    [16, 'BADSIG'],
    [17, 'BADKEY'],
  ])('an unsigned error answer (TSIG error %i %s, MAC size 0) is returned unverified (section 5.3.2)', (error) => {
    const rr = tsigRR({ keyName: key.name, algorithm: key.algorithm, timeSigned: now, fudge: 300, mac: Buffer.alloc(0), originalId: 0x0102, error, otherData: Buffer.alloc(0) })
    const msg = Buffer.concat([answer, rr])
    msg.writeUInt16BE(1, 10)
    expect(verifyResponse(msg, key, request.mac, now)).toMatchObject({ verified: false, record: { error } })
  })

  it('a signed BADTIME answer verifies though its time is far off, and yields the server time', () => {
    const serverTime = now + 3600
    const other = Buffer.alloc(6)
    other.writeUIntBE(serverTime, 0, 6)
    const signed = signResponse(answer, key, request.mac, { timeSigned: now, fudge: 300, error: 18, otherData: other })
    const v = verifyResponse(signed, key, request.mac, now)
    expect(v.verified).toBe(true)
    const err = badTimeError(v.record, now, '192.0.2.53:53', v.verified)
    expect(err).toBeInstanceOf(TsigTimeError)
    expect(err).toMatchObject({ kind: 'clock', code: 'BADTIME', serverTime, skewSec: 3600 })
    expect(err.message).toMatch(/clock of this host is 3600 s behind 192\.0\.2\.53:53/)
  })

  function tsigRR(r: Parameters<typeof tsigDigestInput>[1] & { mac: Buffer; originalId: number }): Buffer {
    // Via signResponse's own writer would hide mistakes in it; lay the RR out by hand instead.
    const rdata = Buffer.concat([
      nameToWire(r.algorithm),
      Buffer.from([0, 0, ...u32(r.timeSigned)]),
      u16b(r.fudge),
      u16b(r.mac.length),
      r.mac,
      u16b(r.originalId),
      u16b(r.error),
      u16b(r.otherData.length),
      r.otherData,
    ])
    return Buffer.concat([nameToWire(r.keyName), hex('00fa 00ff 00000000'), u16b(rdata.length), rdata])
  }
  function u16b(n: number): Buffer {
    return Buffer.from([n >> 8, n & 0xff])
  }
  function u32(n: number): number[] {
    return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]
  }
})

describe('names on the wire', () => {
  it.each([
    ['example.test', '076578616d706c650474657374' + '00'],
    ['Example.TEST.', '076578616d706c650474657374' + '00'],
    ['', '00'],
    ['.', '00'],
  ])('nameToWire(%j) is canonical and uncompressed', (name, expected) => {
    expect(nameToWire(name).toString('hex')).toBe(expected)
  })

  it('refuses a label over 63 bytes and an empty label', () => {
    expect(() => nameToWire(`${'a'.repeat(64)}.test`)).toThrow(/bad DNS name/)
    expect(() => nameToWire('a..test')).toThrow(/bad DNS name/)
  })

  it('readName follows compression pointers and stops at a loop (RFC 1035 section 4.1.4)', () => {
    // offset 0: "test" root; offset 6: "home" + pointer to 0; offset 13: pointer to itself.
    const msg = hex('04 74657374 00  04 686f6d65 c000  c00d')
    expect(readName(msg, 6)).toEqual({ name: 'home.test', next: 13 })
    expect(() => readName(msg, 13)).toThrow(/pointer loop/)
    expect(() => readName(hex('05 6162'), 0)).toThrow(/past the end/)
  })

  it('tsigMac is the plain HMAC of its input', () => {
    const key: TsigKey = { name: 'k', algorithm: 'hmac-sha512', secret: Buffer.from('s') }
    expect(tsigMac(key, Buffer.from('x'))).toEqual(createHmac('sha512', 's').update('x').digest())
  })
})
