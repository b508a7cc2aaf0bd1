import { isIPv4, isIPv6 } from 'node:net'
import { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'
import type { AddressPolicy } from './types.js'

/**
 * Address validation and special-range classification (BC-16, BC-17).
 *
 * Ranges follow the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the RFCs
 * each entry names). Every range falls in one of three groups:
 * - `private`: not reachable from the Internet but meaningful on a LAN (RFC 1918, CGNAT, link-local,
 *   ULA, benchmarking, reserved…); accepted only with `AddressPolicy.allowPrivate`;
 * - `documentation`: example ranges (RFC 5737, RFC 3849, RFC 9637); accepted only with
 *   `AddressPolicy.allowDocumentation` (tests and demos);
 * - `never`: addresses that can never name a host in an A/AAAA record (unspecified, loopback,
 *   multicast, broadcast, "this network", IPv4-mapped IPv6).
 */

/** Why an address is not an ordinary public unicast address. */
export interface SpecialRange {
  /** The range in CIDR notation, e.g. `100.64.0.0/10`. */
  cidr: string
  /** Human name with its source, e.g. `CGNAT (RFC 6598)`. */
  reason: string
  group: 'private' | 'documentation' | 'never'
}

interface Range4 {
  base: number
  bits: number
  cidr: string
  reason: string
  group: SpecialRange['group']
}

function v4ToInt(a: string): number {
  const p = a.split('.').map(Number)
  return (((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) >>> 0
}

function r4(cidr: string, reason: string, group: SpecialRange['group']): Range4 {
  const [base, bits] = cidr.split('/')
  return { base: v4ToInt(base!), bits: Number(bits), cidr, reason, group }
}

// Most specific first: the first match wins. The tables are parsed at the first classification,
// not at module load: `--version`, `check` and `plan` without detection never need them (issue 9).
let v4Ranges: Range4[] | undefined
const v4Table = (): Range4[] =>
  (v4Ranges ??= [
  r4('255.255.255.255/32', 'limited broadcast (RFC 919)', 'never'),
  r4('0.0.0.0/8', '"this network" (RFC 791)', 'never'),
  r4('127.0.0.0/8', 'loopback (RFC 1122)', 'never'),
  r4('224.0.0.0/4', 'multicast (RFC 5771)', 'never'),
  r4('10.0.0.0/8', 'private (RFC 1918)', 'private'),
  r4('172.16.0.0/12', 'private (RFC 1918)', 'private'),
  r4('192.168.0.0/16', 'private (RFC 1918)', 'private'),
  r4('100.64.0.0/10', 'CGNAT (RFC 6598)', 'private'),
  r4('169.254.0.0/16', 'link-local (RFC 3927)', 'private'),
  r4('192.0.2.0/24', 'documentation TEST-NET-1 (RFC 5737)', 'documentation'),
  r4('198.51.100.0/24', 'documentation TEST-NET-2 (RFC 5737)', 'documentation'),
  r4('203.0.113.0/24', 'documentation TEST-NET-3 (RFC 5737)', 'documentation'),
  r4('192.0.0.0/24', 'IETF protocol assignments (RFC 6890)', 'private'),
  r4('192.88.99.0/24', 'deprecated 6to4 relay anycast (RFC 7526)', 'private'),
  r4('198.18.0.0/15', 'benchmarking (RFC 2544)', 'private'),
  r4('240.0.0.0/4', 'reserved (RFC 1112)', 'private'),
  ])

interface Range6 {
  base: bigint
  bits: number
  cidr: string
  reason: string
  group: SpecialRange['group']
}

/** The 128-bit value of a valid IPv6 literal (an embedded dotted IPv4 tail is accepted). */
function v6ToBigInt(a: string): bigint {
  let s = a.toLowerCase()
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  // An embedded IPv4 tail (`::ffff:192.0.2.1`) becomes two hex groups.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (dotted) {
    const n = v4ToInt(dotted[1]!)
    s = `${s.slice(0, dotted.index)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`
  }
  const [head, tail] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined]
  const hs = head ? head.split(':') : []
  const ts = tail === undefined ? [] : tail ? tail.split(':') : []
  const fill = tail === undefined ? [] : new Array<string>(8 - hs.length - ts.length).fill('0')
  const groups = [...hs, ...fill, ...ts]
  let v = 0n
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16))
  return v
}

function r6(cidr: string, reason: string, group: SpecialRange['group']): Range6 {
  const [base, bits] = cidr.split('/')
  return { base: v6ToBigInt(base!), bits: Number(bits), cidr, reason, group }
}

// Most specific first.
let v6Ranges: Range6[] | undefined
const v6Table = (): Range6[] =>
  (v6Ranges ??= [
  r6('::/128', 'unspecified (RFC 4291)', 'never'),
  r6('::1/128', 'loopback (RFC 4291)', 'never'),
  r6('::ffff:0:0/96', 'IPv4-mapped (RFC 4291); publish the IPv4 address as an A record', 'never'),
  r6('ff00::/8', 'multicast (RFC 4291)', 'never'),
  r6('fe80::/10', 'link-local (RFC 4291)', 'private'),
  r6('fec0::/10', 'deprecated site-local (RFC 3879)', 'private'),
  r6('fc00::/7', 'unique local address, ULA (RFC 4193)', 'private'),
  r6('2001:db8::/32', 'documentation (RFC 3849)', 'documentation'),
  r6('3fff::/20', 'documentation (RFC 9637)', 'documentation'),
  r6('2001:2::/48', 'benchmarking (RFC 5180)', 'private'),
  r6('2001::/23', 'IETF protocol assignments (RFC 2928)', 'private'),
  r6('64:ff9b::/96', 'NAT64 well-known prefix (RFC 6052)', 'private'),
  r6('64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)', 'private'),
  r6('100::/64', 'discard-only (RFC 6666)', 'private'),
  ])

