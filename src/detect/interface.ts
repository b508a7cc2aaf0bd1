import { readFileSync } from 'node:fs'
import os from 'node:os'
import { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'
import { checkAddress, normalizeIPv6, parseAddress, specialRange } from './classify.js'
import { ipv, type SourceResult } from './source.js'
import type { AddressPolicy, InterfaceSourceSpec } from './types.js'

/**
 * The `interface` source: an address configured on a local network interface.
 *
 * IPv4 comes from `os.networkInterfaces()` (getifaddrs, which uses netlink on Linux).
 *
 * IPv6 needs address flags `os.networkInterfaces()` does not give. On Linux they are read from
 * `/proc/self/net/if_inet6` (one line per address: address in 32 hex digits, ifindex, prefix length,
 * scope, flags, name; all numbers hex). The kernel prints only the low 8 bits of the flags
 * (`if6_seq_show` casts to u8), which hold the ones we need, from `linux/if_addr.h`:
 * IFA_F_TEMPORARY 0x01, NODAD 0x02, OPTIMISTIC 0x04, DADFAILED 0x08, HOMEADDRESS 0x10,
 * DEPRECATED 0x20, TENTATIVE 0x40, PERMANENT 0x80 (MANAGETEMPADDR 0x100 and NOPREFIXROUTE 0x200
 * are not visible there). The chosen address is global and stable (BC-16): never link-local,
 * ULA (unless the policy allows private addresses), temporary (unless `preferTemporary`),
 * deprecated, tentative or DAD-failed, and never outside 2000::/3 by default. Among the rest a
 * statically configured (permanent) address comes first, then the others in the kernel's order.
 *
 * Other systems (macOS, the BSDs, Windows), or Linux without /proc: IPv6 comes from
 * `os.networkInterfaces()` with range filtering only. Temporary, deprecated and tentative
 * addresses cannot be told apart there, so prefer a dns or http source for IPv6 on those systems.
 *
 * Failing to enumerate (EAFNOSUPPORT or EPERM: a systemd sandbox whose RestrictAddressFamilies=
 * lacks AF_NETLINK) is an error of kind `sandbox`, distinct from "no such interface" and from
 * "no public address on it" (BC-35).
 */

/** Where interface data comes from; injectable for tests. */
export interface InterfaceReaders {
  /** Like `os.networkInterfaces()`; may throw when the sandbox forbids netlink. */
  networkInterfaces(): NodeJS.Dict<os.NetworkInterfaceInfo[]>
  /** The text of `/proc/self/net/if_inet6`, or null when the file does not exist (not Linux). */
  readIfInet6(): string | null
}

/** The real readers. */
export const systemReaders: InterfaceReaders = {
  networkInterfaces: () => os.networkInterfaces(),
  readIfInet6: () => {
    try {
      return readFileSync('/proc/self/net/if_inet6', 'utf8')
    } catch (e) {
      const code = (e as { code?: string }).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return null
      throw e
    }
  },
}

/** IPv6 address flags, as in `linux/if_addr.h`. */
export const IFA_F = {
  TEMPORARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  HOMEADDRESS: 0x10,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  MANAGETEMPADDR: 0x100,
  NOPREFIXROUTE: 0x200,
} as const

/** One line of `/proc/self/net/if_inet6`. */
export interface Inet6Row {
  /** Canonical IPv6 text. */
  address: string
  ifindex: number
  prefixLen: number
  /** Kernel scope bits: 0x00 global, 0x10 host, 0x20 link, 0x40 site. */
  scope: number
  flags: number
  name: string
}

/** Parses `/proc/self/net/if_inet6`; lines that do not have the expected shape are skipped. */
export function parseIfInet6(text: string): Inet6Row[] {
  const rows: Inet6Row[] = []
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 6 || !/^[0-9a-fA-F]{32}$/.test(f[0]!)) continue
    const hex = f[0]!
    const groups = hex.match(/.{4}/g)!.join(':')
    rows.push({
      address: normalizeIPv6(groups),
      ifindex: parseInt(f[1]!, 16),
      prefixLen: parseInt(f[2]!, 16),
      scope: parseInt(f[3]!, 16),
      flags: parseInt(f[4]!, 16),
      name: f[5]!,
    })
  }
  return rows
}

