import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'
import { parseServer } from '../dns/names.js'
import type { Family } from '../providers/types.js'
import type { DnsSourceSpec, HttpSourceSpec, SourceSpec } from './types.js'

/**
 * Source presets and the parser of one source entry in the config (`[detect] ipv4 = [...]`).
 *
 * DNS presets ask a server that answers with the address the query came from:
 * - `opendns`: `myip.opendns.com` A/AAAA at resolver1.opendns.com (208.67.222.222 / 2620:119:35::35).
 * - `google`: `o-o.myaddr.l.google.com` TXT at ns1.google.com (216.239.32.10 / 2001:4860:4802:32::a);
 *   asked straight at the authoritative server, so the TXT carries our address and not a resolver's (BC-19).
 * - `cloudflare`: `whoami.cloudflare` TXT class CH at 1.1.1.1 / 2606:4700:4700::1111.
 * - `akamai`: `whoami.akamai.net` A at ns1-1.akamaitech.net (193.108.88.1); IPv4 only.
 *
 * HTTP presets (the body is the address):
 * - `ipify`: api.ipify.org / api6.ipify.org (the endpoints dness uses).
 * - `icanhazip`: ipv4.icanhazip.com / ipv6.icanhazip.com.
 * - `cloudflare-trace`: `https://1.1.1.1/cdn-cgi/trace` / `https://[2606:4700:4700::1111]/cdn-cgi/trace`,
 *   a `key=value` body whose `ip=` line is the address.
 */

/** DNS presets by name. Frozen: callers must copy before changing. */
export const DNS_PRESETS: Readonly<Record<string, Readonly<DnsSourceSpec>>> = Object.freeze({
  opendns: {
    kind: 'dns',
    label: 'opendns',
    server: { 4: '208.67.222.222', 6: '2620:119:35::35' },
    port: 53,
    name: 'myip.opendns.com',
    type: { 4: 'A', 6: 'AAAA' },
    class: 'IN',
  },
  google: {
    kind: 'dns',
    label: 'google',
    server: { 4: '216.239.32.10', 6: '2001:4860:4802:32::a' },
    port: 53,
    name: 'o-o.myaddr.l.google.com',
    type: { 4: 'TXT', 6: 'TXT' },
    class: 'IN',
  },
  cloudflare: {
    kind: 'dns',
    label: 'cloudflare',
    server: { 4: '1.1.1.1', 6: '2606:4700:4700::1111' },
    port: 53,
    name: 'whoami.cloudflare',
    type: { 4: 'TXT', 6: 'TXT' },
    class: 'CH',
  },
  akamai: {
    kind: 'dns',
    label: 'akamai',
    server: { 4: '193.108.88.1' },
    port: 53,
    name: 'whoami.akamai.net',
    type: { 4: 'A', 6: 'AAAA' },
    class: 'IN',
  },
} satisfies Record<string, DnsSourceSpec>)

/** HTTP presets by name. Frozen: callers must copy before changing. */
export const HTTP_PRESETS: Readonly<Record<string, Readonly<HttpSourceSpec>>> = Object.freeze({
  ipify: {
    kind: 'http',
    label: 'ipify',
    url: { 4: 'https://api.ipify.org', 6: 'https://api6.ipify.org' },
    format: 'plain',
  },
  icanhazip: {
    kind: 'http',
    label: 'icanhazip',
    url: { 4: 'https://ipv4.icanhazip.com', 6: 'https://ipv6.icanhazip.com' },
    format: 'plain',
  },
  'cloudflare-trace': {
    kind: 'http',
    label: 'cloudflare-trace',
    url: { 4: 'https://1.1.1.1/cdn-cgi/trace', 6: 'https://[2606:4700:4700::1111]/cdn-cgi/trace' },
    format: 'trace',
  },
} satisfies Record<string, HttpSourceSpec>)

function copyDns(p: Readonly<DnsSourceSpec>): DnsSourceSpec {
  return { ...p, server: { ...p.server }, type: { ...p.type } }
}

function copyHttp(p: Readonly<HttpSourceSpec>): HttpSourceSpec {
  return { ...p, url: { ...p.url } }
}

/**
 * The sources used when the config names none: two DNS echoes (one UDP packet each, no TLS),
 * then two HTTPS echoes run by other operators, so one outage or one filtered port is not fatal.
 */
export const DEFAULT_SOURCES: Record<Family, SourceSpec[]> = {
  4: [copyDns(DNS_PRESETS.opendns!), copyDns(DNS_PRESETS.cloudflare!), copyHttp(HTTP_PRESETS.ipify!), copyHttp(HTTP_PRESETS.icanhazip!)],
  6: [copyDns(DNS_PRESETS.opendns!), copyDns(DNS_PRESETS.cloudflare!), copyHttp(HTTP_PRESETS.ipify!), copyHttp(HTTP_PRESETS.icanhazip!)],
}

