import type http from 'node:http'
import { fixtureOf, flat, startJsonApi, type FakeApi, type Fixture, type FlatInjection, type Recorded } from './json-api-server.js'

/**
 * A local stand-in for GoDaddy's Domains API v1 DNS records endpoints (node:http on 127.0.0.1,
 * port 0), for unit and e2e tests. It keeps each domain's records in memory and answers as
 * https://developer.godaddy.com/doc/endpoint/domains documents:
 * - `GET /v1/domains/{domain}/records[/{type}[/{name}]]` (recordGet): a list of DNSRecord
 *   `{type, name, data, ttl, priority?}`, `[]` when nothing matches;
 * - `PUT /v1/domains/{domain}/records/{type}/{name}` (recordReplaceTypeName): the records of that
 *   type at that name become exactly the body's list;
 * - `PUT /v1/domains/{domain}/records/{type}` (recordReplaceType): the records of that type at
 *   EVERY name become the body's list, so siblings not in the body are gone (why edge-ddns never
 *   calls it);
 * - `PATCH /v1/domains/{domain}/records` (recordAdd): appends, duplicates included;
 *   `PUT /v1/domains/{domain}/records` (recordReplace): replaces the whole zone;
 * - `DELETE /v1/domains/{domain}/records/{type}/{name}` (recordDeleteTypeName).
 * Credentials: `Authorization: sso-key <key>:<secret>`. Error answers come from the fixtures in
 * test/fixtures/godaddy/ (each names its documentation). The server, the request record and the
 * scripted answers are the shared JSON API fake's (json-api-server.ts).
 *
 * Base URL: `http://127.0.0.1:<port>` (paths start with `/v1`, as on api.godaddy.com).
 */

export type { Fixture }

/** Reads `test/fixtures/godaddy/<name>.json` (without the `_doc`). */
export const loadGoDaddyFixture = (name: string): Fixture => fixtureOf('godaddy', name)

/** A record as the fake stores and lists it (GoDaddy's DNSRecord field names). */
export interface GdStoredRecord {
  type: string
  /** Relative to the domain; `@` for the apex. */
  name: string
  data: string
  ttl: number
  priority?: number
  [extra: string]: unknown
}

/** A record to seed; `ttl` defaults to 3600 (GoDaddy's default for a record added without one). */
export interface GdSeedRecord {
  type: string
  name: string
  data: string
  ttl?: number
  [extra: string]: unknown
}

/** Options of the fake. */
export interface GoDaddyOptions {
  key: string
  secret: string
  /** Domain name → its records. */
  domains?: Record<string, GdSeedRecord[]>
  /** BC-23: the account may not use the API; every authenticated call answers 403 ACCESS_DENIED. */
  accessDenied?: boolean
}

/** One request as the fake received it (`rawPath` e.g. `/v1/domains/example.com/records/A/@`). */
export type GdRecordedRequest = Recorded

/** A scripted answer that takes precedence over the normal behaviour. */
export type GdInjection = FlatInjection

/** A running fake. */
export interface FakeGoDaddy extends Omit<FakeApi, 'inject'> {
  /** A copy of a domain's records, in store order. */
  records(domain: string): GdStoredRecord[]
  inject(i: GdInjection): void
}

const TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'SRV', 'TXT'])

function relName(name: string): string {
  const n = name.trim().toLowerCase()
  return n === '' ? '@' : n
}