function errCode(e: unknown): string | undefined {
  const x = e as { code?: string; errno?: number; info?: { code?: string; errno?: number } }
  // os.networkInterfaces() throws ERR_SYSTEM_ERROR with the libuv code in `info.code`; for some
  // errors libuv has no name, and Node 20 then says "Unknown system error 97" with only the errno
  // (seen under RestrictAddressFamilies= without AF_NETLINK): map the number back to its name.
  const errno = x.info?.errno ?? x.errno
  if (typeof errno === 'number') {
    const n = Math.abs(errno)
    const named = Object.entries(os.constants.errno).find(([, v]) => v === n)?.[0]
    if (named) return named
  }
  return x.info?.code ?? x.code
}

function sandboxError(name: string, e: unknown, what: string): EdgeError {
  const code = errCode(e) ?? 'unknown error'
  return new EdgeError('sandbox', `cannot list network interfaces to read ${name} (${what}: ${code})`, {
    retryable: false,
    code,
    hint: 'a service sandbox without AF_NETLINK cannot enumerate interfaces: add AF_NETLINK to RestrictAddressFamilies= in the systemd unit, or use a dns or http source',
    cause: e,
  })
}

const SANDBOX_CODES = new Set(['EAFNOSUPPORT', 'EPERM', 'EACCES', 'EPROTONOSUPPORT'])

/** `os.networkInterfaces()` that tells a sandbox refusal from other failures. */
function listInterfaces(readers: InterfaceReaders, name: string): NodeJS.Dict<os.NetworkInterfaceInfo[]> {
  let all: NodeJS.Dict<os.NetworkInterfaceInfo[]>
  try {
    all = readers.networkInterfaces()
  } catch (e) {
    if (SANDBOX_CODES.has(errCode(e) ?? '')) throw sandboxError(name, e, 'getifaddrs')
    throw new EdgeError('transient', `cannot list network interfaces: ${(e as Error).message}`, { cause: e })
  }
  // Every host has a loopback interface; an empty list means the enumeration was silently refused.
  if (Object.keys(all).length === 0) {
    throw new EdgeError('sandbox', `cannot list network interfaces to read ${name}: the system returned none, not even loopback`, {
      retryable: false,
      code: 'EMPTY',
      hint: 'a service sandbox without AF_NETLINK cannot enumerate interfaces: add AF_NETLINK to RestrictAddressFamilies= in the systemd unit, or use a dns or http source',
    })
  }
  return all
}

function isFamily(info: os.NetworkInterfaceInfo, family: Family): boolean {
  // Node 18.0 to 18.3 reported the family as a number.
  const f = info.family as string | number
  return f === `IPv${family}` || f === family
}

function noInterface(name: string, known: string[]): EdgeError {
  return new EdgeError('detect', `no interface named ${name} with an address (interfaces: ${known.join(', ') || 'none'})`, {
    retryable: true,
    code: 'NO_INTERFACE',
  })
}

/**
 * Picks an address of `family` from the interface `spec.name`.
 *
 * @returns the chosen address, already checked against `policy`, with notes naming the
 *   addresses passed over and why.
 * @throws EdgeError kind `sandbox` when interfaces cannot be enumerated (BC-35); kind `detect`
 *   when there is no such interface, or when it has no acceptable address (the message lists each
 *   address and why it was refused, e.g. `100.72.13.5 is CGNAT (RFC 6598)`).
 */
export function detectViaInterface(
  spec: InterfaceSourceSpec,
  family: Family,
  policy: AddressPolicy,
  readers: InterfaceReaders = systemReaders,
): SourceResult {
  const name = spec.name
  if (family === 6) {
    let text: string | null
    try {
      text = readers.readIfInet6()
    } catch (e) {
      if (SANDBOX_CODES.has(errCode(e) ?? '')) throw sandboxError(name, e, '/proc/self/net/if_inet6')
      throw new EdgeError('transient', `cannot read /proc/self/net/if_inet6: ${(e as Error).message}`, { cause: e })
    }
    if (text !== null) return pickFromProc(parseIfInet6(text), name, policy, readers)
  }
  const all = listInterfaces(readers, name)
  const infos = all[name]
  if (!infos) throw noInterface(name, Object.keys(all))
  const candidates = infos.filter((i) => isFamily(i, family)).map((i) => ({ address: i.address, flags: 0 }))
  return choose(candidates, name, family, policy)
}

