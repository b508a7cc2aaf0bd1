import { isIPv4, isIPv6 } from 'node:net'
import { fixtureOf, flat, startJsonApi, type FakeApi, type Fixture, type FlatInjection, type Recorded } from './json-api-server.js'

/**
 * A local stand-in for Porkbun's API v3 DNS calls (node:http on 127.0.0.1, port 0), for unit and
 * e2e tests. It keeps each domain's records in memory and answers as
 * https://porkbun.com/api/json/v3/documentation documents: every call a POST of JSON with
 * `apikey` and `secretapikey`; `{"status":"SUCCESS",...}` or 400 `{"status":"ERROR","message"}`.
 * - `/ping`;
 * - `/dns/retrieve/{domain}[/{id}]`, `/dns/retrieveByNameType/{domain}/{type}[/{subdomain}]`:
 *   `{status, cloudflare, records: [{id, name, type, content, ttl, prio, notes}]}`, ttl/prio/id as strings;
 * - `/dns/edit/{domain}/{id}`: replaces the record; a field not sent goes back to its default
 *   (name: the apex, ttl "600", prio "0", notes ""), the fake's reading of an undocumented point;
 * - `/dns/editByNameType/{domain}/{type}[/{subdomain}]`: sets content (and ttl, prio, notes, with
 *   the same defaults) of every record matching; none matching is "Edit error";
 * - `/dns/create/{domain}` → `{status, id}`; an A/AAAA at a name holding a CNAME or ALIAS, or
 *   a CNAME/ALIAS at a name holding anything, is "Create error" (the parked-domain trap, BC-22);
 * - `/dns/delete/{domain}/{id}`, `/dns/deleteByNameType/{domain}/{type}[/{subdomain}]`.
 * A subdomain of `@` is taken literally, as Porkbun does: it names `@.example.com`, which holds
 * nothing (BC-22). A domain not in the account is "Invalid domain."; one with API access off is
 * "Domain is not opted in to API access.". With `oldHost`, every request gets the 403 HTML page the
 * old porkbun.com host sends since the move (BC-25). Error answers come from the fixtures in
 * test/fixtures/porkbun/ (each names its documentation). The server, the request record and the
 * scripted answers are the shared JSON API fake's (json-api-server.ts).
 *
 * Base URL: `http://127.0.0.1:<port>/api/json/v3`, the same path as the real API.
 */

const BASE_PATH = '/api/json/v3'

export type { Fixture }

/** Reads `test/fixtures/porkbun/<name>.json` (without the `_doc`). */
export const loadPorkbunFixture = (name: string): Fixture => fixtureOf('porkbun', name)

/** A record as the fake stores and lists it (Porkbun's field names and string values). */
export interface PbStoredRecord {
  id: string
  /** Full name: `home.example.com`, `example.com` for the apex. */
  name: string
  type: string
  content: string
  ttl: string
  prio: string | null
  notes: string | null
}

/** A record to seed: `name` full or relative (`""`/`@` = apex); ttl "600", prio "0", notes "" by default. */
export interface PbSeedRecord {
  id?: string
  name: string
  type: string
  content: string
  ttl?: string | number
  prio?: string | null
  notes?: string | null
}

/** One domain of the account. */
export interface PbSeedDomain {
  records?: PbSeedRecord[]
  /** The per-domain API ACCESS switch; default true. */
  apiAccess?: boolean
}

/** Options of the fake. */
export interface PorkbunOptions {
  key: string
  secret: string
  domains?: Record<string, PbSeedDomain>
  /** BC-25: answer every request as the old porkbun.com host does (403 text/html). */
  oldHost?: boolean
}

/** One request as the fake received it (`rawPath` and `path` below the base path). */
export type PbRecordedRequest = Recorded

/** A scripted answer that takes precedence over the normal behaviour. */
export type PbInjection = FlatInjection

