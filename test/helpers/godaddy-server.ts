import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

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
 * test/fixtures/godaddy/ (each names its documentation). Every request is recorded (method, raw
 * path, decoded path, query, headers, parsed body, arrival time) so a test can assert the exact
 * request, and the fake counts how many requests were in flight at once.
 *
 * Base URL: `http://127.0.0.1:<port>` (paths start with `/v1`, as on api.godaddy.com).
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/godaddy/', import.meta.url))

/** A fixture file: an answer to send. */
export interface Fixture {
  status: number
  headers: Record<string, string>
  /** JSON body. */
  body?: unknown
  /** Non-JSON body, sent as is with the fixture's content-type. */
  raw?: string
}

/** Reads `test/fixtures/godaddy/<name>.json` (without the `_doc`). */
export function loadGoDaddyFixture(name: string): Fixture {
  const f = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as Fixture & { _doc?: string }
  delete f._doc
  return { ...f, headers: f.headers ?? {} }
}

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

/** One request as the fake received it. */
export interface GdRecordedRequest {
  method: string
  /** The path exactly as sent (percent-encoding kept), e.g. `/v1/domains/example.com/records/A/@`. */
  rawPath: string
  /** The path with each segment decoded. */
  path: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown
  /** `performance.now()` at arrival, in milliseconds. */
  at: number
}

/** A scripted answer that takes precedence over the normal behaviour. */
export interface GdInjection {
  method?: string
  /** Match this decoded path (string: exact; RegExp: test). */
  path?: string | RegExp
  fixture?: string
  status?: number
  body?: unknown
  raw?: string
  headers?: Record<string, string>
  /** How many matching requests get this answer; default 1; Infinity for all. */
  times?: number
  /** Milliseconds to wait before answering. */
  delayMs?: number
}

/** A running fake. */
export interface FakeGoDaddy {
  /** Base URL to put in `base_url`: `http://127.0.0.1:<port>`. */
  url: string
  /** `127.0.0.1:<port>`, as error messages name it. */
  host: string
  requests: GdRecordedRequest[]
  /** The requests that change something (anything but GET). */
  writes(): GdRecordedRequest[]
  /** A copy of a domain's records, in store order. */
  records(domain: string): GdStoredRecord[]
  /** The most requests that were being answered at the same time. */
  maxInFlight(): number
  inject(i: GdInjection): void
  /** Milliseconds every answer waits (to make overlapping requests observable); default 0. */
  setDelay(ms: number): void
  close(): Promise<void>
}

const TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'SRV', 'TXT'])

function relName(name: string): string {
  const n = name.trim().toLowerCase()
  return n === '' ? '@' : n
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. */
export async function startGoDaddy(opts: GoDaddyOptions): Promise<FakeGoDaddy> {
  const zones = new Map<string, GdStoredRecord[]>()
  const store = (r: GdSeedRecord): GdStoredRecord => ({ ...r, type: r.type.toUpperCase(), name: relName(r.name), ttl: r.ttl ?? 3600 })
  for (const [d, recs] of Object.entries(opts.domains ?? {})) zones.set(d.toLowerCase(), recs.map(store))

  const requests: GdRecordedRequest[] = []
  const injections: (GdInjection & { left: number })[] = []
  let inFlight = 0
  let maxInFlight = 0
  let delay = 0

  const send = (res: http.ServerResponse, f: Fixture): void => {
    if (f.raw !== undefined) {
      res.writeHead(f.status, { 'content-type': 'text/plain', ...f.headers })
      res.end(f.raw)
    } else if (f.body === undefined) {
      res.writeHead(f.status, f.headers)
      res.end()
    } else {
      res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers })
      res.end(JSON.stringify(f.body))
    }
  }
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

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const u = new URL(req.url ?? '/', 'http://fake')
      const method = (req.method ?? 'GET').toUpperCase()
      const segs = u.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s))
      const path = `/${segs.join('/')}`
      const text = Buffer.concat(chunks).toString('utf8')
      let body: unknown
      if (text !== '') {
        try {
          body = JSON.parse(text)
        } catch {
          body = text
        }
      }
      requests.push({ method, rawPath: u.pathname, path, query: Object.fromEntries(u.searchParams.entries()), headers: req.headers, body, at: performance.now() })

      const inj = injections.find(
        (i) =>
          i.left > 0 &&
          (i.method === undefined || i.method.toUpperCase() === method) &&
          (i.path === undefined || (typeof i.path === 'string' ? i.path === path : i.path.test(path))),
      )
      const answer = (): void => {
        inFlight--
        if (inj) {
          inj.left--
          const f: Fixture = inj.fixture
            ? loadGoDaddyFixture(inj.fixture)
            : { status: inj.status ?? 200, headers: {}, ...(inj.raw !== undefined ? { raw: inj.raw } : { body: inj.body }) }
          return send(res, { ...f, headers: { ...f.headers, ...(inj.headers ?? {}) } })
        }
        const denied = checkAuth(req.headers)
        if (denied) return send(res, denied)
        if (typeof body === 'string') return send(res, error(400, 'INVALID_BODY', 'Request was malformed'))
        send(res, handle(method, segs, body))
      }
      const wait = inj?.delayMs ?? delay
      if (wait > 0) setTimeout(answer, wait)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: `http://${host}`,
    host,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    records: (domain) => structuredClone(zones.get(domain.toLowerCase()) ?? []),
    maxInFlight: () => maxInFlight,
    inject: (i) => {
      injections.push({ ...i, left: i.times ?? 1 })
    },
    setDelay: (ms) => {
      delay = ms
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
