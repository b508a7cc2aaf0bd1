import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError, toEdgeError } from '../../errors.js'
import { keyPath, optUrl, reqString } from '../../config/fields.js'
import { reqSecret } from '../push/names.js'
import { call, type Api } from '../api/call.js'
import { API_CAPS, MAX_TTL, entryOf, rel, seg, zoneEntry, zoneKeys, type ZoneSettings } from '../api/entry.js'
import { apiProvider, once, type Rec } from '../api/provider.js'
import type { ProviderDef, RecordRef } from '../types.js'

/**
 * Azure DNS through Azure Resource Manager (https://learn.microsoft.com/en-us/rest/api/dns/,
 * api-version 2018-05-01), with a service principal:
 * - token: `POST {login_url}/{tenant_id}/oauth2/v2.0/token` with the client-credentials grant
 *   (`client_id`, `client_secret`, `scope={base_url}/.default`), once per run and principal
 *   (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow);
 * - read: `GET .../dnsZones/{zone}/{A|AAAA}/{name}` per record (`@` the apex); a 404 with code
 *   `NotFound` is "no record set"; any other 404 (`ParentResourceNotFound`,
 *   `ResourceGroupNotFound`) is the zone or group, never "absent";
 * - update: `PATCH` on the same path with only the records and `If-Match: <etag>`: TTL and
 *   metadata stay, and a record set changed since it was read is not overwritten (412);
 * - create: `PUT` with TTL and the record, `If-None-Match: *`.
 * ARM errors are `{error: {code, message}}`. See README.md.
 */

export const AZURE_BASE = 'https://management.azure.com'
export const AZURE_LOGIN = 'https://login.microsoftonline.com'

/** A validated entry. */
export interface AzureSettings extends ZoneSettings {
  tenant: string
  client: string
  secret: string
  subscription: string
  group: string
  /** Token endpoint base without a trailing slash. */
  login: string
}

const text = (b: any): unknown => b?.error_description ?? b?.error?.message ?? b?.message ?? b?.error ?? b?.code

function driver(s: AzureSettings, ttl: number | undefined) {
  const token = (ctx: Ctx): Promise<string> =>
    once(ctx, `azure ${s.login} ${s.tenant} ${s.client}`, async () => {
      const form = { grant_type: 'client_credentials', client_id: s.client, client_secret: s.secret, scope: `${s.base}/.default` }
      let b: any
      try {
        b = await call(ctx, { name: 'azure', base: s.login, text }, { method: 'POST', path: `/${encodeURIComponent(s.tenant)}/oauth2/v2.0/token`, form })
      } catch (e) {
        const err = toEdgeError(e)
        // The token endpoint answers 400 for a wrong secret, client or tenant: all credentials.
        throw err.kind === 'invalid' || err.kind === 'notfound' ? new EdgeError('auth', err.message, { code: err.code }) : err
      }
      if (typeof b?.access_token !== 'string') throw new EdgeError('protocol', 'azure: token answer has no access_token')
      return b.access_token
    })
  const api: Api = { name: 'azure', base: s.base, auth: async (ctx) => ({ authorization: `Bearer ${await token(ctx)}` }), text }
  const path = (ref: RecordRef): string =>
    `/subscriptions/${encodeURIComponent(s.subscription)}/resourceGroups/${encodeURIComponent(s.group)}/providers/Microsoft.Network/dnsZones/${encodeURIComponent(s.zone)}/${ref.type}/${seg(rel(ref.fqdn, s.zone) || '@')}?api-version=2018-05-01`
  const body = (ref: RecordRef, value: string): object =>
    ref.type === 'A' ? { ARecords: [{ ipv4Address: value }] } : { AAAARecords: [{ ipv6Address: value }] }
  return apiProvider('azure', {
    async list(refs, ctx) {
      const out: Rec[] = []
      for (const ref of refs) {
        const b = await call(ctx, api, { path: path(ref), absent: (st, x) => st === 404 && (x?.error?.code ?? x?.code) === 'NotFound' })
        if (!b) continue
        const p = b.properties ?? {}
        const vals: string[] = (ref.type === 'A' ? p.ARecords : p.AAAARecords)?.map((r: any) => r?.ipv4Address ?? r?.ipv6Address) ?? []
        // An empty record set exists all the same: it is updated (If-Match), not created.
        for (const value of vals.length ? vals : ['']) out.push({ name: ref.fqdn, type: ref.type, value, etag: b.etag })
      }
      return out
    },
    update: (ref, value, [r], ctx) =>
      call(ctx, api, { method: 'PATCH', path: path(ref), headers: r?.etag ? { 'if-match': String(r.etag) } : {}, json: { properties: body(ref, value) } }),
    create: (ref, value, ctx) =>
      call(ctx, api, { method: 'PUT', path: path(ref), headers: { 'if-none-match': '*' }, json: { properties: { TTL: ttl ?? 3600, ...body(ref, value) } } }),
  })
}

/** The Azure DNS provider definition (registry entry `azure`). */
export const azure: ProviderDef<AzureSettings> = {
  name: 'azure',
  summary: 'Azure DNS (Resource Manager API, service principal)',
  docs: 'https://learn.microsoft.com/en-us/rest/api/dns/record-sets',
  keys: [
    { key: 'tenant_id', required: true, doc: 'directory (tenant) id' },
    { key: 'client_id', required: true, doc: 'application (client) id of the service principal' },
    { key: 'client_secret', required: true, secret: true, doc: 'its client secret' },
    { key: 'subscription_id', required: true, doc: 'subscription holding the zone' },
    { key: 'resource_group', required: true, doc: 'resource group of the zone' },
    ...zoneKeys(AZURE_BASE),
    { key: 'login_url', required: false, doc: `token endpoint base (default ${AZURE_LOGIN})` },
  ],
  capabilities: API_CAPS,
  ttl: { min: 1, max: MAX_TTL },
  parse(t, path, ctx) {
    const z = zoneEntry(t, path, ctx, azure.keys, AZURE_BASE)
    const s: AzureSettings = {
      ...z,
      tenant: reqString(t, 'tenant_id', path),
      client: reqString(t, 'client_id', path),
      secret: reqSecret(t, 'client_secret', path, ctx.secret, ctx.warn),
      subscription: reqString(t, 'subscription_id', path),
      group: reqString(t, 'resource_group', path),
      login: optUrl(t, 'login_url', path) ?? AZURE_LOGIN,
    }
    if (!/^[\w.-]+$/.test(s.tenant)) throw new ConfigError(keyPath(path, 'tenant_id'), 'is not a tenant id or domain')
    return entryOf('azure', s, `${s.tenant}/${s.client}`)
  },
  create: (s, o) => driver(s, o.ttl),
}
