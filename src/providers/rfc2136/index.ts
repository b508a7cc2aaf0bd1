import { ConfigError } from '../../errors.js'
import { keyPath, optBool, optString, optStringArray, rejectUnknown, reqString } from '../../config/fields.js'
import type { Table } from '../../config/fields.js'
import { TSIG_ALGORITHMS } from '../../dns/tsig.js'
import type { TsigAlgorithm } from '../../dns/tsig.js'
import type { ParseCtx, ParsedEntry, ProviderDef } from '../types.js'
import { normalizeZone, parseServer, recordFqdn, validName } from './names.js'
import { createRfc2136Provider } from './provider.js'
import type { Rfc2136Settings } from './provider.js'

export { DEFAULT_TTL, createRfc2136Provider } from './provider.js'
export type { ExchangeFn, Rfc2136Meta, Rfc2136Settings } from './provider.js'

/** Keys of an `rfc2136` entry besides the common ones (type, ip_types, create, ttl). */
const KEYS = ['server', 'zone', 'records', 'key_name', 'key_algorithm', 'key_secret', 'tcp'] as const

/**
 * The decoded secret, or a ConfigError that never shows the value.
 * Accepts standard base64 with padding, as `tsig-keygen` prints it (RFC 4648 section 4).
 */
function decodeSecret(raw: string, path: string): Buffer {
  const s = raw.replace(/\s+/g, '')
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(s) || s.length % 4 !== 0) {
    throw new ConfigError(path, 'is not valid base64 (copy the secret "..." value of the key statement tsig-keygen printed)')
  }
  const b = Buffer.from(s, 'base64')
  if (b.toString('base64') !== s) throw new ConfigError(path, 'is not valid base64 (copy the secret "..." value of the key statement tsig-keygen printed)')
  return b
}

function parse(entry: Table, path: string, ctx: ParseCtx): ParsedEntry<Rfc2136Settings> {
  rejectUnknown(entry, KEYS, path)
  // The secret first, so it is redacted from anything later errors or warnings print.
  const secretRaw = reqString(entry, 'key_secret', path)
  ctx.secret(secretRaw)
  const secret = decodeSecret(secretRaw, keyPath(path, 'key_secret'))

  const server = parseServer(reqString(entry, 'server', path), keyPath(path, 'server'))
  const zone = normalizeZone(reqString(entry, 'zone', path), keyPath(path, 'zone'))

  const keyName = reqString(entry, 'key_name', path).replace(/\.$/, '').toLowerCase()
  if (!validName(keyName, false)) {
    throw new ConfigError(keyPath(path, 'key_name'), 'is not a valid key name (letters, digits, "-", "_" and "." as in the key statement)')
  }
  const alg = (optString(entry, 'key_algorithm', path) ?? 'hmac-sha256').toLowerCase().replace(/\.$/, '')
  if (!(alg in TSIG_ALGORITHMS)) {
    throw new ConfigError(keyPath(path, 'key_algorithm'), `must be one of ${Object.keys(TSIG_ALGORITHMS).join(', ')}`)
  }

  const rawNames = optStringArray(entry, 'records', path)
  if (!rawNames || rawNames.length === 0) throw new ConfigError(keyPath(path, 'records'), 'is required: list the record names to keep updated')
  const names: string[] = []
  rawNames.forEach((raw, i) => {
    const fqdn = recordFqdn(raw, zone, `${keyPath(path, 'records')}[${i}]`)
    if (names.includes(fqdn)) ctx.warn(`${keyPath(path, 'records')}[${i}]: ${fqdn} is listed twice; once is enough`)
    else names.push(fqdn)
  })

  const tcp = optBool(entry, 'tcp', path) ?? false
  return {
    settings: { server, zone, key: { name: keyName, algorithm: alg as TsigAlgorithm, secret }, tcp },
    names,
    zone,
    account: `rfc2136:${server.label}:${keyName}`,
  }
}

/**
 * RFC 2136 dynamic update signed with TSIG (RFC 8945), for BIND, Knot, PowerDNS and other
 * authoritative servers. Reads the current RRset with a DNS query to the same server. See README.md.
 */
export const rfc2136: ProviderDef<Rfc2136Settings> = {
  name: 'rfc2136',
  summary: 'RFC 2136 dynamic DNS UPDATE signed with TSIG, to your own authoritative server (BIND, Knot, PowerDNS)',
  docs: 'https://www.rfc-editor.org/rfc/rfc2136',
  keys: [
    { key: 'server', required: true, doc: 'The primary server of the zone: "host", "host:port" or "[2001:db8::53]:port"; port 53 by default' },
    { key: 'zone', required: true, doc: 'The zone to update, e.g. "example.com"' },
    { key: 'records', required: true, doc: 'Record names: full names ending in the zone, or names relative to it; "@" or "" for the apex' },
    { key: 'key_name', required: true, doc: 'Name of the TSIG key, as in the server\'s key statement' },
    { key: 'key_algorithm', required: false, doc: 'hmac-sha256 (default), hmac-sha512 or hmac-sha1' },
    { key: 'key_secret', required: true, secret: true, doc: 'The key\'s secret, base64 as tsig-keygen prints it' },
    { key: 'tcp', required: false, doc: 'Send every query and UPDATE over TCP (default false: UDP, and TCP when an answer is truncated)' },
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  ttl: { min: 1, max: 2147483647 },
  parse,
  create: (settings, opts) => createRfc2136Provider(settings, opts),
}
