import { describe, expect, it } from 'vitest'
import { DEFAULT_SOURCES, defaultSources, parseSource, resolverSources, sourceLabel } from '../../../src/detect/presets.js'
import { parseServer } from '../../../src/dns/names.js'
import { ConfigError } from '../../../src/errors.js'

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('source presets', () => {
  it.each([
    ['opendns', { '4': '208.67.222.222', '6': '2620:119:35::35' }, 'myip.opendns.com', { '4': 'A', '6': 'AAAA' }, 'IN'],
    ['google', { '4': '216.239.32.10', '6': '2001:4860:4802:32::a' }, 'o-o.myaddr.l.google.com', { '4': 'TXT', '6': 'TXT' }, 'IN'],
    ['cloudflare', { '4': '1.1.1.1', '6': '2606:4700:4700::1111' }, 'whoami.cloudflare', { '4': 'TXT', '6': 'TXT' }, 'CH'],
    ['akamai', { '4': '193.108.88.1' }, 'whoami.akamai.net', { '4': 'A', '6': 'AAAA' }, 'IN'],
  ])('dns preset %s', (name, server, qname, type, klass) => {
    const s = parseSource(name, 'detect.ipv4[0]')
    expect(s).toEqual({ kind: 'dns', label: name, server, port: 53, name: qname, type, class: klass })
  })

  it.each([
    ['ipify', 'https://api.ipify.org', 'https://api6.ipify.org', 'plain'],
    ['icanhazip', 'https://ipv4.icanhazip.com', 'https://ipv6.icanhazip.com', 'plain'],
    ['cloudflare-trace', 'https://1.1.1.1/cdn-cgi/trace', 'https://[2606:4700:4700::1111]/cdn-cgi/trace', 'trace'],
  ])('http preset %s', (name, u4, u6, format) => {
    expect(parseSource(name, 'p')).toEqual({ kind: 'http', label: name, url: { 4: u4, 6: u6 }, format })
  })

  it('a preset is a copy: changing it does not change the next one', () => {
    const a = parseSource('opendns', 'p')
    if (a.kind !== 'dns') throw new Error('dns expected')
    a.server[4] = '127.0.0.1'
    const b = parseSource('opendns', 'p')
    expect(b.kind === 'dns' && b.server[4]).toBe('208.67.222.222')
  })

  it('interface:<name> and netifd:<name>', () => {
    expect(parseSource('interface:pppoe-wan', 'p')).toEqual({ kind: 'interface', label: 'pppoe-wan', name: 'pppoe-wan' })
    expect(parseSource('netifd:wan6', 'p')).toEqual({ kind: 'netifd', label: 'wan6', name: 'wan6' })
  })

  it('a URL is a custom plain echo asked over both families', () => {
    expect(parseSource('https://echo.example/ip', 'p')).toEqual({
      kind: 'http',
      label: 'custom',
      url: { 4: 'https://echo.example/ip', 6: 'https://echo.example/ip' },
      format: 'plain',
    })
  })

  it('{ url, family } serves that family only', () => {
    expect(parseSource({ url: 'http://127.0.0.1:8080/', family: 4 }, 'p')).toMatchObject({ url: { 4: 'http://127.0.0.1:8080/' } })
    expect(parseSource({ url: 'http://[::1]:8080/', family: 6n }, 'p')).toEqual({
      kind: 'http',
      label: 'custom',
      url: { 6: 'http://[::1]:8080/' },
      format: 'plain',
    })
    expect(parseSource({ url: 'https://1.1.1.1/cdn-cgi/trace', format: 'trace' }, 'p')).toMatchObject({ format: 'trace' })
  })

  it('a custom DNS query at 127.0.0.1 with a port (the e2e stand-in)', () => {
    expect(parseSource({ dns: '127.0.0.1:5353', name: 'myip.opendns.com', type: 'A' }, 'p')).toEqual({
      kind: 'dns',
      label: 'custom',
      server: { 4: '127.0.0.1' },
      port: 5353,
      name: 'myip.opendns.com',
      type: { 4: 'A', 6: 'AAAA' },
      class: 'IN',
    })
  })

  it('a custom DNS query at [::1]:port serves IPv6 only; a host name serves both; CH class', () => {
    expect(parseSource({ dns: '[::1]:5353', name: 'myip.opendns.com', type: 'AAAA' }, 'p')).toMatchObject({ server: { 6: '::1' }, port: 5353 })
    const s = parseSource({ dns: 'ns.example', name: 'whoami.example.', type: 'txt', class: 'ch' }, 'p')
    expect(s).toMatchObject({ server: { 4: 'ns.example', 6: 'ns.example' }, port: 53, name: 'whoami.example', type: { 4: 'TXT', 6: 'TXT' }, class: 'CH' })
    expect(parseSource({ dns: '2001:db8::53', name: 'x.example' }, 'p')).toMatchObject({ server: { 6: '2001:db8::53' }, port: 53 })
  })

  it.each([
    ['nope', 'detect.ipv4[1]: unknown source "nope"'],
    [42, 'detect.ipv4[1]: expected a source name or table'],
    [{}, 'detect.ipv4[1]: a source table needs `dns`'],
    ['interface:', 'detect.ipv4[1]: "interface:" needs an interface name'],
    ['netifd:wan lan', 'detect.ipv4[1]: "netifd:" needs a logical interface name'],
    ['ftp://x.example/', 'detect.ipv4[1]: unknown source'],
    ['https://user:pw@echo.example/', 'detect.ipv4[1]: an IP echo URL must not carry credentials'],
    [{ dns: '127.0.0.1:5353', name: 'x', typo: 1 }, 'detect.ipv4[1].typo: unknown key'],
    [{ dns: '127.0.0.1:99999', name: 'x' }, 'detect.ipv4[1].dns: port must be a number from 1 to 65535'],
    [{ dns: '127.0.0.1:53' }, 'detect.ipv4[1].name: is required'],
    [{ dns: '127.0.0.1', name: 'x', type: 'MX' }, 'detect.ipv4[1].type: must be "A", "AAAA" or "TXT"'],
    [{ dns: '127.0.0.1', name: 'x', class: 'HS' }, 'detect.ipv4[1].class: must be "IN" or "CH"'],
    [{ dns: '127.0.0.1', name: 'x', type: 'AAAA' }, 'detect.ipv4[1]: this query serves no address family'],
    [{ dns: '[127.0.0.1]:53', name: 'x' }, 'detect.ipv4[1].dns: brackets are only for IPv6 addresses'],
    [{ url: 'https://x.example', family: 5 }, 'detect.ipv4[1].family: must be 4 or 6'],
  ])('%j is a config error naming the key', (value, msg) => {
    expect(configError(() => parseSource(value, 'detect.ipv4[1]')).message).toContain(msg)
  })

  it('host:port forms (shared with rfc2136 and the read-back resolver)', () => {
    expect(parseServer('127.0.0.1:5353', 'p')).toMatchObject({ host: '127.0.0.1', port: 5353 })
    expect(parseServer('[2001:db8::53]:5353', 'p')).toMatchObject({ host: '2001:db8::53', port: 5353 })
    expect(parseServer('ns1.example.', 'p')).toMatchObject({ host: 'ns1.example.', port: 53 })
  })
})