/** A running fake. */
export interface FakePorkbun extends Omit<FakeApi, 'inject' | 'writes'> {
  /** The requests that change something (edit, create, delete). */
  writes(): PbRecordedRequest[]
  /** A copy of a domain's records, in store order. */
  records(domain: string): PbStoredRecord[]
  inject(i: PbInjection): void
}

const WRITE = /^\/dns\/(?:edit|editByNameType|create|delete|deleteByNameType)\//

function fullName(name: string, domain: string): string {
  const n = name.trim().replace(/\.$/, '').toLowerCase()
  if (n === '') return domain
  return n === domain || n.endsWith(`.${domain}`) ? n : `${n}.${domain}`
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v
  if (typeof v === 'number' && Number.isFinite(v)) return String(v)
  return undefined
}

/** Starts the fake on 127.0.0.1 with an ephemeral port (the shared JSON API fake with Porkbun's route). */
export async function startPorkbun(opts: PorkbunOptions): Promise<FakePorkbun> {
  const domains = new Map<string, { apiAccess: boolean; records: PbStoredRecord[] }>()
  let nextId = 500000000
  const store = (r: PbSeedRecord, domain: string): PbStoredRecord => ({
    id: r.id ?? String(nextId++),
    name: fullName(r.name === '@' ? '' : r.name, domain),
    type: r.type.toUpperCase(),
    content: r.content,
    ttl: str(r.ttl) ?? '600',
    prio: r.prio === undefined ? '0' : r.prio,
    notes: r.notes === undefined ? '' : r.notes,
  })
  for (const [d, seed] of Object.entries(opts.domains ?? {})) {
    const name = d.toLowerCase()
    domains.set(name, { apiAccess: seed.apiAccess ?? true, records: (seed.records ?? []).map((r) => store(r, name)) })
  }

  const ok = (extra: Record<string, unknown> = {}): Fixture => ({ status: 200, headers: {}, body: { status: 'SUCCESS', ...extra } })
  const fail = (message: string): Fixture => ({ status: 400, headers: {}, body: { status: 'ERROR', message } })

  const validContent = (type: string, content: unknown): content is string =>
    typeof content === 'string' && content !== '' && (type !== 'A' || isIPv4(content)) && (type !== 'AAAA' || isIPv6(content))
  /** True when a record of `type` may stand at `name` beside what is there (minus the record `except`). */
  const fits = (recs: PbStoredRecord[], name: string, type: string, except?: string): boolean => {
    const there = recs.filter((r) => r.name === name && r.id !== except)
    if (type === 'CNAME' || type === 'ALIAS') return there.length === 0
    return !there.some((r) => r.type === 'CNAME' || r.type === 'ALIAS')
  }

  const handle = (segs: string[], b: Record<string, unknown>): Fixture => {
    if (segs.length === 1 && segs[0] === 'ping') return ok({ yourIp: '127.0.0.1' })
    if (segs[0] !== 'dns' || segs.length < 3) return { status: 404, headers: {}, body: { status: 'ERROR', message: 'Invalid command.' } }
    const [, cmd, rawDomain] = segs as [string, string, string]
    const domain = rawDomain.toLowerCase()
    const d = domains.get(domain)
    if (!d) return loadPorkbunFixture('invalid-domain')
    if (!d.apiAccess) return loadPorkbunFixture('not-opted-in')
    const rest = segs.slice(3)
    // `/{type}` or `/{type}/` (empty subdomain: the apex) or `/{type}/{sub}`.
    const byName = (): { type: string; name: string } | undefined => {
      const type = rest[0]?.toUpperCase()
      if (!type || rest.length > 2) return undefined
      const sub = rest[1] ?? ''
      return { type, name: sub === '' ? domain : `${sub.toLowerCase()}.${domain}` }
    }
    const list = (recs: PbStoredRecord[]): Fixture => ok({ cloudflare: 'enabled', records: recs.map((r) => ({ ...r })) })

    switch (cmd) {
      case 'retrieve': {
        if (rest.length === 0) return list(d.records)
        return list(d.records.filter((r) => r.id === rest[0]))
      }
      case 'retrieveByNameType': {
        const q = byName()
        if (!q) return fail('Invalid type.')
        return list(d.records.filter((r) => r.type === q.type && r.name === q.name))
      }
      case 'edit': {
        const idx = d.records.findIndex((r) => r.id === rest[0])
        const cur = d.records[idx]
        const type = typeof b.type === 'string' ? b.type.toUpperCase() : undefined
        if (!cur || rest.length !== 1 || !type || !validContent(type, b.content)) return loadPorkbunFixture('edit-error')
        const name = fullName(str(b.name) ?? '', domain)
        if (!fits(d.records, name, type, cur.id)) return loadPorkbunFixture('edit-error')
        d.records[idx] = {
          id: cur.id,
          name,
          type,
          content: b.content as string,
          ttl: str(b.ttl) ?? '600',
          prio: str(b.prio) ?? '0',
          notes: typeof b.notes === 'string' ? b.notes : '',
        }
        return ok()
      }
      case 'editByNameType': {
        const q = byName()
        if (!q || !validContent(q.type, b.content)) return loadPorkbunFixture('edit-error')
        const hits = d.records.filter((r) => r.type === q.type && r.name === q.name)
        if (hits.length === 0) return loadPorkbunFixture('edit-error')
        for (const r of hits) {
          r.content = b.content as string
          r.ttl = str(b.ttl) ?? '600'
          r.prio = str(b.prio) ?? '0'
          r.notes = typeof b.notes === 'string' ? b.notes : ''
        }
        return ok()
      }
      case 'create': {
        const type = typeof b.type === 'string' ? b.type.toUpperCase() : undefined
        const rawName = str(b.name) ?? ''
        if (rest.length !== 0 || !type || !validContent(type, b.content) || rawName.includes('@')) return loadPorkbunFixture('create-error')
        const name = fullName(rawName, domain)
        if (!fits(d.records, name, type)) return loadPorkbunFixture('create-error')
        if (d.records.some((r) => r.name === name && r.type === type && r.content === b.content)) return loadPorkbunFixture('create-error')
        const rec = store({ name, type, content: b.content as string, ttl: str(b.ttl) ?? '600', prio: str(b.prio) ?? '0', notes: typeof b.notes === 'string' ? b.notes : '' }, domain)
        d.records.push(rec)
        return ok({ id: Number(rec.id) })
      }
      case 'delete': {
        const idx = d.records.findIndex((r) => r.id === rest[0])
        if (idx < 0) return fail('Delete error: We were unable to delete the DNS record.')
        d.records.splice(idx, 1)
        return ok()
      }
      case 'deleteByNameType': {
        const q = byName()
        if (!q) return fail('Invalid type.')
        d.records = d.records.filter((r) => !(r.type === q.type && r.name === q.name))
        return ok()
      }
      default:
        return { status: 404, headers: {}, body: { status: 'ERROR', message: 'Invalid command.' } }
    }
  }

  const api = await startJsonApi(
    'porkbun',
    (r) => {
      if (r.method !== 'POST') return { status: 404, body: { status: 'ERROR', message: 'Invalid command.' } }
      const b = typeof r.body === 'object' && r.body !== null && !Array.isArray(r.body) ? (r.body as Record<string, unknown>) : undefined
      if (!b || typeof b.apikey !== 'string' || typeof b.secretapikey !== 'string' || b.apikey === '' || b.secretapikey === '') {
        return loadPorkbunFixture('invalid-api-key-001')
      }
      if (b.apikey !== opts.key || b.secretapikey !== opts.secret) return loadPorkbunFixture('invalid-api-key-002')
      return handle(r.segs, b)
    },
    { basePath: BASE_PATH, first: () => (opts.oldHost ? loadPorkbunFixture('old-host-403') : undefined) },
  )
  return {
    ...api,
    writes: () => api.requests.filter((r) => WRITE.test(r.path)),
    inject: (i) => api.inject(flat(i)),
    records: (domain) => structuredClone(domains.get(domain.toLowerCase())?.records ?? []),
  }
}
