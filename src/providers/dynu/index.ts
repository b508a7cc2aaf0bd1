import { ConfigError } from '../../errors.js'
import { keyPath, optString, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { createDyndns2Provider, type Dyndns2Settings } from '../dyndns2/engine.js'
import { presetByName, type Dyndns2Preset } from '../dyndns2/presets.js'
import { USER_AGENT } from '../push/http.js'
import { normalizeDomain, parseRecords, parseResolver, reqSecret } from '../push/names.js'
import type { ParseCtx, ParsedEntry, ProviderDef } from '../types.js'

/**
 * Dynu (`type = "dynu"`), dness's keys: `hostname` (the Dynu domain), `username`, `password` (the
 * IP update password), `records` (`@` for the domain, `sub` for sub.domain), plus `base_url`
 * (dness's, default https://api.dynu.com), `user_agent` and `resolver`.
 * One GET per record with both families: `hostname=<domain>`, `alias=<sub>` as dness sends it,
 * `myip=<v4>` and `myipv6=<v6>`, the family not updated set to `no` (left as it is) so a v6-only
 * update never puts an IPv6 address in `myip` (BC-27). See README.md here.
 */

export const DYNU_BASE_URL = 'https://api.dynu.com'
const KEYS = ['hostname', 'username', 'password', 'records', 'base_url', 'user_agent', 'resolver'] as const

const PRESET = presetByName('dynu') as Dyndns2Preset

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<Dyndns2Settings> {
  rejectUnknown(t, KEYS, path)
  const password = reqSecret(t, 'password', path, (v) => ctx.secret(v), ctx.warn)
  const username = reqString(t, 'username', path)
  if (username.includes(':')) throw new ConfigError(keyPath(path, 'username'), 'must not contain ":" (it separates user and password in Basic authentication)')
  const domain = normalizeDomain(reqString(t, 'hostname', path), keyPath(path, 'hostname'))
  const names = parseRecords(t, 'records', domain, path, ctx.warn, true)
  const base = optUrl(t, 'base_url', path) ?? DYNU_BASE_URL
  const resolver = parseResolver(t, path)
  const settings: Dyndns2Settings = {
    provider: 'dynu',
    preset: PRESET,
    url: `${base}/nic/update`,
    username,
    password,
    userAgent: optString(t, 'user_agent', path) ?? USER_AGENT,
    hosts: names,
    alias: { domain },
    ...(resolver ? { resolver } : {}),
  }
  return { settings, names, zone: domain, account: `dynu:${new URL(base).host}:${username.toLowerCase()}` }
}

/** The Dynu provider definition (registry entry `dynu`). */
export const dynu: ProviderDef<Dyndns2Settings> = {
  name: 'dynu',
  summary: 'Dynu dynamic DNS (IP update protocol: myip + myipv6 in one request)',
  docs: PRESET.docs,
  keys: [
    { key: 'hostname', required: true, doc: 'the Dynu domain ("example.dynu.net")' },
    { key: 'username', required: true, doc: 'Dynu user name' },
    { key: 'password', required: true, secret: true, doc: 'IP update password (Control Panel → Manage Credentials)' },
    { key: 'records', required: true, doc: 'names below the domain: "@" for the domain itself, "sub" for sub.<domain>' },
    { key: 'base_url', required: false, doc: `update server (default ${DYNU_BASE_URL}); /nic/update is appended` },
    { key: 'user_agent', required: false, doc: 'User-Agent sent with updates' },
    { key: 'resolver', required: false, doc: 'DNS server for the read-back ("127.0.0.1:5353"); default: the zone\'s authoritative servers' },
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDyndns2Provider(settings),
}
