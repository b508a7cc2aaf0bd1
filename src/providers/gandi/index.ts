import { call, listOf, type Api } from '../api/call.js'
import { full, rel, seg, tokenDef, type TokenSettings } from '../api/entry.js'
import { apiProvider, type Rec } from '../api/provider.js'

/**
 * Gandi LiveDNS through API v5 (https://api.gandi.net/docs/livedns/), with a personal access
 * token (`Authorization: Bearer`; the old `Apikey` header is deprecated):
 * - read: `GET /domains/{zone}/records/{name}` per name: every RRset at the name (`[]` when
 *   none; a 404 is the domain, never the record); names relative, `@` the apex;
 * - update: `PUT /domains/{zone}/records/{name}/{type}` with `{rrset_values, rrset_ttl}`: PUT
 *   replaces the RRset, so its TTL is sent back as read;
 * - create: `POST /domains/{zone}/records/{name}/{type}` with `{rrset_values[, rrset_ttl]}`.
 * Errors are `{code, message, cause, errors?: [{name, description}]}`. See README.md.
 */

export const GANDI_BASE = 'https://api.gandi.net/v5/livedns'

/** A validated entry. */
export type GandiSettings = TokenSettings

function driver(s: GandiSettings, ttl: number | undefined) {
  const api: Api = {
    name: 'gandi',
    base: s.base,
    auth: () => ({ authorization: `Bearer ${s.token}` }),
    text: (b) => [b?.message, (b?.errors ?? []).map((e: any) => `${e?.name ?? ''}: ${e?.description ?? ''}`)],
  }
  const path = (fqdn: string, type = ''): string =>
    `/domains/${encodeURIComponent(s.zone)}/records/${seg(rel(fqdn, s.zone) || '@')}${type && `/${type}`}`
  return apiProvider('gandi', {
    async list(refs, ctx) {
      const out: Rec[] = []
      for (const fqdn of new Set(refs.map((r) => r.fqdn))) {
        for (const set of listOf(api, await call(ctx, api, { path: path(fqdn) }))) {
          for (const value of set.rrset_values ?? []) out.push({ name: full(set.rrset_name, s.zone), type: set.rrset_type, value, ttl: set.rrset_ttl })
        }
      }
      return out
    },
    update: (ref, value, [r], ctx) =>
      call(ctx, api, { method: 'PUT', path: path(ref.fqdn, ref.type), json: { rrset_values: [value], ...(r?.ttl ? { rrset_ttl: r.ttl } : {}) } }),
    create: (ref, value, ctx) =>
      call(ctx, api, { method: 'POST', path: path(ref.fqdn, ref.type), json: { rrset_values: [value], ...(ttl ? { rrset_ttl: ttl } : {}) } }),
  })
}

/** The Gandi provider definition (registry entry `gandi`). */
export const gandi = tokenDef<GandiSettings>({
  name: 'gandi',
  summary: 'Gandi LiveDNS (API v5, personal access token)',
  docs: 'https://api.gandi.net/docs/livedns/',
  cred: ['token', 'personal access token (Bearer)'],
  base: GANDI_BASE,
  // LiveDNS: rrset_ttl from 300 s to 30 days.
  ttl: { min: 300, max: 2592000 },
  driver,
})
