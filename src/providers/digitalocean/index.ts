import { call, listOf, type Api } from '../api/call.js'
import { full, MAX_TTL, rel, tokenDef, type TokenSettings } from '../api/entry.js'
import { apiProvider, type Rec } from '../api/provider.js'

/**
 * DigitalOcean DNS through API v2 (https://docs.digitalocean.com/reference/api/digitalocean/,
 * tag Domain Records; the OpenAPI files in digitalocean/openapi):
 * - read: `GET /v2/domains/{zone}/records?name={fqdn}&per_page=200` per name (the `name` filter
 *   wants the full name; the answer's `name` is relative, `@` the apex), every page followed
 *   (`links.pages.next`);
 * - update: `PATCH /v2/domains/{zone}/records/{id}` with `{type, data}`: TTL and the rest stay;
 * - create: `POST /v2/domains/{zone}/records` with `{type, name, data[, ttl]}`.
 * `Authorization: Bearer <token>`; errors are `{id, message}`. See README.md.
 */

export const DO_BASE = 'https://api.digitalocean.com'

/** A validated entry. */
export type DoSettings = TokenSettings

/** Pages followed at most per name (200 records each). */
const MAX_PAGES = 20

function driver(s: DoSettings, ttl: number | undefined) {
  const api: Api = { name: 'digitalocean', base: s.base, auth: () => ({ authorization: `Bearer ${s.token}` }), text: (b) => b?.message ?? b?.id }
  const recs = `/v2/domains/${encodeURIComponent(s.zone)}/records`
  return apiProvider('digitalocean', {
    async list(refs, ctx) {
      const out: Rec[] = []
      for (const fqdn of new Set(refs.map((r) => r.fqdn))) {
        for (let page = 1; page <= MAX_PAGES; page++) {
          const b = await call(ctx, api, { path: `${recs}?${new URLSearchParams({ name: fqdn, per_page: '200', page: String(page) })}` })
          for (const r of listOf(api, b, 'domain_records')) out.push({ ...r, name: full(r.name, s.zone), value: r.data })
          if (!b?.links?.pages?.next) break
        }
      }
      return out
    },
    update: (ref, value, [r], ctx) => call(ctx, api, { method: 'PATCH', path: `${recs}/${r!.id}`, json: { type: ref.type, data: value } }),
    create: (ref, value, ctx) =>
      call(ctx, api, { method: 'POST', path: recs, json: { type: ref.type, name: rel(ref.fqdn, s.zone) || '@', data: value, ...(ttl ? { ttl } : {}) } }),
  })
}

/** The DigitalOcean provider definition (registry entry `digitalocean`). */
export const digitalocean = tokenDef<DoSettings>({
  name: 'digitalocean',
  summary: 'DigitalOcean DNS (API v2, token)',
  docs: 'https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records',
  cred: ['token', 'API token with DNS write scope'],
  base: DO_BASE,
  // The control panel's smallest TTL is 30 s.
  ttl: { min: 30, max: MAX_TTL },
  driver,
})
