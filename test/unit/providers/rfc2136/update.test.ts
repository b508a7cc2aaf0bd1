import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findTsig, readName, stripTsig } from '../../../../src/dns/tsig.js'
import {
  addRR,
  addressRdata,
  deleteRRset,
  encodeUpdate,
  prereqRRsetAbsent,
  prereqRRsetEquals,
  readHeader,
} from '../../../../src/dns/update.js'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'rfc2136')
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

/** The sections of an UPDATE, decompressed, for comparing messages that compress differently. */
function sections(msg: Buffer): { zone: string; prerequisites: string[]; updates: string[]; additional: number } {
  const counts = [msg.readUInt16BE(4), msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)]
  let pos = 12
  const z = readName(msg, pos)
  pos = z.next + 4
  const rrs: string[] = []
  for (let i = 0; i < counts[1]! + counts[2]!; i++) {
    const n = readName(msg, pos)
    pos = n.next
    const [type, klass, ttl, len] = [msg.readUInt16BE(pos), msg.readUInt16BE(pos + 2), msg.readUInt32BE(pos + 4), msg.readUInt16BE(pos + 8)]
    rrs.push(`${n.name} type=${type} class=${klass} ttl=${ttl} rdata=${msg.subarray(pos + 10, pos + 10 + len).toString('hex')}`)
    pos += 10 + len
  }
  return { zone: z.name, prerequisites: rrs.slice(0, counts[1]), updates: rrs.slice(counts[1]), additional: counts[3]! }
}

describe('UPDATE encoding (RFC 2136 section 2)', () => {
  it('lays out header, zone, prerequisite and update sections as section 2 says', () => {
    const msg = encodeUpdate({
      id: 0xbeef,
      zone: 'example.test',
      prerequisites: [prereqRRsetAbsent('new.example.test', 'A')],
      updates: [deleteRRset('home.example.test', 'AAAA'), addRR('new.example.test', 'A', 300, '192.0.2.20')],
    })
    const zone = '07 6578616d706c65 04 74657374 00'
    expect(msg.toString('hex')).toBe(
      hex(`
      beef 2800 0001 0001 0002 0000
      ${zone} 0006 0001
      03 6e6577 ${zone} 0001 00fe 00000000 0000
      04 686f6d65 ${zone} 001c 00ff 00000000 0000
      03 6e6577 ${zone} 0001 0001 0000012c 0004 c0000214`).toString('hex'),
    )
  })

  it('value-dependent prerequisite (2.4.2): class IN, TTL 0, one RR per current value', () => {
    const rrs = prereqRRsetEquals('both.example.test', 'A', ['192.0.2.2', '192.0.2.3'])
    expect(rrs).toEqual([
      { name: 'both.example.test', type: 1, class: 1, ttl: 0, rdata: hex('c0000202') },
      { name: 'both.example.test', type: 1, class: 1, ttl: 0, rdata: hex('c0000203') },
    ])
  })

  it('encodes the same update nsupdate sent (captured), section by section', () => {
    const request = readFileSync(join(FIXTURES, 'nsupdate-sha256.request.bin'))
    const found = findTsig(request)!
    const theirs = stripTsig(request, found.offset, found.record.originalId)
    const ours = encodeUpdate({
      id: theirs.readUInt16BE(0),
      zone: 'example.test',
      prerequisites: prereqRRsetEquals('home.example.test', 'A', ['192.0.2.1']),
      updates: [deleteRRset('home.example.test', 'A'), addRR('home.example.test', 'A', 300, '192.0.2.10')],
    })
    expect(ours.subarray(0, 12)).toEqual(theirs.subarray(0, 12))
    expect(sections(ours)).toEqual(sections(theirs))
    expect(sections(ours).updates).toEqual([
      'home.example.test type=1 class=255 ttl=0 rdata=',
      'home.example.test type=1 class=1 ttl=300 rdata=c000020a',
    ])
  })

  it('matches nsupdate\'s "prereq nxrrset" + AAAA add (captured), section by section', () => {
    const request = readFileSync(join(FIXTURES, 'nsupdate-sha512.request.bin'))
    const found = findTsig(request)!
    const theirs = stripTsig(request, found.offset, found.record.originalId)
    const ours = encodeUpdate({
      id: theirs.readUInt16BE(0),
      zone: 'example.test',
      prerequisites: [prereqRRsetAbsent('new.example.test', 'AAAA')],
      updates: [addRR('new.example.test', 'AAAA', 60, '2001:db8::10')],
    })
    expect(sections(ours)).toEqual(sections(theirs))
  })

  it.each([
    ['A', '192.0.2.1', 'c0000201'],
    ['AAAA', '2001:db8::10', '20010db8000000000000000000000010'],
    ['AAAA', '2001:DB8:0:0:0:0:0:10', '20010db8000000000000000000000010'],
    ['AAAA', '::', '00000000000000000000000000000000'],
    ['AAAA', '::1', '00000000000000000000000000000001'],
    ['AAAA', '2001:db8::', '20010db8000000000000000000000000'],
    ['AAAA', '::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['AAAA', 'fe80::1%eth0', 'fe800000000000000000000000000001'],
  ] as const)('%s %s → %s', (type, value, expected) => {
    expect(addressRdata(type, value).toString('hex')).toBe(expected)
  })

  it.each([
    ['A', '2001:db8::1'],
    ['A', '192.0.2'],
    ['AAAA', '192.0.2.1'],
    ['AAAA', '<html>'],
  ] as const)('%s %j is refused, never written', (type, value) => {
    expect(() => addressRdata(type, value)).toThrow(expect.objectContaining({ kind: 'invalid' }))
  })

  it('reads an answer header', () => {
    expect(readHeader(hex('beef af05 0001 0000 0000 0000'))).toEqual({
      id: 0xbeef,
      qr: true,
      opcode: 5,
      rcode: 5,
      rcodeName: 'REFUSED',
      truncated: true,
    })
    expect(() => readHeader(hex('beef'))).toThrow(/shorter than a header/)
  })
})
