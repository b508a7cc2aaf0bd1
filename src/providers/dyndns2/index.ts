import { fingerprint } from '../credentials.js'
import { ConfigError } from '../../errors.js'
import { keyPath, optString, rejectUnknown, type Table } from '../../config/fields.js'
import { USER_AGENT } from '../push/http.js'
import { parseHostnames, parseResolver, reqSecret, RESOLVER_KEY } from '../push/names.js'
import type { ParseCtx, ParsedEntry, ProviderDef } from '../types.js'
import { createDyndns2Provider, type Dyndns2Settings } from './engine.js'
import { GENERIC, PRESETS, presetByName, type Dyndns2Preset } from './presets.js'

export { createDyndns2Provider, planRequests, requestParams, type Dyndns2Settings } from './engine.js'
export { GENERIC, PRESETS, presetByName, type Dyndns2Preset, type Ipv6Style } from './presets.js'
export { classifyLine, DYNDNS2_CODES, parseResponse, PROVIDER_FAILURE_HOLD_SEC, type ExtraCode, type Sent, type Verdict } from './protocol.js'

/**
 * The generic dyndns2 provider (`type = "dyndns2"`): any service that speaks the dyndns2 update
 * protocol, with the service's particulars from a preset row (presets.ts). See README.md here.
 */

const KEYS = ['server', 'server6', 'preset', 'username', 'password', 'hostname', 'user_agent', 'resolver'] as const

/** The path of `url` (`/nic/update`), or `/nic/update` when there is none. */
function pathOf(url: string): string {
  if (!url) return '/nic/update'
  return new URL(url).pathname
}

/**
 * An update URL from a `server` value: a host (`members.dyndns.org`, `127.0.0.1:8080`) gets
 * `https://` and the preset's path; a URL keeps its scheme, and its path when it has one.
 * @throws ConfigError at `path` for a malformed value or credentials in the URL (BC-28).
 */
export function updateUrl(raw: string, defaultPath: string, path: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `https://${raw}`
  let u: URL
  try {
    u = new URL(withScheme)
  } catch {
    throw new ConfigError(path, 'is not a host name or URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(path, 'must be an http:// or https:// URL (or a host name)')
  if (u.username || u.password) throw new ConfigError(path, 'must not carry credentials; use username and password')
  if (u.pathname === '/' || u.pathname === '') u.pathname = defaultPath
  return u.toString()
}

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<Dyndns2Settings> {
  rejectUnknown(t, KEYS, path)
  const password = reqSecret(t, 'password', path, (v) => ctx.secret(v), ctx.warn)
  const presetName = optString(t, 'preset', path)
  let preset: Dyndns2Preset = GENERIC
  if (presetName !== undefined) {
    const found = presetByName(presetName)
    if (!found) throw new ConfigError(keyPath(path, 'preset'), `unknown preset "${presetName}" (known: ${PRESETS.map((p) => p.name).join(', ')})`)
    preset = found
  }
  const server = optString(t, 'server', path)
  if (server === undefined && preset === GENERIC) {
    throw new ConfigError(keyPath(path, 'server'), `is required without a preset: the update server, e.g. "members.dyndns.org" (or set preset: ${PRESETS.map((p) => p.name).join(', ')})`)
  }
  const url = server !== undefined ? updateUrl(server, pathOf(preset.url), keyPath(path, 'server')) : preset.url
  const server6 = optString(t, 'server6', path)
  let url6: string | undefined
  if (preset.ipv6 === 'host') {
    url6 = server6 !== undefined ? updateUrl(server6, pathOf(preset.url6 ?? preset.url), keyPath(path, 'server6')) : server !== undefined ? url : preset.url6
  } else if (server6 !== undefined) {
    throw new ConfigError(keyPath(path, 'server6'), `is only for presets that update IPv6 on another host (${PRESETS.filter((p) => p.ipv6 === 'host').map((p) => p.name).join(', ')})`)
  }

  const hosts = parseHostnames(t, 'hostname', path, ctx.warn)
  let username = optString(t, 'username', path)
  if (preset.auth === 'password-param') {
    if (username !== undefined) ctx.warn(`${keyPath(path, 'username')}: not used by preset ${preset.name} (the password is the host's key); ignored`)
    username = undefined
  } else if (username === undefined && !preset.userIsHost) {
    throw new ConfigError(keyPath(path, 'username'), 'is required (the user name of the dynamic DNS account)')
  }
  const resolver = parseResolver(t, path)
  const userAgent = optString(t, 'user_agent', path) ?? USER_AGENT
  const host = new URL(url).host
  const settings: Dyndns2Settings = {
    provider: 'dyndns2',
    preset,
    url,
    ...(url6 !== undefined ? { url6 } : {}),
    ...(username !== undefined ? { username } : {}),
    password,
    userAgent,
    hosts,
    ...(resolver ? { resolver } : {}),
  }
  return { settings, names: hosts, account: `dyndns2:${host}:${username ?? `key-${fingerprint(password)}`}` }
}

/** The generic dyndns2 provider definition (registry entry `dyndns2`). */
export const dyndns2: ProviderDef<Dyndns2Settings> = {
  name: 'dyndns2',
  summary: `any dyndns2 service (/nic/update); presets: ${PRESETS.map((p) => p.name).join(', ')}`,
  docs: 'https://help.dyn.com/remote-access-api/perform-update/',
  keys: [
    { key: 'server', required: false, doc: 'update server: a host ("members.dyndns.org") or URL; default: the preset\'s' },
    { key: 'server6', required: false, doc: 'IPv6 update server, for presets that update IPv6 on another host (nsupdate.info)' },
    { key: 'preset', required: false, doc: `service preset: ${PRESETS.map((p) => p.name).join(', ')}` },
    { key: 'username', required: false, doc: 'account or update user name (not for preset he; nsupdate.info: defaults to the host name)' },
    { key: 'password', required: true, secret: true, doc: 'update password, key or token' },
    { key: 'hostname', required: true, doc: 'full host name, or a list of them' },
    { key: 'user_agent', required: false, doc: 'User-Agent sent, e.g. "Company Program/1.0 you@example.com"' },
    RESOLVER_KEY,
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDyndns2Provider(settings),
}
