import { fingerprint } from '../credentials.js'
import { keyPath, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { createDyndns2Provider, type Dyndns2Settings } from '../dyndns2/engine.js'
import { presetByName, type Dyndns2Preset } from '../dyndns2/presets.js'
import { USER_AGENT } from '../push/http.js'
import { normalizeDomain, parseRecords, parseResolver, reqSecret } from '../push/names.js'
import type { ParseCtx, ParsedEntry, ProviderDef } from '../types.js'

/**
 * Hurricane Electric Free DNS (`type = "he"`), dness's keys: `hostname` (the zone), `password`
 * (the dynamic DNS key), `records` (`@` for the zone, `sub` for sub.zone), plus `base_url`
 * (dness's, default https://dyn.dns.he.net) and `resolver`.
 * One POST per record and family, form `hostname=<full name>&password=<key>&myip=<address>`: HE
 * refuses the key as Basic auth (`badauth`) and takes one family per request (BC-26).
 * See README.md here.
 */

export const HE_BASE_URL = 'https://dyn.dns.he.net'
const KEYS = ['hostname', 'password', 'records', 'base_url', 'resolver'] as const

const PRESET = presetByName('he') as Dyndns2Preset

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<Dyndns2Settings> {
  rejectUnknown(t, KEYS, path)
  const password = reqSecret(t, 'password', path, (v) => ctx.secret(v), ctx.warn)
  const zone = normalizeDomain(reqString(t, 'hostname', path), keyPath(path, 'hostname'))
  const names = parseRecords(t, 'records', zone, path, ctx.warn, true)
  const base = optUrl(t, 'base_url', path) ?? HE_BASE_URL
  const resolver = parseResolver(t, path)
  const settings: Dyndns2Settings = {
    provider: 'he',
    preset: PRESET,
    url: `${base}/nic/update`,
    password,
    userAgent: USER_AGENT,
    hosts: names,
    ...(resolver ? { resolver } : {}),
  }
  return { settings, names, zone, account: `he:${new URL(base).host}:${zone}:key-${fingerprint(password)}` }
}

/** The Hurricane Electric provider definition (registry entry `he`). */
export const he: ProviderDef<Dyndns2Settings> = {
  name: 'he',
  summary: 'Hurricane Electric Free DNS (dyn.dns.he.net, key as a form parameter, one request per family)',
  docs: PRESET.docs,
  keys: [
    { key: 'hostname', required: true, doc: 'the zone at dns.he.net ("example.com")' },
    { key: 'password', required: true, secret: true, doc: 'the dynamic DNS key of the records (Generate a DDNS key at dns.he.net)' },
    { key: 'records', required: true, doc: 'names in the zone: "@" for the zone itself, "sub" for sub.<zone>' },
    { key: 'base_url', required: false, doc: `update server (default ${HE_BASE_URL}); /nic/update is appended` },
    { key: 'resolver', required: false, doc: 'DNS server for the read-back ("127.0.0.1:5353"); default: the zone\'s authoritative servers' },
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: false },
  parse,
  create: (settings) => createDyndns2Provider(settings),
}
