import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import { call, listOf, type Api } from '../api/call.js'
import { API_CAPS, entryOf, headerSecret, zoneEntry, zoneKeys, type ZoneSettings } from '../api/entry.js'
import { apiProvider, once } from '../api/provider.js'
import type { ProviderDef } from '../types.js'

/**
 * IONOS DNS through the hosting DNS API v1 (https://developer.hosting.ionos.com/docs/dns), with
 * `X-API-Key: <prefix>.<secret>`:
 * - read: `GET /v1/zones` (the zone id, once per run and account), then
 *   `GET /v1/zones/{id}?recordType=A,AAAA,CNAME`: record names are full names;
 * - update: `PUT /v1/zones/{id}/records/{recordId}` with `{content, ttl, prio, disabled}`: the
 *   record's own TTL, priority and disabled flag go back (an omitted `disabled` would reset it);
 * - create: `POST /v1/zones/{id}/records` with `[{name, type, content, ttl, prio, disabled}]`.
 * Errors are a list of `{code, message}`. See README.md.
 */

export const IONOS_BASE = 'https://api.hosting.ionos.com/dns'

/** A validated entry. */
export interface IonosSettings extends ZoneSettings {
  /** `<public prefix>.<secret>`. */
  key: string
}

function driver(s: IonosSettings, ttl: number | undefined) {
  const api: Api = { name: 'ionos', base: s.base, auth: () => ({ 'x-api-key': s.key }), text: (b) => (Array.isArray(b) ? b : [b]).map((e) => e?.message ?? e?.code) }
  const zoneId = (ctx: Ctx): Promise<string> =>
    once(ctx, `ionos ${s.base} ${s.key} ${s.zone}`, async () => {
      const z = listOf(api, await call(ctx, api, { path: '/v1/zones' })).find((x: any) => x?.name?.toLowerCase() === s.zone)
      if (!z?.id) throw new EdgeError('notfound', `ionos: no zone ${s.zone} in this account`)
      return String(z.id)
    })
  return apiProvider('ionos', {
    async list(_refs, ctx) {
      const b = await call(ctx, api, { path: `/v1/zones/${await zoneId(ctx)}?recordType=A,AAAA,CNAME` })
      return listOf(api, b, 'records').map((r: any) => ({ ...r, value: r.content }))
    },
    update: async (_ref, value, [r], ctx) =>
      call(ctx, api, {
        method: 'PUT',
        path: `/v1/zones/${await zoneId(ctx)}/records/${r!.id}`,
        json: { content: value, ttl: r!.ttl, prio: r!.prio ?? 0, disabled: r!.disabled ?? false },
      }),
    create: async (ref, value, ctx) =>
      call(ctx, api, {
        method: 'POST',
        path: `/v1/zones/${await zoneId(ctx)}/records`,
        json: [{ name: ref.fqdn, type: ref.type, content: value, ttl: ttl ?? 3600, prio: 0, disabled: false }],
      }),
  })
}

/** The IONOS provider definition (registry entry `ionos`). */
export const ionos: ProviderDef<IonosSettings> = {
  name: 'ionos',
  summary: 'IONOS DNS (hosting DNS API, API key)',
  docs: 'https://developer.hosting.ionos.com/docs/dns',
  keys: [{ key: 'key', required: true, secret: true, doc: 'API key: <public prefix>.<secret>' }, ...zoneKeys(IONOS_BASE)],
  capabilities: API_CAPS,
  ttl: { min: 60, max: 86400 },
  parse(t, path, ctx) {
    const s = { ...zoneEntry(t, path, ctx, ionos.keys, IONOS_BASE), key: headerSecret(t, 'key', path, ctx) }
    return entryOf('ionos', s, s.key)
  },
  create: (s, o) => driver(s, o.ttl),
}