/** A fresh, mutable copy of the default sources. */
export function defaultSources(): Record<Family, SourceSpec[]> {
  return { 4: DEFAULT_SOURCES[4].map(copySpec), 6: DEFAULT_SOURCES[6].map(copySpec) }
}

function copySpec(s: SourceSpec): SourceSpec {
  if (s.kind === 'dns') return copyDns(s)
  if (s.kind === 'http') return copyHttp(s)
  return { ...s }
}

const STRING_FORMS = [
  ...Object.keys(DNS_PRESETS),
  ...Object.keys(HTTP_PRESETS),
  'interface:<name>',
  'netifd:<name>',
  'https://…',
]

/**
 * Parses one source entry of the config.
 *
 * Accepted forms:
 * - a preset name (`opendns`, `google`, `cloudflare`, `akamai`, `ipify`, `icanhazip`, `cloudflare-trace`);
 * - `interface:<name>` (a local interface, e.g. `interface:pppoe-wan`);
 * - `netifd:<name>` (an OpenWrt logical interface, e.g. `netifd:wan`);
 * - an `https://` or `http://` URL whose body is the address (asked over each family);
 * - `{ dns = "host[:port]" | "[v6]:port", name = "…", type = "A"|"AAAA"|"TXT", class = "IN"|"CH", family = 4|6 }`:
 *   a custom DNS query; `type` defaults to A for IPv4 and AAAA for IPv6, `class` to IN, the port to 53.
 *   The query goes over the family it asks about (BC-18), so an IPv4 literal server serves IPv4 only,
 *   an IPv6 literal IPv6 only, and a host name both. `type = "A"` serves IPv4 only, `"AAAA"` IPv6 only;
 * - `{ url = "…", family = 4|6, format = "plain"|"trace" }`: a custom HTTP echo, optionally for one family.
 *
 * @param path the config key, for error messages (`detect.ipv4[2]`).
 * @throws ConfigError naming `path` for anything else.
 */
export function parseSource(value: unknown, path: string): SourceSpec {
  if (typeof value === 'string') return parseString(value.trim(), path)
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)) {
    const t = value as Record<string, unknown>
    if ('dns' in t) return parseDnsTable(t, path)
    if ('url' in t) return parseUrlTable(t, path)
    throw new ConfigError(path, 'a source table needs `dns` (a custom DNS query) or `url` (a custom HTTP echo)')
  }
  throw new ConfigError(path, `expected a source name or table (accepted: ${STRING_FORMS.join(', ')})`)
}

function parseString(s: string, path: string): SourceSpec {
  const lower = s.toLowerCase()
  const dns = Object.hasOwn(DNS_PRESETS, lower) ? DNS_PRESETS[lower] : undefined
  if (dns) return copyDns(dns)
  const http = Object.hasOwn(HTTP_PRESETS, lower) ? HTTP_PRESETS[lower] : undefined
  if (http) return copyHttp(http)
  const m = /^(interface|netifd):(.*)$/i.exec(s)
  if (m) {
    const kind = m[1]!.toLowerCase() as 'interface' | 'netifd'
    const name = m[2]!.trim()
    if (kind === 'interface' && !/^[A-Za-z0-9_.:@-]{1,15}$/.test(name)) {
      throw new ConfigError(path, `"${kind}:" needs an interface name of 1 to 15 letters, digits or _ . : @ - (e.g. interface:eth0)`)
    }
    if (kind === 'netifd' && !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
      throw new ConfigError(path, `"${kind}:" needs a logical interface name of letters, digits, _ or - (e.g. netifd:wan)`)
    }
    return { kind, label: name, name }
  }
  if (/^https?:\/\//i.test(s)) {
    const url = checkUrl(s, path)
    return { kind: 'http', label: 'custom', url: { 4: url, 6: url }, format: 'plain' }
  }
  throw new ConfigError(path, `unknown source "${s.length > 60 ? `${s.slice(0, 60)}…` : s}" (accepted: ${STRING_FORMS.join(', ')})`)
}

