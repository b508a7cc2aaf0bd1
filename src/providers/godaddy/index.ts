import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath } from '../../config/fields.js'
import type { HttpResponse } from '../../net/http.js'
import { HEADER_SAFE } from '../credentials.js'
import { holdOff, jsonOf, ok, send } from '../api/call.js'
import { API_CAPS, MAX_TTL, NOT_HEADER_SAFE, pairEntry, rel, seg, type PairSettings } from '../api/entry.js'
import { apiProvider, beside, queued, type Meta } from '../api/provider.js'
import { nameKey } from '../push/names.js'
import type { ProviderDef } from '../types.js'
import { errorBodyOf, godaddyError } from './errors.js'

/**
 * GoDaddy (Domains API v1) provider: a dness `type = "godaddy"` entry (`domain`, `key`, `secret`,
 * `records` relative to the domain, `@` the apex) works unchanged. See README.md in this folder.
 *
 * It reads and writes one name and type at a time on the name-scoped path
 * (https://developer.godaddy.com/doc/endpoint/domains), so no other record of the domain is ever
 * sent or replaced:
 * - `GET /v1/domains/{domain}/records/{type}/{name}` (recordGet): the records of one type at one
 *   name, `[]` when there are none; an empty list is `absent` once a GET of the CNAME at the name
 *   is empty too (a CNAME is a `conflict`, BC-11);
 * - `PUT /v1/domains/{domain}/records/{type}/{name}` (recordReplaceTypeName) with exactly
 *   `[{data, ttl}]`: the record's own TTL for an update, the configured one (else 600) for a create.
 * It never calls `PUT /records/{type}` (replaces the type at every name: siblings are wiped), nor
 * `PUT`/`PATCH /records` (the whole zone, or an append that duplicates). Credentials go in
 * `Authorization: sso-key <key>:<secret>`; calls of one account go one at a time (GoDaddy allows
 * 60 a minute per key).
 */

const NAME = 'godaddy'

/** The default API endpoint (dness's default too). */
export const GODADDY_BASE_URL = 'https://api.godaddy.com'

/** GoDaddy's smallest TTL: a PUT with less is refused with 422 "must have a minimum value of 600". */
export const GODADDY_MIN_TTL = 600

/** A validated GoDaddy entry; the account is `godaddy:<host>:<key fingerprint>`. */
export type GoDaddySettings = PairSettings

/** One DNS record as recordGet lists it (only the fields edge-ddns uses). */
export interface GdRecord {
  type: string
  /** Relative to the domain; `@` for the apex. */
  name: string
  data: string
  /** Seconds. */
  ttl?: number
}

/** What `read` leaves in `Current.meta` for `write`: the records of the ref's type at its name. */
export type GoDaddyMeta = Meta<GdRecord>

