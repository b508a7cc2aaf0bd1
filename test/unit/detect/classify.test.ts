import { describe, expect, it } from 'vitest'
import { checkAddress, familyOf, normalizeIPv6, parseAddress, specialRange } from '../../../src/detect/classify.js'
import { EdgeError } from '../../../src/errors.js'
import { DOCS, STRICT } from './fake-ctx.js'

function refusal(text: string, family: 4 | 6, policy = STRICT): EdgeError {
  try {
    checkAddress(text, family, policy)
  } catch (e) {
    expect(e).toBeInstanceOf(EdgeError)
    return e as EdgeError
  }
  throw new Error(`${text} was accepted`)
}

describe('IPv4 special ranges (BC-17)', () => {
  it.each([
    ['100.72.13.5', 'CGNAT (RFC 6598)', 'private'],
    ['100.64.0.0', 'CGNAT (RFC 6598)', 'private'],
    ['100.127.255.255', 'CGNAT (RFC 6598)', 'private'],
    ['10.0.0.2', 'private (RFC 1918)', 'private'],
    ['172.16.5.4', 'private (RFC 1918)', 'private'],
    ['172.31.255.255', 'private (RFC 1918)', 'private'],
    ['192.168.1.1', 'private (RFC 1918)', 'private'],
    ['169.254.10.1', 'link-local (RFC 3927)', 'private'],
    ['192.0.0.8', 'IETF protocol assignments (RFC 6890)', 'private'],
    ['198.18.0.1', 'benchmarking (RFC 2544)', 'private'],
    ['198.19.255.254', 'benchmarking (RFC 2544)', 'private'],
    ['240.0.0.1', 'reserved (RFC 1112)', 'private'],
    ['192.0.2.10', 'documentation TEST-NET-1 (RFC 5737)', 'documentation'],
    ['198.51.100.7', 'documentation TEST-NET-2 (RFC 5737)', 'documentation'],
    ['203.0.113.7', 'documentation TEST-NET-3 (RFC 5737)', 'documentation'],
    ['127.0.0.1', 'loopback (RFC 1122)', 'never'],
    ['0.1.2.3', '"this network" (RFC 791)', 'never'],
    ['224.0.0.251', 'multicast (RFC 5771)', 'never'],
    ['255.255.255.255', 'limited broadcast (RFC 919)', 'never'],
  ])('%s is %s', (addr, reason, group) => {
    expect(specialRange(addr, 4)).toMatchObject({ reason, group })
    const e = refusal(addr, 4)
    expect(e.kind).toBe('detect')
    expect(e.message).toBe(`${addr} is ${reason}, not a public address`)
  })

  it.each(['100.63.255.255', '100.128.0.0', '172.15.255.255', '172.32.0.0', '192.169.0.1', '198.17.255.255', '198.20.0.0', '223.255.255.255', '1.1.1.1'])(
    '%s, just outside the special ranges, is public',
    (addr) => {
      expect(specialRange(addr, 4)).toBeNull()
      expect(checkAddress(addr, 4, STRICT)).toBe(addr)
    },
  )

  it('BC-17: a CGNAT address is refused with a hint to use a dns or http source', () => {
    const e = refusal('100.72.13.5', 4)
    expect(e.message).toContain('CGNAT (RFC 6598)')
    expect(e.hint).toMatch(/carrier-grade NAT.*dns or http source/)
  })

  it('BC-17: allowPrivate accepts private and CGNAT addresses, not loopback', () => {
    const p = { ...STRICT, allowPrivate: true }
    expect(checkAddress('10.0.0.2', 4, p)).toBe('10.0.0.2')
    expect(checkAddress('100.72.13.5', 4, p)).toBe('100.72.13.5')
    expect(refusal('127.0.0.1', 4, p).message).toContain('loopback')
    expect(refusal('203.0.113.7', 4, p).message).toContain('documentation')
  })

  it('BC-17: allowDocumentation accepts 203.0.113.7 and nothing private', () => {
    expect(checkAddress('203.0.113.7', 4, DOCS)).toBe('203.0.113.7')
    expect(refusal('10.0.0.2', 4, DOCS).message).toContain('private (RFC 1918)')
  })
})

describe('IPv6 special ranges', () => {
  it.each([
    ['fe80::1234', 'link-local (RFC 4291)', 'private'],
    ['fd12:3456:789a:1::10', 'unique local address, ULA (RFC 4193)', 'private'],
    ['fc00::1', 'unique local address, ULA (RFC 4193)', 'private'],
    ['fec0::1', 'deprecated site-local (RFC 3879)', 'private'],
    ['2001:db8::10', 'documentation (RFC 3849)', 'documentation'],
    ['3fff::1', 'documentation (RFC 9637)', 'documentation'],
    ['64:ff9b::c000:20a', 'NAT64 well-known prefix (RFC 6052)', 'private'],
    ['2001:2::1', 'benchmarking (RFC 5180)', 'private'],
    ['4000::1', 'outside global unicast 2000::/3 (RFC 4291)', 'private'],
    ['::1', 'loopback (RFC 4291)', 'never'],
    ['::', 'unspecified (RFC 4291)', 'never'],
    ['ff02::1', 'multicast (RFC 4291)', 'never'],
  ])('%s is %s', (addr, reason, group) => {
    expect(specialRange(addr, 6)).toMatchObject({ reason, group })
    expect(refusal(addr, 6).message).toBe(`${addr} is ${reason}, not a public address`)
  })

  it('an IPv4-mapped address is refused, pointing at the A record', () => {
    expect(refusal('::ffff:192.0.2.1', 6, { ...DOCS, allowPrivate: true }).message).toMatch(/IPv4-mapped.*A record/)
  })

  it.each(['2606:4700:4700::1111', '2a00:1450::1', '2001:4860:4802:32::a'])('%s is global unicast', (addr) => {
    expect(specialRange(addr, 6)).toBeNull()
  })

  it('allowPrivate accepts a ULA; allowDocumentation accepts 2001:db8::/32', () => {
    expect(checkAddress('fd12::1', 6, { ...STRICT, allowPrivate: true })).toBe('fd12::1')
    expect(checkAddress('2001:DB8::10', 6, DOCS)).toBe('2001:db8::10')
  })
})

describe('strict parsing and canonical IPv6', () => {
  it.each([
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:0db8::0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::'],
    ['::FFFF:c000:0201', '::ffff:192.0.2.1'],
  ])('%s → %s (RFC 5952)', (input, out) => {
    expect(normalizeIPv6(input)).toBe(out)
    expect(parseAddress(input, 6)).toBe(out)
  })

  it.each([
    ['192.168.001.1', 4],
    [' 192.0.2.1', 4],
    ['192.0.2.1/24', 4],
    ['192.0.2', 4],
    ['256.1.1.1', 4],
    ['2001:db8::1', 4],
    ['fe80::1%eth0', 6],
    ['2001:db8::1/64', 6],
    ['192.0.2.1', 6],
    ['2001:db8:::1', 6],
    ['', 6],
  ] as const)('%j is not one IPv%i address', (text, family) => {
    expect(parseAddress(text, family)).toBeNull()
  })

  it('says when the text is an address of the other family', () => {
    expect(refusal('2001:db8::1', 4, DOCS).message).toBe('2001:db8::1 is an IPv6 address, not IPv4')
    expect(refusal('hello', 4, DOCS).message).toBe('not an IP address')
    expect(familyOf('192.0.2.1')).toBe(4)
    expect(familyOf('2001:db8::1')).toBe(6)
    expect(familyOf('x')).toBe(0)
  })
})
