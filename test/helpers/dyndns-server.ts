import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { isIP } from 'node:net'
import { fileURLToPath } from 'node:url'
import type { Script } from './dns-server.js'
import { rr } from './dns-server.js'

/**
 * A local stand-in for the push-only update services (dyndns2 family, Namecheap, DuckDNS, deSEC):
 * node:http on 127.0.0.1, port 0. Each path answers from a route: a fixed answer (usually a
 * fixture from test/fixtures/<provider>/, each naming the documentation page it follows), a
 * sequence of answers, or a function of the request. Every request is recorded — method, path,
 * query (pairs in order), form body, headers and decoded Basic credentials — so a test asserts
 * the exact request sent.
 *
 * For end-to-end runs there are service emulators (`dyndns2Service`, `namecheapService`,
 * `duckdnsService`, `desecService`) that check credentials and hosts as the services' documents
 * say and write into a RecordStore, and `storeDnsScript` serves that store from the test DNS
 * server (test/helpers/dns-server.ts), so a second run reads back what the first wrote.
 */

/** One request as the server saw it. */
export interface Recorded {
  method: string
  /** Path without the query. */
  path: string
  /** Query parameters in order, decoded. */
  query: [string, string][]
  /** Query parameters as an object (a repeated name keeps its last value). */
  q: Record<string, string>
  /** The query string as sent (without `?`). */
  rawQuery: string
  /** The body as sent. */
  body: string
  /** An `application/x-www-form-urlencoded` body, decoded, in order. */
  form?: [string, string][]
  /** The form as an object. */
  f?: Record<string, string>
  headers: http.IncomingHttpHeaders
  /** Decoded `Authorization: Basic` credentials. */
  basic?: { user: string; password: string }
}

/** An answer to send. */
export interface Answer {
  status?: number
  headers?: Record<string, string>
  body: string
}

/** How a path answers: one answer, a sequence (the last repeats), or a function. */
export type Route = Answer | Answer[] | ((req: Recorded) => Answer | Promise<Answer>)

/** A running fake. */
export interface FakeDyndns {
  /** `http://127.0.0.1:<port>` */
  url: string
  /** `127.0.0.1:<port>` */
  host: string
  requests: Recorded[]
  /** Sets (or replaces) the route of a path; `*` answers any path without its own route. */
  route(path: string, r: Route): void
  close(): Promise<void>
}

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

/**
 * Reads `test/fixtures/<provider>/<name>.json`: `{ _doc, status, headers, body }`, where `_doc`
 * names the documentation page the answer follows.
 */
export function fixture(provider: string, name: string): Answer & { doc: string } {
  const f = JSON.parse(readFileSync(`${FIXTURES}${provider}/${name}.json`, 'utf8')) as { _doc: string; status?: number; headers?: Record<string, string>; body: string }
  return { doc: f._doc, status: f.status ?? 200, headers: f.headers ?? { 'content-type': 'text/plain; charset=utf-8' }, body: f.body }
}

function pairs(s: string): [string, string][] {
  return [...new URLSearchParams(s)]
}

function basicOf(h: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(h ?? '')
  if (!m) return undefined
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8')
  const i = text.indexOf(':')
  return i < 0 ? { user: text, password: '' } : { user: text.slice(0, i), password: text.slice(i + 1) }
}

