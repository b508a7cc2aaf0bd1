import { ConfigError } from '../../errors.js'
import { keyPath, optString, optUrl, rejectUnknown, reqString } from '../../config/fields.js'
import { fingerprint } from '../credentials.js'
import { USER_AGENT } from '../push/http.js'
import { baseUrlKey, parseHostnames, parseResolver, parseZone, RESOLVER_KEY, reqSecret } from '../push/names.js'
import type { KeyDoc, ProviderDef } from '../types.js'
import { createDyndns2Provider, type Dyndns2Settings } from './engine.js'
import { presetByName, type Dyndns2Preset } from './presets.js'

/**
 * dness's provider types of the dyndns2 family (`he`, `noip`, `dynu`): dness's keys, the
 * service's preset row (presets.ts) for everything the protocol needs.
 *
 * - `hostname` is the full host name (a list is accepted), or, with `records`, the domain the
 *   records are relative to (`@` the domain itself, `sub` for sub.<domain>, as dness reads them);
 * - `password` (a secret), `username` (Basic authentication; not for `he`, whose key is a form
 *   parameter), `user_agent` (where the service asks for one);
 * - `base_url` (dness's key): scheme and host of the update server, `/nic/update` appended;
 *   default the preset's;
 * - `resolver`: where the read-back asks (push/readback.ts).
 * The account is `<type>:<host>:<user name>`, or `<type>:<host>:<domain>:key-<fingerprint>`
 * without a user name (never a secret).
 */

/**
 * The definition of dness type `name` (preset `name`): `keys` are its own (hostname, username,
 * password, records), followed by `base_url`, `user_agent` (with `agent`) and `resolver`. With
 * a `records` key the entry's `alias` is set when `alias` is true (Dynu's `hostname` + `alias`
 * form).
 */
export function dnessDef(name: string, summary: string, keys: KeyDoc[], o: { agent?: string; alias?: boolean } = {}): ProviderDef<Dyndns2Settings> {
  const preset = presetByName(name) as Dyndns2Preset
  // The preset's scheme and host, without parsing a URL at start-up (three definitions are built
  // when the registry loads; the URL parser was the biggest part of that).
  const base = /^[a-z]+:\/\/[^/]+/.exec(preset.url)![0]
  const all = [...keys, baseUrlKey(base, '/nic/update'), ...(o.agent ? [{ key: 'user_agent', required: false, doc: o.agent }] : []), RESOLVER_KEY]
  const has = (k: string): boolean => all.some((d) => d.key === k)
  return {
    name,
    summary,
    docs: preset.docs,
    keys: all,
    capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: preset.ipv6 === 'comma' || preset.ipv6 === 'param' },
    parse(t, path, ctx) {
      rejectUnknown(
        t,
        all.map((k) => k.key),
        path,
      )
      const password = reqSecret(t, 'password', path, ctx.secret, ctx.warn)
      let username: string | undefined
      if (has('username')) {
        username = reqString(t, 'username', path)
        if (username.includes(':')) throw new ConfigError(keyPath(path, 'username'), 'must not contain ":" (it separates user and password in Basic authentication)')
      }
      const z = has('records') ? parseZone(t, path, ctx.warn, 'hostname') : undefined
      const names = z?.names ?? parseHostnames(t, 'hostname', path, ctx.warn)
      const url = optUrl(t, 'base_url', path) ?? base
      const resolver = parseResolver(t, path)
      const settings: Dyndns2Settings = {
        provider: name,
        preset,
        url: `${url}/nic/update`,
        ...(username !== undefined ? { username } : {}),
        password,
        userAgent: (o.agent && optString(t, 'user_agent', path)) || USER_AGENT,
        hosts: names,
        ...(o.alias && z ? { alias: { domain: z.domain } } : {}),
        ...(resolver ? { resolver } : {}),
      }
      const who = username?.toLowerCase() ?? `${z?.domain}:key-${fingerprint(password)}`
      return { settings, names, ...(z ? { zone: z.domain } : {}), account: `${name}:${new URL(url).host}:${who}` }
    },
    create: (settings) => createDyndns2Provider(settings),
  }
}