function pickFromProc(rows: Inet6Row[], name: string, policy: AddressPolicy, readers: InterfaceReaders): SourceResult {
  const mine = rows.filter((r) => r.name === name)
  if (mine.length === 0) {
    // Tell "no such interface" from "no IPv6 on it" where enumeration works; /proc alone cannot.
    let all: NodeJS.Dict<os.NetworkInterfaceInfo[]> | undefined
    try {
      all = readers.networkInterfaces()
    } catch {
      all = undefined
    }
    const known = new Set([...rows.map((r) => r.name), ...Object.keys(all ?? {})])
    if (all && Object.keys(all).length > 0 && !known.has(name)) throw noInterface(name, [...known].sort())
    throw new EdgeError('detect', `no IPv6 address on ${name}`, { retryable: true, code: 'NO_ADDRESS' })
  }
  return choose(mine, name, 6, policy)
}

interface Candidate {
  address: string
  flags: number
}

function flagWords(flags: number): string[] {
  const out: string[] = []
  if (flags & IFA_F.TEMPORARY) out.push('temporary')
  if (flags & IFA_F.DEPRECATED) out.push('deprecated')
  if (flags & IFA_F.TENTATIVE) out.push('tentative')
  if (flags & IFA_F.DADFAILED) out.push('DAD failed')
  return out
}

function choose(candidates: Candidate[], name: string, family: Family, policy: AddressPolicy): SourceResult {
  const skipped: string[] = []
  const ok: (Candidate & { address: string })[] = []
  for (const c of candidates) {
    const addr = parseAddress(c.address, family)
    if (addr === null) continue
    const bad = c.flags & (IFA_F.DEPRECATED | IFA_F.TENTATIVE | IFA_F.DADFAILED)
    if (bad) {
      skipped.push(`${addr} is ${flagWords(bad).join(', ')}`)
      continue
    }
    if (c.flags & IFA_F.TEMPORARY && !policy.preferTemporary) {
      skipped.push(`${addr} is a temporary (privacy) address`)
      continue
    }
    // A link-local address is meaningless outside its link, whatever the policy says.
    const range = specialRange(addr, family)
    if (range && (range.cidr === 'fe80::/10' || range.cidr === '169.254.0.0/16')) {
      skipped.push(`${addr} is ${range.reason}`)
      continue
    }
    try {
      ok.push({ ...c, address: checkAddress(addr, family, policy) })
    } catch (e) {
      skipped.push((e as Error).message.replace(/, not a public address$/, ''))
    }
  }
  // Public before private (a ULA the policy allows never beats a global address); then, for IPv6,
  // temporary first only when asked, and a statically configured address before a dynamic one.
  const rank = (c: Candidate): number => {
    const priv = specialRange(c.address, family)?.group === 'private' ? 10 : 0
    if (family === 4) return priv
    const temp = (c.flags & IFA_F.TEMPORARY) !== 0
    if (policy.preferTemporary) return priv + (temp ? 0 : c.flags & IFA_F.PERMANENT ? 1 : 2)
    return priv + (c.flags & IFA_F.PERMANENT ? 0 : 1)
  }
  const sorted = ok.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i)
  const best = sorted[0]?.c
  if (!best) {
    const what = skipped.length ? `no public ${ipv(family)} address on ${name}: ${skipped.join('; ')}` : `no ${ipv(family)} address on ${name}`
    throw new EdgeError('detect', what, {
      retryable: true,
      code: 'NO_ADDRESS',
      hint:
        family === 4 && skipped.some((s) => s.includes('RFC 6598'))
          ? 'the ISP puts this host behind carrier-grade NAT: the public address is not on this box, so use a dns or http source'
          : family === 4 && skipped.length
            ? 'this host sits behind NAT: use a dns or http source, or set allow_private = true under [detect] for a LAN-only setup'
            : undefined,
    })
  }
  const notes = skipped.map((s) => `skipped ${s}`)
  const others = sorted.slice(1).map((x) => x.c.address)
  if (others.length) notes.push(`also on ${name}: ${others.join(', ')}`)
  return notes.length ? { address: best.address, notes } : { address: best.address }
}
