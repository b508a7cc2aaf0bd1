import { EdgeError } from '../../errors.js'
import { call, listOf, type Api } from '../api/call.js'
import { full, MAX_TTL, rel, seg, tokenDef, type TokenSettings } from '../api/entry.js'
import { apiProvider, type Rec } from '../api/provider.js'

/**
 * Hetzner DNS through the Hetzner Cloud API (https://docs.hetzner.cloud/reference/cloud#zone-rrsets;
 * the old DNS Console API at dns.hetzner.com is shut down):
 * - read: `GET /zones/{zone}/rrsets?name={name}&per_page=50` per name (names relative, `@` the
 *   apex; a 404 is the zone, never the record);
 * - update: `POST /zones/{zone}/rrsets/{name}/{type}/actions/set_records` with the new value and
 *   the old record's comment: the RRset's TTL and labels stay;
 * - create: `POST /zones/{zone}/rrsets` with `{name, type, records[, ttl]}`.
 * Writes answer an action that runs on (about 20 s); edge-ddns does not wait for it, but fails
 * the record when the action already says `error`. `Authorization: Bearer <token>`; errors are
 * `{error: {code, message}}`. See README.md.
 */

export const HETZNER_BASE = 'https://api.hetzner.cloud/v1'

/** A validated entry. */
export type HetznerSettings = TokenSettings

/** An action answered `error`: the service refused the change after accepting the call. */
function checkAction(b: any): void {
  if (b?.action?.status === 'error') {
    throw new EdgeError('provider', `hetzner: action ${b.action.id} failed: ${b.action.error?.message ?? 'no details'}`)
  }
}

function driver(s: HetznerSettings, ttl: number | undefined) {
  const api: Api = { name: 'hetzner', base: s.base, auth: () => ({ authorization: `Bearer ${s.token}` }), text: (b) => b?.error?.message ?? b?.error?.code }
  const z = `/zones/${encodeURIComponent(s.zone)}/rrsets`
  const name = (fqdn: string): string => seg(rel(fqdn, s.zone) || '@')
  return apiProvider('hetzner', {
    async list(refs, ctx) {
      const out: Rec[] = []
      for (const fqdn of new Set(refs.map((r) => r.fqdn))) {
        const b = await call(ctx, api, { path: `${z}?name=${name(fqdn)}&per_page=50` })
        for (const set of listOf(api, b, 'rrsets')) {
          for (const r of set.records ?? []) out.push({ ...r, name: full(set.name, s.zone), type: set.type, value: r.value })
        }
      }
      return out
    },
    async update(ref, value, [r], ctx) {
      const rec = { value, ...(r?.comment ? { comment: r.comment } : {}) }
      checkAction(await call(ctx, api, { method: 'POST', path: `${z}/${name(ref.fqdn)}/${ref.type}/actions/set_records`, json: { records: [rec] } }))
    },
    async create(ref, value, ctx) {
      const json = { name: rel(ref.fqdn, s.zone) || '@', type: ref.type, records: [{ value }], ...(ttl ? { ttl } : {}) }
      checkAction(await call(ctx, api, { method: 'POST', path: z, json }))
    },
  })
}

/** The Hetzner provider definition (registry entry `hetzner`). */
export const hetzner = tokenDef<HetznerSettings>({
  name: 'hetzner',
  summary: 'Hetzner DNS (Hetzner Cloud API, project token)',
  docs: 'https://docs.hetzner.cloud/reference/cloud#zone-rrsets',
  cred: ['token', 'Hetzner Cloud API token (read & write)'],
  base: HETZNER_BASE,
  ttl: { min: 60, max: MAX_TTL },
  driver,
})
