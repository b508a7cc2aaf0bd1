import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIPv4, isIPv6 } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { FlatInjection } from './json-api-server.js'

/**
 * A local stand-in for Cloudflare's API v4 (node:http on 127.0.0.1, port 0), for unit and e2e
 * tests. It keeps zones and DNS records in memory and answers as the API documentation says:
 * - `GET /zones` (https://developers.cloudflare.com/api/resources/zones/methods/list/): `name`,
 *   `status`, `page`, `per_page` (5..50, default 20);
 * - `GET /zones/{zone_id}/dns_records` (…/dns/subresources/records/methods/list/): `type`, `name`,
 *   `page`, `per_page` (default 100), with `result_info {page, per_page, count, total_count, total_pages}`;
 * - `POST /zones/{zone_id}/dns_records` (…/methods/create/), `PATCH …/{id}` (…/methods/edit/),
 *   `PUT …/{id}` (…/methods/update/, replaces every field), `DELETE …/{id}`, `GET …/{id}`;
 * - `POST /zones/{zone_id}/dns_records/batch` (…/methods/batch/ and
 *   https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/):
 *   `deletes`, `patches`, `puts`, `posts` applied in that order in one transaction: the first
 *   failing item answers with its error and nothing is applied; success answers
 *   `result: {deletes, patches, puts, posts}` with the records as they are now. At most
 *   `maxBatch` items (the Free plan's 200 by default);
 * - credentials: `Authorization: Bearer <token>`, or `X-Auth-Email` + `X-Auth-Key`.
 * Error answers come from the fixtures in test/fixtures/cloudflare/ (each names its API page).
 * Every request is recorded (method, path below the base, query, headers, parsed body) so a test
 * can assert the exact request.
 *
 * Base URL: `http://127.0.0.1:<port>/client/v4`, the same path as the real API.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/cloudflare/', import.meta.url))
const BASE_PATH = '/client/v4'

/** A fixture file: an answer to send. */
export interface Fixture {
  status: number
  headers: Record<string, string>
  /** JSON body. */
  body?: unknown
  /** Non-JSON body (sent as is, with the fixture's content-type). */
  raw?: string
}

/** Reads `test/fixtures/cloudflare/<name>.json` (without the `_doc`). */
export function loadFixture(name: string): Fixture & Record<string, unknown> {
  const f = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Fixture & Record<string, unknown>
  delete f._doc
  return { ...f, headers: f.headers ?? {} }
}

/** A DNS record as the fake stores and lists it (Cloudflare's field names). */
export interface StoredRecord {
  id: string
  zone_id: string
  zone_name: string
  name: string
  type: string
  content: string
  proxiable: boolean
  proxied: boolean
  ttl: number
  comment: string | null
  tags: string[]
  settings: Record<string, unknown>
  meta: Record<string, unknown>
  created_on: string
  modified_on: string
  [extra: string]: unknown
}

/** A record to seed: at least type, name (full or relative to the zone) and content. */
export interface SeedRecord {
  id?: string
  type: string
  name: string
  content: string
  ttl?: number
  proxied?: boolean
  comment?: string | null
  tags?: string[]
  [extra: string]: unknown
}

/** A zone to seed. */
export interface SeedZone {
  name: string
  /** 32 hex digits; default derived from the name. */
  id?: string
  /** Default `active`. */
  status?: string
  records?: SeedRecord[]
}

/** Options of the fake. Give `token`, or `email` + `key`, or both (either is then accepted). */
export interface CloudflareOptions {
  token?: string
  email?: string
  key?: string
  zones?: SeedZone[]
  /**
   * Largest `per_page` honoured for DNS record listings (larger asks get this many per page).
   * The real schema allows 5,000,000; lower it to make a test page through a zone.
   */
  maxRecordsPerPage?: number
  /**
   * Most items in one batch call (Cloudflare: 200 on the Free plan, 3,500 on the others). The
   * answer to a larger batch is not documented; the fake answers 400 with code 1004.
   */
  maxBatch?: number
}

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string
  /** Path below the base URL, e.g. `/zones/<id>/dns_records`. */
  path: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown
}