/** Starts a fake on 127.0.0.1 with the given routes. */
export async function startDyndnsServer(routes: Record<string, Route> = {}): Promise<FakeDyndns> {
  const table = new Map<string, { route: Route; next: number }>(Object.entries(routes).map(([k, r]) => [k, { route: r, next: 0 }]))
  const requests: Recorded[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        const u = new URL(req.url ?? '/', 'http://fake')
        const body = Buffer.concat(chunks).toString('utf8')
        const rec: Recorded = {
          method: req.method ?? 'GET',
          path: u.pathname,
          query: pairs(u.search),
          q: Object.fromEntries(pairs(u.search)),
          rawQuery: u.search.replace(/^\?/, ''),
          body,
          headers: req.headers,
        }
        if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
          rec.form = pairs(body)
          rec.f = Object.fromEntries(rec.form)
        }
        const b = basicOf(req.headers.authorization)
        if (b) rec.basic = b
        requests.push(rec)
        const entry = table.get(u.pathname) ?? table.get('*')
        let ans: Answer
        if (!entry) ans = { status: 404, body: 'not found' }
        else if (typeof entry.route === 'function') ans = await entry.route(rec)
        else if (Array.isArray(entry.route)) ans = entry.route[Math.min(entry.next++, entry.route.length - 1)] as Answer
        else ans = entry.route
        res.writeHead(ans.status ?? 200, { 'content-type': 'text/plain; charset=utf-8', ...(ans.headers ?? {}) })
        res.end(ans.body)
      })().catch((e: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(`fake server error: ${String(e)}`)
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    route: (path, r) => {
      table.set(path, { route: r, next: 0 })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

// ---------------------------------------------------------------------------------------------
// Service emulators and the record store they share with a DNS server

/** A/AAAA values per name: what the services hold and the test DNS server answers. */
export class RecordStore {
  private readonly names = new Map<string, { A: string[]; AAAA: string[] }>()

  /** Makes a name exist (with no records unless given). */
  add(fqdn: string, a: string[] = [], aaaa: string[] = []): this {
    this.names.set(fqdn.toLowerCase(), { A: [...a], AAAA: [...aaaa] })
    return this
  }

  has(fqdn: string): boolean {
    return this.names.has(fqdn.toLowerCase())
  }

  /** The values of a type at a name; undefined when the name does not exist. */
  get(fqdn: string, type: 'A' | 'AAAA'): string[] | undefined {
    return this.names.get(fqdn.toLowerCase())?.[type]
  }

  /** Sets the values; returns whether they changed. */
  set(fqdn: string, type: 'A' | 'AAAA', values: string[]): boolean {
    const e = this.names.get(fqdn.toLowerCase()) ?? { A: [], AAAA: [] }
    const before = e[type].join(',')
    e[type] = [...values]
    this.names.set(fqdn.toLowerCase(), e)
    return before !== values.join(',')
  }
}

/** A DNS server script answering A/AAAA from the store: NXDOMAIN for unknown names, NODATA for a missing type. */
export function storeDnsScript(store: RecordStore): Script {
  return (q) => {
    const name = q.name.replace(/\.$/, '')
    if (!store.has(name)) return { rcode: 'NXDOMAIN' }
    if (q.type !== 'A' && q.type !== 'AAAA') return { answers: [] }
    return { answers: (store.get(name, q.type) ?? []).map((v) => rr(q.name, q.type as 'A' | 'AAAA', v)) }
  }
}

function text(body: string, status = 200): Answer {
  return { status, body, headers: { 'content-type': 'text/plain; charset=utf-8' } }
}

/** Options of the dyndns2 emulator. */
export interface Dyndns2ServiceOptions {
  store: RecordStore
  /** Basic credentials, or HE's key as form/query `password` (Basic then answers badauth). */
  auth: { kind: 'basic'; user: string; password: string } | { kind: 'password-param'; password: string }
  /** Host names of the account. */
  hosts: string[]
  /** How IPv6 arrives: `myip=v4,v6`, a separate parameter (`v6Param`), or one family per request. */
  ipv6: 'comma' | 'param' | 'separate'
  v6Param?: string
  /** With `param`: the value meaning "leave this family" (Dynu: `no`). */
  keep?: string
  /** Dynu form: `hostname=<domain>&alias=<label>`. */
  alias?: boolean
}

/**
 * A dyndns2 service (help.dyn.com return codes): `badauth` for wrong credentials, `nohost` for an
 * unknown host, `good <ip>` after a change and `nochg <ip>` otherwise, one line per host.
 */
export function dyndns2Service(o: Dyndns2ServiceOptions): (req: Recorded) => Answer {
  return (req) => {
    const params: Record<string, string> = { ...req.q, ...(req.f ?? {}) }
    if (o.auth.kind === 'basic') {
      if (req.basic?.user !== o.auth.user || req.basic.password !== o.auth.password) return text('badauth')
    } else if (req.headers.authorization !== undefined || params.password !== o.auth.password) {
      return text('badauth')
    }
    const hosts = o.alias ? [params.alias ? `${params.alias}.${params.hostname}` : (params.hostname ?? '')] : (params.hostname ?? '').split(',')
    const addrs: { 4?: string; 6?: string } = {}
    const take = (v: string | undefined): void => {
      for (const a of (v ?? '').split(',')) {
        const f = isIP(a)
        if (f === 4 || f === 6) addrs[f] = a
      }
    }
    if (o.ipv6 === 'param') {
      if (params.myip !== o.keep) take(params.myip)
      const v6 = params[o.v6Param ?? 'myipv6']
      if (v6 !== o.keep && isIP(v6 ?? '') === 6) addrs[6] = v6 as string
    } else {
      take(params.myip)
    }
    const lines = hosts.map((h) => {
      if (!o.hosts.includes(h.toLowerCase())) return 'nohost'
      if (!o.store.has(h)) o.store.add(h)
      let changed = false
      for (const f of [4, 6] as const) if (addrs[f]) changed = o.store.set(h, f === 4 ? 'A' : 'AAAA', [addrs[f] as string]) || changed
      const echo = [addrs[4], addrs[6]].filter(Boolean).join(',')
      return `${changed ? 'good' : 'nochg'} ${echo}`.trim()
    })
    return text(lines.join('\n'))
  }
}

/** A Namecheap dynamic DNS service: `<interface-response>` XML, HTTP 200 either way (BC-01). */
export function namecheapService(o: { store: RecordStore; domain: string; password: string; hosts: string[] }): (req: Recorded) => Answer {
  const xml = (inner: string): Answer => ({
    status: 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body: `<?xml version="1.0" encoding="utf-16"?><interface-response><Command>SETDNSHOST</Command><Language>eng</Language>${inner}<Done>true</Done><debug><![CDATA[]]></debug></interface-response>`,
  })
  const fail = (msg: string): Answer => xml(`<ErrCount>1</ErrCount><errors><Err1>${msg}</Err1></errors><ResponseCount>1</ResponseCount>`)
  return (req) => {
    const { host = '', domain = '', password = '', ip = '' } = req.q
    if (domain !== o.domain || password !== o.password) return fail('Passwords do not match')
    if (!o.hosts.includes(host)) return fail('No Records updated. A record not Found;')
    const fqdn = host === '@' ? domain : `${host}.${domain}`
    o.store.set(fqdn, 'A', [ip])
    return xml(`<IP>${ip}</IP><ErrCount>0</ErrCount><ResponseCount>0</ResponseCount>`)
  }
}

/** A DuckDNS service: `KO` for a wrong token or foreign domain, else `OK` (verbose when asked). */
export function duckdnsService(o: { store: RecordStore; token: string; domains: string[] }): (req: Recorded) => Answer {
  return (req) => {
    const labels = (req.q.domains ?? '').split(',')
    if (req.q.token !== o.token || !labels.every((l) => o.domains.includes(l))) return text('KO')
    let changed = false
    for (const l of labels) {
      const fqdn = `${l}.duckdns.org`
      if (!o.store.has(fqdn)) o.store.add(fqdn)
      if (req.q.ip) changed = o.store.set(fqdn, 'A', [req.q.ip]) || changed
      if (req.q.ipv6) changed = o.store.set(fqdn, 'AAAA', [req.q.ipv6]) || changed
    }
    if (req.q.verbose !== 'true') return text('OK')
    return text(`OK\n${req.q.ip ?? ''}\n${req.q.ipv6 ?? ''}\n${changed ? 'UPDATED' : 'NOCHANGE'}`)
  }
}

/**
 * A deSEC dynDNS service: Basic (user = host name, password = token) or `Authorization: Token`;
 * 401 for a wrong token, 404 for an unknown host; `preserve` keeps a family, a family not named is
 * deleted; a second update of a host within `windowMs` gets 429 with `Retry-After`.
 */
export function desecService(o: { store: RecordStore; token: string; hosts: string[]; windowMs?: number; retryAfterSec?: number }): (req: Recorded) => Answer {
  const last = new Map<string, number>()
  return (req) => {
    const auth = String(req.headers.authorization ?? '')
    const token = req.basic ? req.basic.password : /^Token\s+(\S+)$/.exec(auth)?.[1]
    if (token !== o.token) return { status: 401, headers: { 'content-type': 'application/json' }, body: '{"detail":"Invalid token."}' }
    const host = (req.q.hostname ?? req.basic?.user ?? '').toLowerCase()
    if (!o.hosts.includes(host)) return { status: 404, headers: { 'content-type': 'application/json' }, body: '{"detail":"Not found."}' }
    const now = Date.now()
    const prev = last.get(host)
    if (o.windowMs && prev !== undefined && now - prev < o.windowMs) {
      return { status: 429, headers: { 'content-type': 'application/json', 'retry-after': String(o.retryAfterSec ?? 60) }, body: '{"detail":"Request was throttled."}' }
    }
    last.set(host, now)
    if (!o.store.has(host)) o.store.add(host)
    for (const [param, type] of [
      ['myipv4', 'A'],
      ['myipv6', 'AAAA'],
    ] as const) {
      const v = req.q[param]
      if (v === 'preserve') continue
      o.store.set(host, type, v ? [v] : [])
    }
    return text('good')
  }
}
