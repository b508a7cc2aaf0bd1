import { isIP } from 'node:net'
import { ConfigError } from '../errors.js'

/**
 * Domain names and server addresses as the config writes them, shared by detection (custom DNS
 * sources), RFC 2136 and the push-only providers' read-back.
 */

/** One label: letters, digits, hyphen, underscore; 1 to 63 octets (RFC 1035 section 2.3.4). */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

/** True when `name` (lower case, no trailing dot) is a host-like domain name; `*` only as the first label. */
export function validName(name: string, allowWildcard: boolean): boolean {
  if (name.length === 0 || name.length > 253) return false
  return name.split('.').every((l, i) => LABEL.test(l) || (allowWildcard && i === 0 && l === '*'))
}

/** A DNS server to talk to. */
export interface ServerAddress {
  /** Address literal or host name (resolved over IPv4 unless it is an IPv6 literal). */
  host: string
  port: number
  /** `host:port` or `[v6]:port`, for messages and the account key. */
  label: string
}

/**
 * Parses `host`, `host:port`, `[v6]` , `[v6]:port` or a bare IPv6 literal; the port defaults to 53.
 * @throws ConfigError at `path` for an empty host, a bad port or brackets around a non-IPv6 host.
 */
export function parseServer(raw: string, path: string): ServerAddress {
  const s = raw.trim()
  let host: string
  let portText: string | undefined
  const bracket = /^\[([^\]]+)\](?::(.*))?$/.exec(s)
  if (bracket) {
    host = bracket[1]!
    portText = bracket[2]
    if (isIP(host) !== 6) throw new ConfigError(path, 'brackets are only for IPv6 addresses: "[2001:db8::53]:53"')
  } else if (isIP(s) === 6) {
    host = s
  } else {
    const i = s.lastIndexOf(':')
    if (i >= 0) {
      host = s.slice(0, i)
      portText = s.slice(i + 1)
      if (host.includes(':')) throw new ConfigError(path, 'write an IPv6 address with a port as "[2001:db8::53]:53"')
    } else host = s
  }
  if (!host) throw new ConfigError(path, 'needs a host: "ns1.example.com", "192.0.2.53:53" or "[2001:db8::53]:53"')
  if (isIP(host) === 0 && !validName(host.toLowerCase().replace(/\.$/, ''), false)) {
    throw new ConfigError(path, `"${host}" is neither an IP address nor a host name`)
  }
  let port = 53
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new ConfigError(path, 'port must be a number from 1 to 65535')
    }
    port = Number(portText)
  }
  const label = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`
  return { host, port, label }
}