describe('defaults and dness ip_resolver', () => {
  it('defaults: DNS echoes first (OpenDNS), then HTTPS echoes (ipify), for both families', () => {
    for (const f of [4, 6] as const) {
      expect(DEFAULT_SOURCES[f].map(sourceLabel)).toEqual(['dns:opendns', 'dns:cloudflare', 'http:ipify', 'http:icanhazip'])
    }
    const copy = defaultSources()
    copy[4].pop()
    expect(DEFAULT_SOURCES[4]).toHaveLength(4)
  })

  it.each([
    ['opendns', 'dns:opendns'],
    ['ipify', 'http:ipify'],
    ['OpenDNS', 'dns:opendns'],
  ])('ip_resolver = %j → %s for both families, nothing else', (name, label) => {
    const s = resolverSources(name, 'ip_resolver')
    expect(s[4].map(sourceLabel)).toEqual([label])
    expect(s[6].map(sourceLabel)).toEqual([label])
  })

  it('an unknown ip_resolver is a config error naming the key', () => {
    expect(configError(() => resolverSources('google', 'ip_resolver')).message).toMatch(/^ip_resolver: must be "opendns" or "ipify"/)
  })

  it('labels name custom sources by where they go', () => {
    expect(sourceLabel(parseSource({ dns: '127.0.0.1:5353', name: 'x', type: 'A' }, 'p'))).toBe('dns:127.0.0.1:5353')
    expect(sourceLabel(parseSource({ dns: '[::1]:53', name: 'x' }, 'p'))).toBe('dns:[::1]:53')
    expect(sourceLabel(parseSource('https://echo.example:8443/ip', 'p'))).toBe('http:echo.example:8443')
    expect(sourceLabel(parseSource('interface:eth0', 'p'))).toBe('interface:eth0')
    expect(sourceLabel(parseSource('netifd:wan', 'p'))).toBe('netifd:wan')
  })
})
