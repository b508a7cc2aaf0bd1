import type { Ctx } from '../../context.js'
import { optString } from '../../config/fields.js'
import { call, listOf, type Api } from '../api/call.js'
import { MAX_TTL, tokenDef, type TokenSettings } from '../api/entry.js'
import { apiProvider } from '../api/provider.js'
import type { RecordRef } from '../types.js'

/**
 * A PowerDNS Authoritative server through its HTTP API
 * (https://doc.powerdns.com/authoritative/http-api/; `authoritative-api-swagger.yaml`), with
 * `X-API-Key`:
 * - read: `GET /api/v1/servers/{server_id}/zones/{zone}.` once per entry: the zone with its
 *   RRsets (names are full and end in a dot);
 * - write: `PATCH` on the same path with one RRset, `changetype: REPLACE`, the RRset's own TTL
 *   (REPLACE requires one; it replaces the whole RRset, so only an RRset holding one value is
 *   ever rewritten, see the planner) and the record's `disabled` flag; comments are not sent, so
 *   they stay. 204 on success.
 * Errors are `{error}`. Self-hosted, so `base_url` is required. See README.md.
 */

/** A validated entry. */
export interface PowerdnsSettings extends TokenSettings {
  /** The `server_id` of the API path; `localhost` on a stock server. */
  server: string
}

function driver(s: PowerdnsSettings, ttl: number | undefined) {
  const api: Api = { name: 'powerdns', base: s.base, auth: () => ({ 'x-api-key': s.token }), text: (b) => [b?.error, b?.errors] }
  const path = `/api/v1/servers/${encodeURIComponent(s.server)}/zones/${encodeURIComponent(`${s.zone}.`)}`
  const replace = (ctx: Ctx, ref: RecordRef, value: string, t: number, disabled = false): Promise<unknown> =>
    call(ctx, api, { method: 'PATCH', path, json: { rrsets: [{ name: `${ref.fqdn}.`, type: ref.type, ttl: t, changetype: 'REPLACE', records: [{ content: value, disabled }] }] } })
  return apiProvider('powerdns', {
    async list(_refs, ctx) {
      const b = await call(ctx, api, { path })
      return listOf(api, b, 'rrsets').flatMap((set: any) => (set.records ?? []).map((r: any) => ({ ...r, name: set.name, type: set.type, ttl: set.ttl, value: r.content })))
    },
    update: (ref, value, [r], ctx) => replace(ctx, ref, value, Number(r!.ttl ?? ttl ?? 3600), r!.disabled === true),
    create: (ref, value, ctx) => replace(ctx, ref, value, ttl ?? 3600),
  })
}

/** The PowerDNS provider definition (registry entry `powerdns`). */
export const powerdns = tokenDef<PowerdnsSettings>({
  name: 'powerdns',
  summary: 'PowerDNS Authoritative server (HTTP API, X-API-Key)',
  docs: 'https://doc.powerdns.com/authoritative/http-api/',
  cred: ['api_key', 'the api-key of the server'],
  more: [{ key: 'server_id', required: false, doc: 'server id in the API path (default localhost)' }],
  extra: (t, path) => ({ server: optString(t, 'server_id', path) ?? 'localhost' }),
  ttl: { min: 1, max: MAX_TTL },
  driver,
})
