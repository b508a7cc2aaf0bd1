import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError, type ErrorKind } from '../../errors.js'
import { keyPath, optString } from '../../config/fields.js'
import { reqSecret } from '../push/names.js'
import { call, listOf, type Api } from '../api/call.js'
import { API_CAPS, entryOf, full, rel, zoneEntry, zoneKeys, type ZoneSettings } from '../api/entry.js'
import { apiProvider, type Rec } from '../api/provider.js'
import type { ProviderDef } from '../types.js'

/**
 * ClouDNS through its HTTP API (https://www.cloudns.net/wiki/article/41/). Every call is a POST
 * whose form body carries the credentials (`auth-id`, `sub-auth-id` or `sub-auth-user`, and
 * `auth-password`): never the URL, where they would reach access logs.
 * - read: `/dns/records.json` with `domain-name` and `host` per name (`host` relative, `""` the
 *   apex); the answer is an object keyed by record id, or `[]` when there is none;
 * - update: `/dns/mod-record.json` with `record-id`, `host`, `record` and the record's own `ttl`;
 * - create: `/dns/add-record.json` with `record-type`, `host`, `record`, `ttl`.
 * Failures come with HTTP 200 and `{"status": "Failed", "statusDescription": ...}`. See README.md.
 */

export const CLOUDNS_BASE = 'https://api.cloudns.net'

/** The TTLs ClouDNS accepts (https://www.cloudns.net/wiki/article/188/), in seconds. */
export const CLOUDNS_TTLS = [60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000]

/** A validated entry. */
export interface CloudnsSettings extends ZoneSettings {
  /** The form fields that authenticate (`auth-id` or `sub-auth-id` or `sub-auth-user`, `auth-password`). */
  auth: Record<string, string>
}

const USER_KEYS = ['auth_id', 'sub_auth_id', 'sub_auth_user'] as const

/** A failure description to an error kind (the descriptions are English text only). */
function kindOf(d: string): ErrorKind {
  if (/auth|password|ip address/i.test(d)) return 'auth'
  if (/domain|zone/i.test(d)) return 'notfound'
  if (/limit|too many/i.test(d)) return 'ratelimit'
  return /invalid|ttl|record/i.test(d) ? 'invalid' : 'provider'
}

function driver(s: CloudnsSettings, ttl: number | undefined) {
  const api: Api = { name: 'cloudns', base: s.base, text: (b) => b?.statusDescription }
  const post = async (ctx: Ctx, path: string, form: Record<string, string>): Promise<any> => {
    const b = await call(ctx, api, { method: 'POST', path, form: { ...s.auth, 'domain-name': s.zone, ...form } })
    if (b?.status === 'Failed') {
      const d = String(b.statusDescription ?? '')
      const kind = kindOf(d)
      throw new EdgeError(kind, `cloudns: ${ctx.redactor.redact(d) || 'Failed'}`, kind === 'ratelimit' ? { retryAfterSec: 60 } : {})
    }
    return b
  }
  return apiProvider('cloudns', {
    async list(refs, ctx) {
      const out: Rec[] = []
      for (const fqdn of new Set(refs.map((r) => r.fqdn))) {
        const b = await post(ctx, '/dns/records.json', { host: rel(fqdn, s.zone) })
        for (const r of Array.isArray(b) ? b : listOf(api, b && typeof b === 'object' ? Object.values(b) : b)) out.push({ ...(r as Rec), name: full((r as any).host, s.zone), value: (r as any).record })
      }
      return out
    },
    update: (ref, value, [r], ctx) =>
      post(ctx, '/dns/mod-record.json', { 'record-id': String(r!.id), host: rel(ref.fqdn, s.zone), record: value, ttl: String(r!.ttl ?? 3600) }),
    create: (ref, value, ctx) =>
      post(ctx, '/dns/add-record.json', {
        'record-type': ref.type,
        host: rel(ref.fqdn, s.zone),
        record: value,
        // The smallest accepted TTL at or above the configured one.
        ttl: String(CLOUDNS_TTLS.find((x) => x >= (ttl ?? 3600)) ?? 2592000),
      }),
  })
}

/** The ClouDNS provider definition (registry entry `cloudns`). */
export const cloudns: ProviderDef<CloudnsSettings> = {
  name: 'cloudns',
  summary: 'ClouDNS (HTTP API, API user + password)',
  docs: 'https://www.cloudns.net/wiki/article/41/',
  keys: [
    { key: 'auth_id', required: false, doc: 'API user id; or sub_auth_id / sub_auth_user for a sub-user' },
    { key: 'sub_auth_id', required: false, doc: 'API sub-user id' },
    { key: 'sub_auth_user', required: false, doc: 'API sub-user name' },
    { key: 'password', required: true, secret: true, doc: "the API user's password" },
    ...zoneKeys(CLOUDNS_BASE),
  ],
  capabilities: API_CAPS,
  ttl: { min: 60, max: 2592000 },
  parse(t, path, ctx) {
    const z = zoneEntry(t, path, ctx, cloudns.keys, CLOUDNS_BASE)
    const set = USER_KEYS.filter((k) => t[k] !== undefined)
    if (set.length !== 1) throw new ConfigError(keyPath(path, set[1] ?? 'auth_id'), 'set exactly one of auth_id, sub_auth_id, sub_auth_user')
    // An id may be written as a TOML number.
    const raw = t[set[0]!]
    const who = typeof raw === 'number' || typeof raw === 'bigint' ? String(raw) : optString(t, set[0]!, path)
    if (!who) throw new ConfigError(keyPath(path, set[0]!), 'is empty')
    const s = { ...z, auth: { [set[0]!.replace(/_/g, '-')]: who, 'auth-password': reqSecret(t, 'password', path, ctx.secret, ctx.warn) } }
    return entryOf('cloudns', s, who)
  },
  create: (s, o) => driver(s, o.ttl),
}