function checkUrl(s: string, path: string): string {
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw new ConfigError(path, 'is not a valid URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(path, 'must be an http:// or https:// URL')
  if (u.username || u.password) throw new ConfigError(path, 'an IP echo URL must not carry credentials')
  return s
}

function rejectUnknownKeys(t: Record<string, unknown>, allowed: string[], path: string): void {
  for (const k of Object.keys(t)) {
    if (!allowed.includes(k)) throw new ConfigError(`${path}.${k}`, `unknown key (accepted here: ${allowed.join(', ')})`)
  }
}

function optFamily(t: Record<string, unknown>, path: string): Family | undefined {
  const v = t.family
  if (v === undefined) return undefined
  const n = typeof v === 'bigint' ? Number(v) : typeof v === 'string' ? Number(v) : v
  if (n === 4 || n === 6) return n
  throw new ConfigError(`${path}.family`, 'must be 4 or 6')
}

function strKey(t: Record<string, unknown>, key: string, path: string, required: boolean): string | undefined {
  const v = t[key]
  if (v === undefined) {
    if (required) throw new ConfigError(`${path}.${key}`, 'is required')
    return undefined
  }
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(`${path}.${key}`, 'expected a non-empty string')
  return v.trim()
}

function parseDnsTable(t: Record<string, unknown>, path: string): DnsSourceSpec {
  rejectUnknownKeys(t, ['dns', 'name', 'type', 'class', 'family'], path)
  const { host, port } = parseServer(strKey(t, 'dns', path, true)!, `${path}.dns`)
  const name = strKey(t, 'name', path, true)!.replace(/\.$/, '')
  const typeText = strKey(t, 'type', path, false)?.toUpperCase()
  if (typeText !== undefined && typeText !== 'A' && typeText !== 'AAAA' && typeText !== 'TXT') {
    throw new ConfigError(`${path}.type`, 'must be "A", "AAAA" or "TXT"')
  }
  const classText = strKey(t, 'class', path, false)?.toUpperCase() ?? 'IN'
  if (classText !== 'IN' && classText !== 'CH') throw new ConfigError(`${path}.class`, 'must be "IN" or "CH"')
  const family = optFamily(t, path)

  const serves = (f: Family): boolean => {
    const lit = isIP(host)
    if (lit !== 0 && lit !== f) return false
    if (typeText === 'A' && f !== 4) return false
    if (typeText === 'AAAA' && f !== 6) return false
    return family === undefined || family === f
  }
  const server: DnsSourceSpec['server'] = {}
  if (serves(4)) server[4] = host
  if (serves(6)) server[6] = host
  if (server[4] === undefined && server[6] === undefined) {
    throw new ConfigError(path, 'this query serves no address family (the server address family, `type` and `family` disagree)')
  }
  return {
    kind: 'dns',
    label: 'custom',
    server,
    port,
    name,
    type: { 4: typeText === 'TXT' ? 'TXT' : 'A', 6: typeText === 'TXT' ? 'TXT' : 'AAAA' },
    class: classText,
  }
}

function parseUrlTable(t: Record<string, unknown>, path: string): HttpSourceSpec {
  rejectUnknownKeys(t, ['url', 'family', 'format'], path)
  const url = checkUrl(strKey(t, 'url', path, true)!, `${path}.url`)
  const family = optFamily(t, path)
  const format = strKey(t, 'format', path, false) ?? 'plain'
  if (format !== 'plain' && format !== 'trace') throw new ConfigError(`${path}.format`, 'must be "plain" or "trace"')
  const urls: HttpSourceSpec['url'] = {}
  if (family !== 6) urls[4] = url
  if (family !== 4) urls[6] = url
  return { kind: 'http', label: 'custom', url: urls, format }
}

/**
 * Maps dness's `ip_resolver` onto per-family source lists, as dness does: `opendns` asks
 * myip.opendns.com over DNS, `ipify` asks api.ipify.org / api6.ipify.org. No fallback is added,
 * so a dness config sends exactly the traffic it sent under dness.
 * @throws ConfigError naming `path` for any other value.
 */
export function resolverSources(name: string, path: string): Record<Family, SourceSpec[]> {
  const n = name.trim().toLowerCase()
  if (n === 'opendns') return { 4: [copyDns(DNS_PRESETS.opendns!)], 6: [copyDns(DNS_PRESETS.opendns!)] }
  if (n === 'ipify') return { 4: [copyHttp(HTTP_PRESETS.ipify!)], 6: [copyHttp(HTTP_PRESETS.ipify!)] }
  throw new ConfigError(path, 'must be "opendns" or "ipify" (as in dness); use [detect] for other sources')
}

/**
 * The label a source carries in logs and in `SourceAttempt.source`: `dns:opendns`,
 * `dns:127.0.0.1:5353` (custom), `http:ipify`, `http:echo.example` (custom), `interface:eth0`, `netifd:wan`.
 */
export function sourceLabel(s: SourceSpec): string {
  switch (s.kind) {
    case 'dns': {
      if (s.label !== 'custom') return `dns:${s.label}`
      const host = s.server[4] ?? s.server[6] ?? '?'
      return `dns:${isIP(host) === 6 ? `[${host}]` : host}:${s.port}`
    }
    case 'http': {
      if (s.label !== 'custom') return `http:${s.label}`
      const u = s.url[4] ?? s.url[6]
      try {
        return `http:${new URL(u ?? '').host}`
      } catch {
        return 'http:custom'
      }
    }
    case 'interface':
      return `interface:${s.name}`
    case 'netifd':
      return `netifd:${s.name}`
  }
}
