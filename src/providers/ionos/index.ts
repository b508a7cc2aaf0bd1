import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import { call, listOf, type Api } from '../api/call.js'
import { tokenDef, type TokenSettings } from '../api/entry.js'
import { apiProvider, once } from '../api/provider.js'

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
export type IonosSettings = TokenSettings

function driver(s: IonosSettings, ttl: number | undefined) {
  const api: Api = { name: 'ionos', base: s.base, auth: () => ({ 'x-api-key': s.token }), text: (b) => (Array.isArray(b) ? b : [b]).map((e) => e?.message ?? e?.code) }
  const zoneId = (ctx: Ctx): Promise<string> =>
    once(ctx, `ionos ${s.base} ${s.token} ${s.zone}`, async () => {
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
export const ionos = tokenDef<IonosSettings>({
  name: 'ionos',
  summary: 'IONOS DNS (hosting DNS API, API key)',
  docs: 'https://developer.hosting.ionos.com/docs/dns',
  cred: ['key', 'API key: <public prefix>.<secret>'],
  base: IONOS_BASE,
  ttl: { min: 60, max: 86400 },
  driver,
})