// 2001::/32 (Teredo) lies inside 2001::/23 but is globally routed; it is tunnelled, not stable, and is
// left to the private group like the rest of the IETF block. Global unicast is 2000::/3 (RFC 4291 2.4).
let globalUnicast: Range6 | undefined
const globalUnicastRange = (): Range6 => (globalUnicast ??= r6('2000::/3', 'outside global unicast 2000::/3 (RFC 4291)', 'private'))

function in4(n: number, r: Range4): boolean {
  if (r.bits === 0) return true
  const mask = (0xffffffff << (32 - r.bits)) >>> 0
  return ((n & mask) >>> 0) === ((r.base & mask) >>> 0)
}

function in6(n: bigint, r: Range6): boolean {
  const shift = BigInt(128 - r.bits)
  return n >> shift === r.base >> shift
}

/**
 * Parses a literal of the given family strictly (node:net isIPv4/isIPv6; no zone index, no
 * leading zeros in IPv4 octets) and returns its canonical form: IPv4 as is, IPv6 compressed and
 * lower-case (RFC 5952). Returns null when `text` is not exactly one address of that family.
 */
export function parseAddress(text: string, family: Family): string | null {
  if (family === 4) return isIPv4(text) ? text : null
  if (!isIPv6(text) || text.includes('%')) return null
  return normalizeIPv6(text)
}

/** The family of a literal (4 or 6), or 0 when it is neither; same strictness as `parseAddress`. */
export function familyOf(text: string): Family | 0 {
  if (isIPv4(text)) return 4
  if (isIPv6(text) && !text.includes('%')) return 6
  return 0
}

/**
 * The RFC 5952 canonical text of a valid IPv6 literal: lower case, leading zeros dropped, the
 * longest run (two groups or more; the first on a tie) of zero groups written `::`.
 * IPv4-mapped addresses keep their dotted tail (`::ffff:192.0.2.1`).
 */
export function normalizeIPv6(a: string): string {
  const v = v6ToBigInt(a)
  const groups: number[] = []
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn))
  if (v >> 32n === 0xffffn) {
    const lo = Number(v & 0xffffffffn)
    return `::ffff:${lo >>> 24}.${(lo >>> 16) & 255}.${(lo >>> 8) & 255}.${lo & 255}`
  }
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestLen < 2) return hex.join(':')
  const left = hex.slice(0, bestStart).join(':')
  const right = hex.slice(bestStart + bestLen).join(':')
  return `${left}::${right}`
}

/**
 * The special range an address falls in, or null for an ordinary public unicast address.
 * `address` must be a valid literal of `family` (see `parseAddress`).
 */
export function specialRange(address: string, family: Family): SpecialRange | null {
  if (family === 4) {
    const n = v4ToInt(address)
    const r = v4Table().find((x) => in4(n, x))
    return r ? { cidr: r.cidr, reason: r.reason, group: r.group } : null
  }
  const n = v6ToBigInt(address)
  const r = v6Table().find((x) => in6(n, x))
  if (r) return { cidr: r.cidr, reason: r.reason, group: r.group }
  const global = globalUnicastRange()
  if (!in6(n, global)) return { cidr: global.cidr, reason: global.reason, group: 'private' }
  return null
}

/** Whether the policy accepts an address in `range` (null: an ordinary public address). */
export function policyAllows(range: SpecialRange | null, policy: AddressPolicy): boolean {
  if (!range) return true
  if (range.group === 'private') return policy.allowPrivate
  if (range.group === 'documentation') return policy.allowDocumentation
  return false
}

/**
 * Validates what a source returned as the address of `family` and applies the address policy.
 *
 * @returns the canonical address (IPv6 compressed, lower case).
 * @throws EdgeError kind `detect` (not retryable) naming the range and its RFC, e.g.
 *   `100.72.13.5 is CGNAT (RFC 6598)`, with a hint on what to do; or saying the text is not an
 *   address of that family.
 */
export function checkAddress(text: string, family: Family, policy: AddressPolicy): string {
  const addr = parseAddress(text, family)
  if (addr === null) {
    const other = familyOf(text)
    if (other !== 0) throw new EdgeError('detect', `${text} is an IPv${other} address, not IPv${family}`, { retryable: false })
    throw new EdgeError('detect', 'not an IP address', { retryable: false })
  }
  const range = specialRange(addr, family)
  if (policyAllows(range, policy)) return addr
  throw new EdgeError('detect', `${addr} is ${range!.reason}, not a public address`, {
    retryable: false,
    code: range!.group,
    hint: hintFor(range!),
  })
}

function hintFor(r: SpecialRange): string {
  if (r.cidr === '100.64.0.0/10') {
    return 'the ISP puts this host behind carrier-grade NAT: the public address is not on this box, so use a dns or http source'
  }
  if (r.group === 'private') {
    return 'use a dns or http source to learn the public address, or set allow_private = true under [detect] for a LAN-only setup'
  }
  if (r.group === 'documentation') return 'documentation addresses are accepted only with allow_documentation = true under [detect] (tests and demos)'
  return 'this address can never be published'
}
