import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { detectViaInterface, IFA_F, parseIfInet6, systemReaders, type InterfaceReaders } from '../../../src/detect/interface.js'
import type { InterfaceSourceSpec } from '../../../src/detect/types.js'
import { EdgeError } from '../../../src/errors.js'
import { DOCS, STRICT } from './fake-ctx.js'

const eth0: InterfaceSourceSpec = { kind: 'interface', label: 'eth0', name: 'eth0' }

function v4(address: string): NetworkInterfaceInfo {
  return { address, netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/24` }
}
function v6(address: string): NetworkInterfaceInfo {
  return { address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: `${address}/64`, scopeid: 0 }
}

/** Readers with a fixed interface list and /proc file (null: not Linux). */
function readers(ifs: Record<string, NetworkInterfaceInfo[]>, proc: string | null = null): InterfaceReaders {
  return { networkInterfaces: () => ifs, readIfInet6: () => proc }
}

/** One /proc/self/net/if_inet6 line as the kernel prints it. */
function line(addr: string, flags: number, scope = 0, name = 'eth0', ifindex = 2, plen = 64): string {
  const full = addr
  const hex = expandHex(full)
  const h2 = (n: number): string => n.toString(16).padStart(2, '0')
  return `${hex} ${h2(ifindex)} ${h2(plen)} ${h2(scope)} ${h2(flags)} ${name.padStart(8)}`
}
function expandHex(a: string): string {
  const [head, tail] = a.split('::') as [string, string | undefined]
  const hs = head ? head.split(':') : []
  const ts = tail ? tail.split(':') : []
  const groups = [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts]
  return groups.map((g) => g.padStart(4, '0')).join('')
}

function failure(fn: () => unknown): EdgeError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(EdgeError)
    return e as EdgeError
  }
  throw new Error('expected a failure')
}

// The address list of BC-16, in `ip -6 addr show dev eth0` order, with the flags the kernel shows.
const BC16 = [
  line('fe80::1234', IFA_F.PERMANENT, 0x20),
  line('fd12:3456:789a:1::10', IFA_F.PERMANENT),
  line('2001:db8:1:2:a1b2:c3d4:e5f6:1', IFA_F.TEMPORARY),
  line('2001:db8:1:2:aaaa:bbbb:cccc:1', IFA_F.TEMPORARY | IFA_F.DEPRECATED),
  line('2001:db8:1:2::10', 0), // dynamic mngtmpaddr noprefixroute: those bits are above the low 8
  line('2001:db8:1:2::99', IFA_F.TENTATIVE | IFA_F.PERMANENT),
].join('\n')

describe('/proc/self/net/if_inet6', () => {
  it('parses the kernel format', () => {
    const text = '00000000000000000000000000000001 01 80 10 80       lo\nfe8000000000000000fc00fffe000001 04 40 20 80     eth0\n20010db8000100020000000000000010 02 40 00 00     eth0\n'
    expect(parseIfInet6(text)).toEqual([
      { address: '::1', ifindex: 1, prefixLen: 128, scope: 0x10, flags: 0x80, name: 'lo' },
      { address: 'fe80::fc:ff:fe00:1', ifindex: 4, prefixLen: 64, scope: 0x20, flags: 0x80, name: 'eth0' },
      { address: '2001:db8:1:2::10', ifindex: 2, prefixLen: 64, scope: 0, flags: 0, name: 'eth0' },
    ])
  })

  it('the flag values are those of linux/if_addr.h', () => {
    expect(IFA_F).toMatchObject({ TEMPORARY: 0x01, DADFAILED: 0x08, DEPRECATED: 0x20, TENTATIVE: 0x40, PERMANENT: 0x80, MANAGETEMPADDR: 0x100 })
  })

  it('reads the real file on Linux', (t) => {
    const text = systemReaders.readIfInet6()
    if (text === null) {
      console.warn('SKIP: no /proc/self/net/if_inet6 on this system')
      t.skip()
      return
    }
    for (const r of parseIfInet6(text)) expect(r.name).toMatch(/\S/)
  })
})

describe('interface source, IPv6 (BC-16)', () => {
  it('BC-16: picks the global stable address, not link-local, ULA, temporary, deprecated or tentative', () => {
    const r = detectViaInterface(eth0, 6, DOCS, readers({ eth0: [] }, BC16))
    expect(r.address).toBe('2001:db8:1:2::10')
    expect(r.notes).toEqual([
      'skipped fe80::1234 is link-local (RFC 4291)',
      'skipped fd12:3456:789a:1::10 is unique local address, ULA (RFC 4193)',
      'skipped 2001:db8:1:2:a1b2:c3d4:e5f6:1 is a temporary (privacy) address',
      'skipped 2001:db8:1:2:aaaa:bbbb:cccc:1 is deprecated',
      'skipped 2001:db8:1:2::99 is tentative',
    ])
  })

  it('BC-16: only link-local and ULA → "no public IPv6 address"', () => {
    const proc = [line('fe80::1234', IFA_F.PERMANENT, 0x20), line('fd12:3456:789a:1::10', IFA_F.PERMANENT)].join('\n')
    const e = failure(() => detectViaInterface(eth0, 6, DOCS, readers({ eth0: [] }, proc)))
    expect(e.kind).toBe('detect')
    expect(e.code).toBe('NO_ADDRESS')
    expect(e.message).toMatch(/^no public IPv6 address on eth0: fe80::1234 is link-local.*; fd12:3456:789a:1::10 is unique local/)
  })

  it('BC-16: prefer_temporary is opt-in and still skips a deprecated temporary', () => {
    const r = detectViaInterface(eth0, 6, { ...DOCS, preferTemporary: true }, readers({}, BC16))
    expect(r.address).toBe('2001:db8:1:2:a1b2:c3d4:e5f6:1')
  })

  it('BC-16: a DAD-failed address is never chosen', () => {
    const proc = [line('2001:db8:1:2::5', IFA_F.DADFAILED | IFA_F.TENTATIVE | IFA_F.PERMANENT), line('2001:db8:1:2::6', 0)].join('\n')
    expect(detectViaInterface(eth0, 6, DOCS, readers({}, proc)).address).toBe('2001:db8:1:2::6')
  })

  it('a static (permanent) global address comes before a dynamic one', () => {
    const proc = [line('2001:db8:1:2::10', 0), line('2001:db8:1:2::1', IFA_F.PERMANENT)].join('\n')
    const r = detectViaInterface(eth0, 6, DOCS, readers({}, proc))
    expect(r.address).toBe('2001:db8:1:2::1')
    expect(r.notes).toEqual(['also on eth0: 2001:db8:1:2::10'])
  })

  it('an allowed ULA never beats a global address', () => {
    const r = detectViaInterface(eth0, 6, { ...DOCS, allowPrivate: true }, readers({}, BC16))
    expect(r.address).toBe('2001:db8:1:2::10')
  })

  it('addresses outside 2000::/3 and documentation addresses are refused by default', () => {
    const proc = [line('2001:db8:1:2::10', 0), line('4000::1', 0)].join('\n')
    const e = failure(() => detectViaInterface(eth0, 6, STRICT, readers({}, proc)))
    expect(e.message).toContain('2001:db8:1:2::10 is documentation (RFC 3849)')
    expect(e.message).toContain('4000::1 is outside global unicast 2000::/3')
  })

  it('an interface with only IPv4 has "no IPv6 address"; an unknown one is "no such interface"', () => {
    const proc = line('2001:db8:1:2::10', 0, 0, 'eth1')
    const r = readers({ eth0: [v4('192.0.2.10')], eth1: [] }, proc)
    expect(failure(() => detectViaInterface(eth0, 6, DOCS, r)).message).toBe('no IPv6 address on eth0')
    const e = failure(() => detectViaInterface({ ...eth0, name: 'wan9' }, 6, DOCS, r))
    expect(e.code).toBe('NO_INTERFACE')
    expect(e.message).toBe('no interface named wan9 with an address (interfaces: eth0, eth1)')
  })

  it('without /proc (not Linux) IPv6 comes from os.networkInterfaces() with range filtering only', () => {
    const r = readers({ eth0: [v6('fe80::1'), v6('fd00::2'), v6('2001:db8:1:2::10')] }, null)
    expect(detectViaInterface(eth0, 6, DOCS, r).address).toBe('2001:db8:1:2::10')
  })
})

describe('interface source, IPv4 (BC-17)', () => {
  it.each([
    ['100.72.13.5', 'CGNAT (RFC 6598)', /carrier-grade NAT/],
    ['10.0.0.2', 'private (RFC 1918)', /dns or http source/],
    ['169.254.7.7', 'link-local (RFC 3927)', /dns or http source/],
  ])('BC-17: %s is refused with the reason %s', (addr, reason, hint) => {
    const e = failure(() => detectViaInterface(eth0, 4, STRICT, readers({ eth0: [v4(addr)] })))
    expect(e.kind).toBe('detect')
    expect(e.message).toBe(`no public IPv4 address on eth0: ${addr} is ${reason}`)
    expect(e.hint).toMatch(hint)
  })

  it('BC-17: 203.0.113.7 is accepted when documentation ranges are allowed', () => {
    expect(detectViaInterface(eth0, 4, DOCS, readers({ eth0: [v4('203.0.113.7')] })).address).toBe('203.0.113.7')
    expect(() => detectViaInterface(eth0, 4, STRICT, readers({ eth0: [v4('203.0.113.7')] }))).toThrow(/documentation/)
  })

  it('BC-17: allowPrivate accepts 10.0.0.2 for a LAN-only setup', () => {
    expect(detectViaInterface(eth0, 4, { ...STRICT, allowPrivate: true }, readers({ eth0: [v4('10.0.0.2')] })).address).toBe('10.0.0.2')
  })

  it('a public address is chosen over a private one on the same interface', () => {
    const r = detectViaInterface(eth0, 4, DOCS, readers({ eth0: [v4('10.0.0.2'), v4('198.51.100.23')] }))
    expect(r.address).toBe('198.51.100.23')
    expect(r.notes).toEqual(['skipped 10.0.0.2 is private (RFC 1918)'])
  })

  it('Node 18.0 numeric families are understood', () => {
    const info = { ...v4('198.51.100.23'), family: 4 } as unknown as NetworkInterfaceInfo
    expect(detectViaInterface(eth0, 4, DOCS, readers({ eth0: [info] })).address).toBe('198.51.100.23')
  })

  it('no such interface is its own error, listing the interfaces', () => {
    const e = failure(() => detectViaInterface({ ...eth0, name: 'ppp0' }, 4, DOCS, readers({ lo: [v4('127.0.0.1')], eth0: [v4('192.0.2.1')] })))
    expect(e.kind).toBe('detect')
    expect(e.code).toBe('NO_INTERFACE')
    expect(e.message).toBe('no interface named ppp0 with an address (interfaces: lo, eth0)')
  })
})

describe('BC-35: enumeration refused by a sandbox', () => {
  const refused = (shape: 'code' | 'info', code: string): InterfaceReaders => ({
    networkInterfaces: () => {
      const err = new Error('A system error occurred: uv_interface_addresses returned Address family not supported by protocol')
      throw shape === 'code' ? Object.assign(err, { code }) : Object.assign(err, { code: 'ERR_SYSTEM_ERROR', info: { code, syscall: 'uv_interface_addresses' } })
    },
    readIfInet6: () => null,
  })

  it.each([
    ['code', 'EAFNOSUPPORT'],
    ['info', 'EAFNOSUPPORT'],
    ['code', 'EPERM'],
  ] as const)('BC-35: getifaddrs failing with %s %s is a sandbox error with an AF_NETLINK hint', (shape, code) => {
    const e = failure(() => detectViaInterface(eth0, 4, DOCS, refused(shape, code)))
    expect(e.kind).toBe('sandbox')
    expect(e.code).toBe(code)
    expect(e.message).toContain('cannot list network interfaces')
    expect(e.hint).toMatch(/AF_NETLINK/)
    expect(e.hint).toMatch(/RestrictAddressFamilies/)
  })

  it('BC-35: Node 20\'s real shape under RestrictAddressFamilies (errno 97 without a libuv name) is a sandbox error', () => {
    // What os.networkInterfaces() throws in a unit without AF_NETLINK, as seen under systemd-nspawn.
    const real: InterfaceReaders = {
      networkInterfaces: () => {
        throw Object.assign(new Error('A system error occurred: uv_interface_addresses returned Unknown system error 97 (Unknown system error 97)'), {
          code: 'ERR_SYSTEM_ERROR',
          errno: 97,
          info: { errno: 97, code: 'Unknown system error 97', message: 'Unknown system error 97', syscall: 'uv_interface_addresses' },
        })
      },
      readIfInet6: () => null,
    }
    const e = failure(() => detectViaInterface(eth0, 4, DOCS, real))
    expect(e.kind).toBe('sandbox')
    expect(e.code).toBe('EAFNOSUPPORT')
    expect(e.hint).toMatch(/AF_NETLINK/)
  })

  it('BC-35: an empty enumeration (not even loopback) is a sandbox error, not "no address"', () => {
    const e = failure(() => detectViaInterface(eth0, 4, DOCS, readers({})))
    expect(e.kind).toBe('sandbox')
    expect(e.hint).toMatch(/AF_NETLINK/)
  })

  it('BC-35: the three failures are told apart', () => {
    const sandbox = failure(() => detectViaInterface(eth0, 4, DOCS, refused('code', 'EAFNOSUPPORT')))
    const missing = failure(() => detectViaInterface(eth0, 4, DOCS, readers({ lo: [v4('127.0.0.1')] })))
    const noAddr = failure(() => detectViaInterface(eth0, 4, DOCS, readers({ eth0: [v4('10.0.0.2')] })))
    expect([sandbox.kind, missing.code, noAddr.code]).toEqual(['sandbox', 'NO_INTERFACE', 'NO_ADDRESS'])
  })

  it('another enumeration failure is transient', () => {
    const e = failure(() => detectViaInterface(eth0, 4, DOCS, refused('code', 'ENOMEM')))
    expect(e.kind).toBe('transient')
  })
})
