import { createPrivateKey, createSign, randomBytes } from 'node:crypto'
import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath, optBool, reqString } from '../../config/fields.js'
import { call, listOf, type Api } from '../api/call.js'
import { API_CAPS, entryOf, full, rel, zoneEntry, zoneKeys, type ZoneSettings } from '../api/entry.js'
import { apiProvider, once } from '../api/provider.js'
import type { ProviderDef } from '../types.js'

/**
 * TransIP through REST API v6 (https://api.transip.nl/rest/docs.html):
 * - token: `POST /auth` with `{login, nonce, read_only, expiration_time, label, global_key}`,
 *   signed with the account's RSA private key: header `Signature` = base64 of the RSA-SHA512
 *   (PKCS#1 v1.5) signature of the exact body bytes; the answer's `token` is a Bearer token,
 *   fetched once per run and account;
 * - read: `GET /domains/{zone}/dns` once per entry (`dnsEntries`, names relative, `@` the apex);
 * - update: `PATCH /domains/{zone}/dns` with one `dnsEntry`: TransIP finds the entry by name,
 *   type and expire (its TTL), so these go back as read and only `content` changes;
 * - create: `POST /domains/{zone}/dns` with one `dnsEntry`.
 * Never `PUT /domains/{zone}/dns`: it replaces the whole zone. Errors are `{error}`. See README.md.
 */

export const TRANSIP_BASE = 'https://api.transip.nl/v6'

/** A validated entry. */
export interface TransipSettings extends ZoneSettings {
  login: string
  /** The private key, PEM. */
  key: string
  /** A token usable from any address (the whitelist cannot follow a dynamic address). */
  global: boolean
}

/** The signed `/auth` request: the body as sent, and its `Signature` header. */
export function signedAuth(s: TransipSettings): { body: string; signature: string } {
  const nonce = randomBytes(8).toString('hex')
  const body = JSON.stringify({ login: s.login, nonce, read_only: false, expiration_time: '30 minutes', label: `edge-ddns ${nonce}`, global_key: s.global })
  return { body, signature: createSign('RSA-SHA512').update(body).sign(s.key, 'base64') }
}

function driver(s: TransipSettings, ttl: number | undefined) {
  const text = (b: any): unknown => b?.error
  const token = (ctx: Ctx): Promise<string> =>
    once(ctx, `transip ${s.base} ${s.login}`, async () => {
      const { body, signature } = signedAuth(s)
      const b = await call(ctx, { name: 'transip', base: s.base, text }, { method: 'POST', path: '/auth', headers: { signature }, raw: body })
      if (typeof b?.token !== 'string') throw new EdgeError('protocol', 'transip: POST /auth: answer has no token')
      return b.token
    })
  const api: Api = { name: 'transip', base: s.base, auth: async (ctx) => ({ authorization: `Bearer ${await token(ctx)}` }), text }
  const dns = `/domains/${encodeURIComponent(s.zone)}/dns`
  return apiProvider('transip', {
    async list(_refs, ctx) {
      return listOf(api, await call(ctx, api, { path: dns }), 'dnsEntries').map((e: any) => ({ ...e, name: full(e.name, s.zone), value: e.content }))
    },
    update: (ref, value, [r], ctx) =>
      call(ctx, api, { method: 'PATCH', path: dns, json: { dnsEntry: { name: rel(ref.fqdn, s.zone) || '@', expire: r!.expire, type: ref.type, content: value } } }),
    create: (ref, value, ctx) =>
      call(ctx, api, { method: 'POST', path: dns, json: { dnsEntry: { name: rel(ref.fqdn, s.zone) || '@', expire: ttl ?? 3600, type: ref.type, content: value } } }),
  })
}

/** The TransIP provider definition (registry entry `transip`). */
export const transip: ProviderDef<TransipSettings> = {
  name: 'transip',
  summary: 'TransIP DNS (API v6, key pair)',
  docs: 'https://api.transip.nl/rest/docs.html',
  keys: [
    { key: 'login', required: true, doc: 'the TransIP account name' },
    { key: 'private_key', required: true, secret: true, doc: 'the API key pair\'s private key, PEM (e.g. {{file "/etc/edge-ddns/transip.pem"}})' },
    { key: 'global_key', required: false, doc: 'tokens usable from any address (default true; false needs a whitelist)' },
    ...zoneKeys(TRANSIP_BASE),
  ],
  capabilities: API_CAPS,
  ttl: { min: 60, max: 2592000 },
  parse(t, path, ctx) {
    const z = zoneEntry(t, path, ctx, transip.keys, TRANSIP_BASE)
    // A PEM spans lines; one kept on one line (an environment variable) has them as "\n".
    const key = reqString(t, 'private_key', path).replace(/\\n/g, '\n')
    ctx.secret(key)
    try {
      createPrivateKey(key)
    } catch {
      throw new ConfigError(keyPath(path, 'private_key'), 'is not a PEM private key')
    }
    const s = { ...z, login: reqString(t, 'login', path), key, global: optBool(t, 'global_key', path) ?? true }
    return entryOf('transip', s, s.login)
  },
  create: (s, o) => driver(s, o.ttl),
}
