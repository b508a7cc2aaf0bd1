import { ConfigError } from '../../errors.js'
import { keyPath, optString, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import { createDyndns2Provider, type Dyndns2Settings } from '../dyndns2/engine.js'
import { presetByName, type Dyndns2Preset } from '../dyndns2/presets.js'
import { USER_AGENT } from '../push/http.js'
import { parseHostnames, parseResolver, reqSecret } from '../push/names.js'
import type { ParseCtx, ParsedEntry, ProviderDef } from '../types.js'

/**
 * No-IP (`type = "noip"`), dness's keys: `hostname`, `username`, `password`, plus `base_url`
 * (dness's, default https://dynupdate.no-ip.com), `user_agent` and `resolver`.
 * The dyndns2 protocol with the `noip` preset: Basic auth, a real User-Agent, `myip=v4,v6` in one
 * request (https://www.noip.com/integrate/request). See README.md here.
 */

export const NOIP_BASE_URL = 'https://dynupdate.no-ip.com'
const KEYS = ['hostname', 'username', 'password', 'base_url', 'user_agent', 'resolver'] as const

const PRESET = presetByName('noip') as Dyndns2Preset

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<Dyndns2Settings> {
  rejectUnknown(t, KEYS, path)
  const password = reqSecret(t, 'password', path, (v) => ctx.secret(v), ctx.warn)
  const username = reqString(t, 'username', path)
  if (username.includes(':')) throw new ConfigError(keyPath(path, 'username'), 'must not contain ":" (it separates user and password in Basic authentication)')
  const hosts = parseHostnames(t, 'hostname', path, ctx.warn)
  const base = optUrl(t, 'base_url', path) ?? NOIP_BASE_URL
  const resolver = parseResolver(t, path)
  const settings: Dyndns2Settings = {
    provider: 'noip',
    preset: PRESET,
    url: `${base}/nic/update`,
    username,
    password,
    userAgent: optString(t, 'user_agent', path) ?? USER_AGENT,
    hosts,
    ...(resolver ? { resolver } : {}),
  }
  return { settings, names: hosts, account: `noip:${new URL(base).host}:${username.toLowerCase()}` }
}

/** The No-IP provider definition (registry entry `noip`). */
export const noip: ProviderDef<Dyndns2Settings> = {
  name: 'noip',
  summary: 'No-IP dynamic DNS (dyndns2 protocol, Basic auth)',
  docs: PRESET.docs,
  keys: [
    { key: 'hostname', required: true, doc: 'the full host name ("myhost.ddns.net"), or a list of them' },
    { key: 'username', required: true, doc: 'account e-mail or DDNS key user name' },
    { key: 'password', required: true, secret: true, doc: 'account or DDNS key password' },
    { key: 'base_url', required: false, doc: `update server (default ${NOIP_BASE_URL}); /nic/update is appended` },
    { key: 'user_agent', required: false, doc: 'User-Agent; No-IP asks for "Company Program/Version contact-email"' },
    { key: 'resolver', required: false, doc: 'DNS server for the read-back ("127.0.0.1:5353"); default: the zone\'s authoritative servers' },
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDyndns2Provider(settings),
}