/** Starts the fake on 127.0.0.1 with an ephemeral port (the shared JSON API fake with GoDaddy's route). */
export async function startGoDaddy(opts: GoDaddyOptions): Promise<FakeGoDaddy> {
  const zones = new Map<string, GdStoredRecord[]>()
  const store = (r: GdSeedRecord): GdStoredRecord => ({ ...r, type: r.type.toUpperCase(), name: relName(r.name), ttl: r.ttl ?? 3600 })
  for (const [d, recs] of Object.entries(opts.domains ?? {})) zones.set(d.toLowerCase(), recs.map(store))

  const json = (status: number, body: unknown): Fixture => ({ status, headers: {}, body })
  const error = (status: number, code: string, message: string, fields?: unknown[]): Fixture =>
    json(status, { code, message, ...(fields ? { fields } : {}) })

  const checkAuth = (h: http.IncomingHttpHeaders): Fixture | undefined => {
    const m = /^sso-key ([^:]+):(.*)$/.exec(String(h.authorization ?? ''))
    if (!m || m[1] !== opts.key || m[2] !== opts.secret) return loadGoDaddyFixture('unable-to-authenticate')
    if (opts.accessDenied) return loadGoDaddyFixture('access-denied')
    return undefined
  }

  /** Validates a write body (a list of records); returns an answer when it is refused. */
  const validate = (body: unknown, needName: boolean): Fixture | undefined => {
    if (!Array.isArray(body)) return error(422, 'INVALID_BODY', "Request body doesn't fulfill schema, see details in `fields`", [{ path: 'records', code: 'UNEXPECTED_TYPE', message: 'is not a array' }])
    for (let i = 0; i < body.length; i++) {
      const r = body[i] as Record<string, unknown> | null
      if (!r || typeof r.data !== 'string') {
        return error(422, 'INVALID_BODY', "Request body doesn't fulfill schema, see details in `fields`", [{ path: `records[${i}].data`, code: 'MISSING', message: 'is required' }])
      }
      if (needName && typeof r.name !== 'string') {
        return error(422, 'INVALID_BODY', "Request body doesn't fulfill schema, see details in `fields`", [{ path: `records[${i}].name`, code: 'MISSING', message: 'is required' }])
      }
      if (r.ttl !== undefined && (typeof r.ttl !== 'number' || r.ttl < 600)) {
        const f = loadGoDaddyFixture('invalid-ttl')
        const b = f.body as { fields: { path: string }[] }
        b.fields[0]!.path = `records[${i}].ttl`
        return f
      }
    }
    return undefined
  }

  const handle = (method: string, segs: string[], body: unknown): Fixture => {
    // segs: ['v1', 'domains', domain, 'records', type?, name?]
    if (segs[0] !== 'v1' || segs[1] !== 'domains' || segs.length < 4 || segs[3] !== 'records' || segs.length > 6) {
      return error(404, 'NOT_FOUND', 'The requested resource was not found')
    }
    const domain = segs[2]!.toLowerCase()
    const zone = zones.get(domain)
    if (!zone) return loadGoDaddyFixture('unknown-domain')
    const type = segs[4]?.toUpperCase()
    const name = segs[5] === undefined ? undefined : relName(segs[5])
    if (type !== undefined && !TYPES.has(type)) {
      return error(422, 'INVALID_BODY', "Request body doesn't fulfill schema, see details in `fields`", [{ path: 'type', code: 'ENUM', message: 'is not one of the allowed values' }])
    }
    const matches = (r: GdStoredRecord): boolean => (type === undefined || r.type === type) && (name === undefined || r.name === name)

    if (method === 'GET') return json(200, zone.filter(matches).map((r) => ({ ...r })))
    if (method === 'DELETE' && name !== undefined) {
      const keep = zone.filter((r) => !matches(r))
      if (keep.length === zone.length) return error(404, 'NOT_FOUND', 'The requested resource was not found')
      zones.set(domain, keep)
      return { status: 204, headers: {} }
    }
    if (method === 'PUT' || method === 'PATCH') {
      const bad = validate(body, name === undefined)
      if (bad) return bad
      const items = (body as Record<string, unknown>[]).map((r) => store({ ...r, type: type ?? String(r.type ?? ''), name: name ?? String(r.name), data: String(r.data) } as GdSeedRecord))
      if (method === 'PATCH') {
        if (type !== undefined) return error(405, 'METHOD_NOT_ALLOWED', 'Method not allowed')
        zones.set(domain, [...zone, ...items])
      } else {
        // recordReplaceTypeName / recordReplaceType / recordReplace: what matches goes, the body comes in.
        zones.set(domain, [...zone.filter((r) => !matches(r)), ...items])
      }
      return { status: 200, headers: {} }
    }
    return error(405, 'METHOD_NOT_ALLOWED', 'Method not allowed')
  }

  const api = await startJsonApi('godaddy', (r) => {
    const denied = checkAuth(r.headers)
    if (denied) return denied
    if (typeof r.body === 'string') return error(400, 'INVALID_BODY', 'Request was malformed')
    return handle(r.method, r.segs, r.body)
  })
  return {
    ...api,
    inject: (i) => api.inject(flat(i)),
    records: (domain) => structuredClone(zones.get(domain.toLowerCase()) ?? []),
  }
}