/**
 * A scripted answer that takes precedence over the normal behaviour: a fixture file (name without
 * `.json`), or a status with a JSON body or raw text; `path` is below the base URL.
 */
export interface Injection extends FlatInjection {
  /** Match only requests whose query has these values (e.g. `{ page: '2' }`). */
  query?: Record<string, string>
}

/** A running fake. */
export interface FakeCloudflare {
  /** Base URL to put in `base_url`: `http://127.0.0.1:<port>/client/v4`. */
  url: string
  /** `127.0.0.1:<port>`, as error messages name it. */
  host: string
  /** Every request, in arrival order. */
  requests: RecordedRequest[]
  /** The requests that change something (anything but GET). */
  writes(): RecordedRequest[]
  /** A copy of the records of a zone, in store order. */
  records(zone: string): StoredRecord[]
  /** The id of a zone. */
  zoneId(zone: string): string
  /** Scripts an answer (see Injection). */
  inject(i: Injection): void
  close(): Promise<void>
}

interface Zone {
  id: string
  name: string
  status: string
  records: StoredRecord[]
}

const NOW = '2024-06-01T00:00:00.000000Z'

function hex32(s: string): string {
  return createHash('md5').update(s).digest('hex')
}

function fqdnIn(name: string, zone: string): string {
  const n = name.trim().replace(/\.$/, '').toLowerCase()
  if (n === '' || n === '@') return zone
  return n === zone || n.endsWith(`.${zone}`) ? n : `${n}.${zone}`
}

function envelope(result: unknown, info?: Record<string, number>): Record<string, unknown> {
  return { success: true, errors: [], messages: [], result, ...(info ? { result_info: info } : {}) }
}