function driver(s: GoDaddySettings, ttl: number | undefined) {
  /** The name-scoped path of the records of `type` at `name` (`@` the apex, BC-22; `@` and `*` stay literal). */
  const at = (type: string, name: string): string => `/v1/domains/${encodeURIComponent(s.domain)}/records/${encodeURIComponent(type)}/${seg(name)}`

  /**
   * Sends one call of the account and returns the answer when its status is 2xx.
   * @throws EdgeError: `send`'s; for a non-2xx answer the kind `godaddyError` gives (a non-JSON
   *   one: `ratelimit` on 429, `transient` on 5xx, else `protocol` "unexpected text/html from <host>").
   */
  const call = async (ctx: Ctx, method: string, path: string, body?: unknown): Promise<HttpResponse> => {
    const res = await queued(ctx, s.account, 0, () =>
      send(ctx, NAME, `${method} ${path}`, {
        method,
        url: s.baseUrl + path,
        headers: { accept: 'application/json', authorization: `sso-key ${s.key}:${s.secret}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      }),
    )
    if (ok(res)) return res
    throw godaddyError({ status: res.status, host: res.host, body: errorBodyOf(jsonOf(ctx, NAME, res)), retryAfterHeaderSec: holdOff(res, ctx.now()) }, (x) => ctx.redactor.redact(x))
  }

  /**
   * The records of `type` at `name` (`@` = apex). Items of another type or name, which the
   * endpoint should not return, are dropped rather than trusted.
   * @throws EdgeError as `call`, or `protocol` when a 2xx body is not a list of records.
   */
  const records = async (ctx: Ctx, type: string, name: string): Promise<GdRecord[]> => {
    const what = `${NAME}: GET ${at(type, name)}`
    const body = jsonOf(ctx, NAME, await call(ctx, 'GET', at(type, name)))
    if (!Array.isArray(body)) throw new EdgeError('protocol', `${what}: answer is not a list of records`)
    const out: GdRecord[] = []
    body.forEach((r, i) => {
      if (typeof r?.data !== 'string') throw new EdgeError('protocol', `${what}: record ${i} has no "data"`)
      if (typeof r.type === 'string' && r.type.toUpperCase() !== type) return
      if (typeof r.name === 'string' && nameKey(r.name) !== name) return
      out.push({ type, name, data: r.data, ...(Number.isInteger(r.ttl) && r.ttl > 0 ? { ttl: r.ttl } : {}) })
    })
    return out
  }

  const put = (ctx: Ctx, ref: { fqdn: string; type: string }, data: string, t: number | undefined): Promise<unknown> =>
    call(ctx, 'PUT', at(ref.type, rel(ref.fqdn, s.domain) || '@'), [{ data, ...(t !== undefined ? { ttl: t } : {}) }])

  return apiProvider<GdRecord>(NAME, {
    async get(ref, ctx) {
      const name = rel(ref.fqdn, s.domain) || '@'
      const found = await records(ctx, ref.type, name)
      if (found.length) return found
      const cname = await records(ctx, 'CNAME', name)
      if (cname.length) throw beside(NAME, ref, `is a CNAME (to ${cname.map((r) => r.data).join(', ')})`, `remove the CNAME at GoDaddy, or take ${ref.fqdn} out of records`)
      return []
    },
    value: (r) => r.data,
    update: (ref, value, [r], ctx) => put(ctx, ref, value, r?.ttl ?? ttl),
    create: (ref, value, ctx) => put(ctx, ref, value, ttl ?? GODADDY_MIN_TTL),
  })
}

/** The GoDaddy provider definition (registry entry `godaddy`). */
export const godaddy: ProviderDef<GoDaddySettings> = {
  name: NAME,
  summary: 'GoDaddy DNS through the Domains API v1 (API key + secret)',
  docs: 'https://developer.godaddy.com/doc/endpoint/domains',
  keys: [
    { key: 'domain', required: true, doc: 'the domain at GoDaddy, e.g. example.com' },
    { key: 'key', required: true, secret: true, doc: 'API key (Production) from https://developer.godaddy.com/keys' },
    { key: 'secret', required: true, secret: true, doc: "the API key's secret" },
    { key: 'records', required: true, doc: 'record names relative to domain: @ (apex), home, *; a full name ending in the domain works too' },
    { key: 'base_url', required: false, doc: `API base URL (default ${GODADDY_BASE_URL})` },
  ],
  capabilities: API_CAPS,
  // GoDaddy documents no maximum; RFC 2181 section 8 caps a TTL at 2^31 - 1.
  ttl: { min: GODADDY_MIN_TTL, max: MAX_TTL },
  parse(t, path, ctx) {
    const s = pairEntry(t, path, ctx, godaddy, GODADDY_BASE_URL)
    for (const k of ['key', 'secret'] as const) if (!HEADER_SAFE.test(s[k])) throw new ConfigError(keyPath(path, k), NOT_HEADER_SAFE)
    if (s.key.includes(':')) throw new ConfigError(keyPath(path, 'key'), 'contains ":", which cannot be told apart from the key/secret separator of the sso-key header')
    return { settings: s, names: s.records, zone: s.domain, account: s.account }
  },
  create: (s, o) => driver(s, o.ttl),
}
