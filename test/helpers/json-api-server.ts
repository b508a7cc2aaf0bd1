import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * One local fake for every JSON REST API provider (node:http on 127.0.0.1, port 0), parameterised
 * per service by a `route` function that answers like the service's documentation (each service's
 * route lives beside its tests, in test/unit/providers/<name>/fake.ts). The server records every
 * request (method, raw and decoded path, query, headers, parsed JSON or form body) so a test can
 * assert the exact request, and scripted answers (`inject`) take precedence over the route: an
 * answer from a fixture file of test/fixtures/<service>/ (each naming the documentation page it
 * follows), or one written in the test.
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
  /** Path as sent, percent-encoding kept. */
  rawPath: string
  /** Path with each segment decoded. */
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
  /** How many matching requests get it; default 1. */
  times?: number
}

/** A running fake. */
export interface FakeApi {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** `127.0.0.1:<port>`, as error messages name it. */
  host: string
  requests: Recorded[]
  /** Requests other than GET. */
  writes(): Recorded[]
  inject(i: Injection): void
  close(): Promise<void>
}

/** Reads `test/fixtures/<service>/<name>.json` without its `_doc`. */
export function loadFixture(service: string, name: string): Answer {
  const f = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/${service}/${name}.json`, import.meta.url)), 'utf8')) as Answer & { _doc?: string }
  delete f._doc
  return f
}

/** Starts a fake for `service` answering through `route`. */
export async function startJsonApi(service: string, route: Route): Promise<FakeApi> {
  const requests: Recorded[] = []
  const injections: (Injection & { left: number })[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake')
      const segs = u.pathname.split('/').filter(Boolean).map((s) => decodeURIComponent(s))
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
        rawPath: u.pathname,
        path: `/${segs.join('/')}`,
        segs,
        search: u.search.slice(1),
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body,
        text,
      }
      requests.push(rec)
      const inj = injections.find(
        (i) =>
          i.left > 0 &&
          (i.method === undefined || i.method.toUpperCase() === rec.method) &&
          (i.path === undefined || (typeof i.path === 'string' ? i.path === rec.path : i.path.test(rec.path))),
      )
      let a: Answer | undefined
      if (inj) {
        inj.left--
        a = inj.fixture ? loadFixture(service, inj.fixture) : inj.answer
      } else a = route(rec)
      a ??= { status: 404, body: { error: 'no route' } }
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
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url: `http://${host}`,
    host,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
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