function failure(code: number, message: string): Record<string, unknown> {
  return { success: false, errors: [{ code, message }], messages: [], result: null }
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startCloudflare(opts: CloudflareOptions): Promise<FakeCloudflare> {
  const zones: Zone[] = []
  let seq = 0
  const newId = (zone: string): string => hex32(`${zone}#${++seq}`)
  const store = (z: Zone, r: SeedRecord): StoredRecord => {
    const { id, type, name, content, ttl, proxied, comment, tags, ...extra } = r
    const rec: StoredRecord = {
      ...extra,
      id: id ?? newId(z.name),
      zone_id: z.id,
      zone_name: z.name,
      name: fqdnIn(name, z.name),
      type: type.toUpperCase(),
      content,
      proxiable: ['A', 'AAAA', 'CNAME'].includes(type.toUpperCase()),
      proxied: proxied ?? false,
      ttl: ttl ?? 1,
      comment: comment ?? null,
      tags: tags ?? [],
      settings: (extra.settings as Record<string, unknown>) ?? {},
      meta: (extra.meta as Record<string, unknown>) ?? {},
      created_on: (extra.created_on as string) ?? NOW,
      modified_on: (extra.modified_on as string) ?? NOW,
    }
    return rec
  }
  for (const s of opts.zones ?? []) {
    const name = s.name.replace(/\.$/, '').toLowerCase()
    const z: Zone = { id: s.id ?? hex32(`zone:${name}`), name, status: s.status ?? 'active', records: [] }
    for (const r of s.records ?? []) z.records.push(store(z, r))
    zones.push(z)
  }

  const requests: RecordedRequest[] = []
  const injections: (Injection & { left: number })[] = []
  const zoneById = (id: string): Zone | undefined => zones.find((z) => z.id === id)

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(text)
  }
  const sendFixture = (res: http.ServerResponse, f: Fixture): void => {
    if (f.raw !== undefined) {
      res.writeHead(f.status, { 'content-type': 'text/plain', ...f.headers })
      res.end(f.raw)
    } else send(res, f.status, f.body, f.headers)
  }

  const checkAuth = (h: http.IncomingHttpHeaders): Fixture | undefined => {
    const authz = h.authorization
    const email = h['x-auth-email']
    const key = h['x-auth-key']
    if (authz !== undefined) {
      const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(String(authz))
      if (!m) return loadFixture('auth-bad-format')
      return opts.token !== undefined && m[1] === opts.token ? undefined : loadFixture('auth-invalid-token')
    }
    if (email !== undefined || key !== undefined) {
      if (opts.email !== undefined && opts.key !== undefined && email === opts.email && key === opts.key) return undefined
      return loadFixture('auth-unknown-key')
    }
    return loadFixture('auth-missing')
  }

  /** Checks a record body for create/replace/edit; returns a fixture to answer with, or undefined. */
  const validate = (type: string, content: unknown, ttl: unknown): Fixture | undefined => {
    if (ttl !== undefined) {
      if (typeof ttl !== 'number') return { status: 400, headers: {}, body: failure(9022, 'TTL must be a number, not a string.') }
      if (!(ttl === 1 || (Number.isInteger(ttl) && ttl >= 60 && ttl <= 86400))) return loadFixture('invalid-ttl')
    }
    if (typeof content !== 'string') return { status: 400, headers: {}, body: failure(9005, 'Content is required.') }
    if ((type === 'A' && !isIPv4(content)) || (type === 'AAAA' && !isIPv6(content))) {
      const f = loadFixture('invalid-content')
      if (type === 'AAAA') f.body = failure(9005, 'Content for AAAA record must be a valid IPv6 address.')
      return f
    }
    return undefined
  }

  type Result = { ok: StoredRecord } | { fail: Fixture }
  const bad400 = (code: number, message: string): { fail: Fixture } => ({ fail: { status: 400, headers: {}, body: failure(code, message) } })

  /** A record made from a create body (POST, or a batch `posts` item), not yet stored. */
  const createIn = (zone: Zone, body: unknown): Result => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    if (typeof b.type !== 'string' || typeof b.name !== 'string') return bad400(9000, 'DNS record type and name are required.')
    const type = b.type.toUpperCase()
    const bad = validate(type, b.content, b.ttl)
    if (bad) return { fail: bad }
    const name = fqdnIn(b.name, zone.name)
    const same = zone.records.filter((r) => r.name === name)
    if ((type === 'A' || type === 'AAAA') && same.some((r) => r.type === 'CNAME')) return { fail: loadFixture('cname-conflict') }
    if (type === 'CNAME' && same.some((r) => ['A', 'AAAA', 'CNAME'].includes(r.type))) return { fail: loadFixture('host-exists') }
    if (same.some((r) => r.type === type && r.content === b.content)) return bad400(81058, 'An identical record already exists.')
    return {
      ok: store(zone, {
        type,
        name,
        content: b.content as string,
        ...(typeof b.ttl === 'number' ? { ttl: b.ttl } : {}),
        ...(typeof b.proxied === 'boolean' ? { proxied: b.proxied } : {}),
        ...(typeof b.comment === 'string' ? { comment: b.comment } : {}),
        ...(Array.isArray(b.tags) ? { tags: b.tags as string[] } : {}),
      }),
    }
  }

  /** `cur` after a PATCH (only the fields given) or a PUT (every field not given back to its default). */
  const edit = (zone: Zone, cur: StoredRecord, body: unknown, method: 'PATCH' | 'PUT'): Result => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const type = typeof b.type === 'string' ? b.type.toUpperCase() : cur.type
    const content = b.content ?? (method === 'PATCH' ? cur.content : undefined)
    const bad = validate(type, content, b.ttl)
    if (bad) return { fail: bad }
    // PATCH changes only the fields given; PUT replaces the record, so every field not given
    // goes back to its default (the way BC-08's proxied flag was lost).
    const base: StoredRecord = method === 'PATCH' ? { ...cur } : { ...cur, proxied: false, ttl: 1, comment: null, tags: [], settings: {} }
    return {
      ok: {
        ...base,
        type,
        content: content as string,
        ...(typeof b.name === 'string' ? { name: fqdnIn(b.name, zone.name) } : {}),
        ...(typeof b.ttl === 'number' ? { ttl: b.ttl } : {}),
        ...(typeof b.proxied === 'boolean' ? { proxied: b.proxied } : {}),
        ...(typeof b.comment === 'string' || b.comment === null ? { comment: b.comment as string | null } : {}),
        ...(Array.isArray(b.tags) ? { tags: b.tags as string[] } : {}),
        modified_on: '2024-06-02T00:00:00.000000Z',
      },
    }
  }

  /** The batch endpoint: deletes, patches, puts, posts, in that order, all or nothing. */
  const batch = (zone: Zone, body: unknown, res: http.ServerResponse): void => {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>
    const lists = { deletes: b.deletes ?? [], patches: b.patches ?? [], puts: b.puts ?? [], posts: b.posts ?? [] }
    if (!Object.values(lists).every(Array.isArray)) return send(res, 400, failure(9207, 'Request body is invalid.'))
    const items = Object.values(lists) as unknown[][]
    const count = items.reduce((n, l) => n + l.length, 0)
    if (count > (opts.maxBatch ?? 200)) return send(res, 400, failure(1004, `A batch may hold at most ${opts.maxBatch ?? 200} changes.`))
    const before = zone.records.slice()
    const done: Record<keyof typeof lists, StoredRecord[]> = { deletes: [], patches: [], puts: [], posts: [] }
    const fail = (f: Fixture): void => {
      zone.records = before
      sendFixture(res, f)
    }
    for (const [kind, list] of Object.entries(lists) as [keyof typeof lists, unknown[]][]) {
      for (const item of list) {
        const it = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>
        if (kind === 'posts') {
          const r = createIn(zone, it)
          if ('fail' in r) return fail(r.fail)
          zone.records.push(r.ok)
          done.posts.push(r.ok)
          continue
        }
        const idx = zone.records.findIndex((r) => r.id === it.id)
        if (idx < 0) return fail(loadFixture('record-not-found'))
        const cur = zone.records[idx]!
        if (kind === 'deletes') {
          zone.records.splice(idx, 1)
          done.deletes.push(cur)
          continue
        }
        const { id: _id, ...fields } = it
        const r = edit(zone, cur, fields, kind === 'patches' ? 'PATCH' : 'PUT')
        if ('fail' in r) return fail(r.fail)
        zone.records[idx] = r.ok
        done[kind].push(r.ok)
      }
    }
    send(res, 200, envelope(done))
  }

  const handle = (method: string, path: string, query: Record<string, string>, body: unknown, res: http.ServerResponse): void => {
    const parts = path.split('/').filter(Boolean)
    // GET /zones
    if (parts.length === 1 && parts[0] === 'zones' && method === 'GET') {
      const perPage = query.per_page === undefined ? 20 : Number(query.per_page)
      const page = query.page === undefined ? 1 : Number(query.page)
      if (!Number.isInteger(perPage) || perPage < 5 || perPage > 50) return send(res, 400, failure(1001, 'per_page must be between 5 and 50'))
      if (!Number.isInteger(page) || page < 1) return send(res, 400, failure(1001, 'page must be a positive integer'))
      let list = zones
      if (query.name !== undefined) list = list.filter((z) => z.name === query.name!.toLowerCase())
      if (query.status !== undefined) list = list.filter((z) => z.status === query.status)
      const slice = list.slice((page - 1) * perPage, page * perPage)
      return send(
        res,
        200,
        envelope(
          slice.map((z) => ({ id: z.id, name: z.name, status: z.status, paused: false, type: 'full', name_servers: ['ns1.example.net', 'ns2.example.net'] })),
          { page, per_page: perPage, count: slice.length, total_count: list.length, total_pages: Math.max(1, Math.ceil(list.length / perPage)) },
        ),
      )
    }
    if (parts[0] !== 'zones' || parts.length < 2) return send(res, 404, failure(7000, 'No route for that URI'))
    const zone = zoneById(parts[1]!)
    if (!zone) return sendFixture(res, loadFixture('invalid-object-identifier'))
    if (parts.length === 2 && method === 'GET') return send(res, 200, envelope({ id: zone.id, name: zone.name, status: zone.status }))
    if (parts[2] !== 'dns_records' || parts.length > 4) return send(res, 404, failure(7000, 'No route for that URI'))

    if (parts.length === 3) {
      if (method === 'GET') {
        const max = opts.maxRecordsPerPage ?? 5_000_000
        const asked = query.per_page === undefined ? 100 : Number(query.per_page)
        const page = query.page === undefined ? 1 : Number(query.page)
        if (!Number.isInteger(asked) || asked < 1) return send(res, 400, failure(1001, 'per_page must be at least 1'))
        if (!Number.isInteger(page) || page < 1) return send(res, 400, failure(1001, 'page must be a positive integer'))
        const perPage = Math.min(asked, max)
        let list = zone.records
        if (query.type !== undefined) list = list.filter((r) => r.type === query.type!.toUpperCase())
        const exact = query.name ?? query['name.exact']
        if (exact !== undefined) list = list.filter((r) => r.name === exact.toLowerCase())
        const slice = list.slice((page - 1) * perPage, page * perPage)
        return send(
          res,
          200,
          envelope(slice, { page, per_page: perPage, count: slice.length, total_count: list.length, total_pages: Math.max(1, Math.ceil(list.length / perPage)) }),
        )
      }
      if (method === 'POST') {
        const r = createIn(zone, body)
        if ('fail' in r) return sendFixture(res, r.fail)
        zone.records.push(r.ok)
        return send(res, 200, envelope(r.ok))
      }
      return send(res, 405, failure(10405, 'Method not allowed'))
    }

    if (parts[3] === 'batch' && method === 'POST') return batch(zone, body, res)
    const idx = zone.records.findIndex((r) => r.id === parts[3])
    if (idx < 0) return sendFixture(res, loadFixture('record-not-found'))
    const cur = zone.records[idx]!
    if (method === 'GET') return send(res, 200, envelope(cur))
    if (method === 'DELETE') {
      zone.records.splice(idx, 1)
      return send(res, 200, envelope({ id: cur.id }))
    }
    if (method === 'PATCH' || method === 'PUT') {
      const r = edit(zone, cur, body, method)
      if ('fail' in r) return sendFixture(res, r.fail)
      zone.records[idx] = r.ok
      return send(res, 200, envelope(r.ok))
    }
    return send(res, 405, failure(10405, 'Method not allowed'))
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake')
      const method = (req.method ?? 'GET').toUpperCase()
      const full = u.pathname
      const path = full.startsWith(BASE_PATH) ? full.slice(BASE_PATH.length) || '/' : full
      const query = Object.fromEntries(u.searchParams.entries())
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      if (text !== '') {
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
      }
      requests.push({ method, path, query, headers: req.headers, body })

      const inj = injections.find(
        (i) =>
          i.left > 0 &&
          (i.method === undefined || i.method.toUpperCase() === method) &&
          (i.path === undefined || (typeof i.path === 'string' ? i.path === path : i.path.test(path))) &&
          Object.entries(i.query ?? {}).every(([k, v]) => query[k] === v),
      )
      const answer = (): void => {
        if (inj) {
          inj.left--
          const f: Fixture = inj.fixture
            ? loadFixture(inj.fixture)
            : { status: inj.status ?? 200, headers: {}, ...(inj.raw !== undefined ? { raw: inj.raw } : { body: inj.body }) }
          return sendFixture(res, { ...f, headers: { ...f.headers, ...(inj.headers ?? {}) } })
        }
        if (!full.startsWith(BASE_PATH)) return send(res, 404, failure(7000, 'No route for that URI'))
        const denied = checkAuth(req.headers)
        if (denied) return sendFixture(res, denied)
        if (typeof body === 'string') return send(res, 400, failure(9207, 'Request body is invalid.'))
        handle(method, path, query, body, res)
      }
      if (inj?.delayMs) setTimeout(answer, inj.delayMs)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const host = `127.0.0.1:${port}`

  const zoneByName = (name: string): Zone => {
    const z = zones.find((x) => x.name === name.replace(/\.$/, '').toLowerCase())
    if (!z) throw new Error(`fake cloudflare: no zone ${name}`)
    return z
  }

  return {
    url: `http://${host}${BASE_PATH}`,
    host,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    records: (name) => structuredClone(zoneByName(name).records),
    zoneId: (name) => zoneByName(name).id,
    inject: (i) => {
      injections.push({ ...i, left: i.times ?? 1 })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
