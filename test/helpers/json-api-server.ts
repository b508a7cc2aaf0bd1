import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * One local fake for every JSON REST API provider (node:http on 127.0.0.1, port 0), parameterised
 * per service by a `route` function that answers like the service's documentation (each service's
 * route lives beside its tests, in test/unit/providers/<name>/fake.ts, or in a helper of its own:
 * godaddy-server.ts, porkbun-server.ts). The server records every request (method, raw and decoded
 * path, query, headers, parsed JSON or form body, arrival time) so a test can assert the exact
 * request, and scripted answers (`inject`) take precedence over the route: an answer from a
 * fixture file of test/fixtures/<service>/ (each naming the documentation page it follows), or
 * one written in the test. It counts how many requests were being answered at once, and can hold
 * every answer back (`setDelay`) to make overlapping requests observable.
 */

/** An answer to send. */
export interface Answer {
  status: number
  headers?: Record<string, string>
  /** JSON body. */
  body?: unknown
  /** Non-JSON body, sent as is (content-type text/plain unless the headers say otherwise). */
  raw?: string
}

/** One request as the fake received it. */
export interface Recorded {
  method: string
  /** Path below `basePath` as sent, percent-encoding kept. */
  rawPath: string
  /** Path below `basePath` with each segment decoded. */
  path: string
  /** Decoded path segments. */
  segs: string[]
  /** The raw query string without `?` ('' when none). */
  search: string
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  /** Parsed JSON, the form fields of a form body, the text otherwise; undefined when empty. */
  body: any
  /** The body text as sent. */
  text: string
  /** `performance.now()` at arrival, in milliseconds. */
  at: number
}

/** What a route returns; undefined means 404 `{"error": "no route"}`. */
export type Route = (req: Recorded) => Answer | undefined

/** A scripted answer. */
export interface Injection {
  method?: string
  /** Decoded path: exact string, or a RegExp tested against it. */
  path?: string | RegExp
  /** A fixture file of test/fixtures/<service>/ (without `.json`). */
  fixture?: string
  answer?: Answer
  /** Headers sent on top of the answer's. */
  headers?: Record<string, string>
  /** How many matching requests get it; default 1. */
  times?: number
  /** Milliseconds to wait before answering. */
  delayMs?: number
}

/** A scripted answer written flat (the GoDaddy and Porkbun fakes): a fixture, or a status with a JSON body or raw text. */
export interface FlatInjection {
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

/** The Injection of a FlatInjection (status 200 unless given). */
export function flat(i: FlatInjection): Injection {
  return { ...i, ...(i.fixture ? {} : { answer: { status: i.status ?? 200, ...(i.raw !== undefined ? { raw: i.raw } : { body: i.body }) } }) }
}

/** An answer with its headers always set (a fixture as the GoDaddy and Porkbun fakes hand it out). */
export interface Fixture extends Answer {
  headers: Record<string, string>
}

/** `loadFixture` with `headers` always set. */
export function fixtureOf(service: string, name: string): Fixture {
  const f = loadFixture(service, name)
  return { ...f, headers: f.headers ?? {} }
}

/** A running fake. */
export interface FakeApi {
  /** `http://127.0.0.1:<port>` and the base path. */
  url: string
  /** `127.0.0.1:<port>`, as error messages name it. */
  host: string
  requests: Recorded[]
  /** Requests other than GET. */
  writes(): Recorded[]
  inject(i: Injection): void
  /** The most requests that were being answered at the same time. */
  maxInFlight(): number
  /** Milliseconds every answer waits; default 0. */
  setDelay(ms: number): void
  close(): Promise<void>
}

/** Options of a fake beyond its route. */
export interface JsonApiOptions {
  /** The path of the base URL (`/api/json/v3`): recorded paths are below it. */
  basePath?: string
  /** An answer that comes before injections and the route (a host that is not the API). */
  first?: () => Answer | undefined
}

/** Reads `test/fixtures/<service>/<name>.json` without its `_doc`. */
export function loadFixture(service: string, name: string): Answer {
  const f = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${service}/${name}.json`, import.meta.url)), 'utf8')) as Answer & { _doc?: string }
  delete f._doc
  return f
}

/** Starts a fake for `service` answering through `route`. */
export async function startJsonApi(service: string, route: Route, opts: JsonApiOptions = {}): Promise<FakeApi> {
  const base = opts.basePath ?? ''
  const requests: Recorded[] = []
  const injections: (Injection & { left: number })[] = []
  let inFlight = 0
  let maxInFlight = 0
  let delay = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const u = new URL(req.url ?? '/', 'http://fake')
      const rawPath = u.pathname.startsWith(base) ? u.pathname.slice(base.length) || '/' : u.pathname
      const segs = rawPath.split('/').filter(Boolean).map((s) => decodeURIComponent(s))
      const text = Buffer.concat(chunks).toString('utf8')
      let body: any
      if (text !== '') {
        if (String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) body = Object.fromEntries(new URLSearchParams(text))
        else {
          try {
            body = JSON.parse(text)
          } catch {
            body = text
          }
        }
      }
      const rec: Recorded = {
        method: (req.method ?? 'GET').toUpperCase(),
        rawPath,
        path: `/${segs.join('/')}`,
        segs,
        search: u.search.slice(1),
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body,
        text,
        at: performance.now(),
      }
      requests.push(rec)
      const inj = injections.find(
        (i) =>
          i.left > 0 &&
          (i.method === undefined || i.method.toUpperCase() === rec.method) &&
          (i.path === undefined || (typeof i.path === 'string' ? i.path === rec.path : i.path.test(rec.path))),
      )
      const answer = (): void => {
        inFlight--
        let a = opts.first?.()
        if (!a && inj) {
          inj.left--
          const f = inj.fixture ? loadFixture(service, inj.fixture) : inj.answer
          a = f ? { ...f, headers: { ...f.headers, ...inj.headers } } : { status: 404, body: { error: 'no route' } }
        }
        if (!a && !u.pathname.startsWith(base)) a = { status: 404, body: { error: 'not below the base path' } }
        a ??= route(rec) ?? { status: 404, body: { error: 'no route' } }
        if (a.raw !== undefined) {
          res.writeHead(a.status, { 'content-type': 'text/plain', ...a.headers })
          res.end(a.raw)
        } else if (a.body === undefined) {
          res.writeHead(a.status, a.headers ?? {})
          res.end()
        } else {
          res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
          res.end(JSON.stringify(a.body))
        }
      }
      const wait = inj?.delayMs ?? delay
      if (wait > 0) setTimeout(answer, wait)
      else answer()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}${base}`,
    host,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    inject: (i) => {
      injections.push({ ...i, left: i.times ?? 1 })
    },
    maxInFlight: () => maxInFlight,
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
