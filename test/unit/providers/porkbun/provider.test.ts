import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { porkbun, type PorkbunMeta, type PorkbunSettings } from '../../../../src/providers/porkbun/index.js'
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { loadPorkbunFixture, startPorkbun, type FakePorkbun, type PbSeedDomain, type PbSeedRecord } from '../../../helpers/porkbun-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'

const KEY = 'pk1_FAKE0123456789abcdef'
const SECRET = 'sk1_FAKEfedcba9876543210'
const AUTH = { apikey: KEY, secretapikey: SECRET }

let servers: FakePorkbun[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

function fixtureRecords(name: string): PbSeedRecord[] {
  return (loadPorkbunFixture(name).body as { records: PbSeedRecord[] }).records
}

async function fake(opts: Partial<Parameters<typeof startPorkbun>[0]> = {}, domains?: Record<string, PbSeedDomain>): Promise<FakePorkbun> {
  const s = await startPorkbun({
    key: KEY,
    secret: SECRET,
    domains: domains ?? { 'example.com': { records: fixtureRecords('records-example') }, 'example.net': { records: fixtureRecords('parked-defaults') } },
    ...opts,
  })
  servers.push(s)
  return s
}

/** A provider for one entry, with pacing off unless `gapMs` is given. */
function provider(pb: FakePorkbun | { url: string }, ctx: Ctx, keys: Record<string, unknown> = {}, ttl?: number, gapMs = 0): Provider {
  const { settings } = porkbun.parse({ domain: 'example.com', key: KEY, secret: SECRET, records: ['home'], base_url: pb.url, ...keys }, 'domains[0]', {
    secret: (s) => ctx.redactor.add(s),
    warn: () => {},
  })
  return porkbun.create({ ...(settings as PorkbunSettings), minGapMs: gapMs }, ttl !== undefined ? { ttl } : {})
}

const ref = (fqdn: string, type: 'A' | 'AAAA' = 'A', zone = 'example.com'): RecordRef => ({ fqdn, type, zone })
const change = (r: RecordRef, value: string, current: Current, create = false): Change => ({ ref: r, value, current, create })
const errorOf = (c: Current | undefined): EdgeError => {
  expect(c?.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}
const noGap = (s: PorkbunSettings): PorkbunSettings => ({ ...s, minGapMs: 0 })

describe('porkbun provider: read', () => {
  it('POSTs retrieveByNameType with the key pair in the JSON body and presents the values, string TTL kept', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const [a, aaaa] = await provider(pb, ctx).read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    expect(a).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: 'api' })
    expect((a as { meta: PorkbunMeta }).meta.records).toEqual([
      { id: '356408594', name: 'home.example.com', type: 'A', content: '192.0.2.1', ttl: '3600', prio: '0', notes: 'home router, managed by edge-ddns' },
    ])
    expect(aaaa).toMatchObject({ kind: 'present', values: ['2001:db8::1'] })
    expect(pb.requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual(['POST /dns/retrieveByNameType/example.com/A/home', 'POST /dns/retrieveByNameType/example.com/AAAA/home'])
    expect(pb.requests[0]!.body).toEqual(AUTH)
    expect(pb.requests[0]!.headers['content-type']).toBe('application/json')
    expect(pb.requests[0]!.headers.authorization).toBeUndefined()
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j reads the apex with no subdomain segment, never "@"', async (name) => {
    const pb = await fake()
    const ctx = makeCtx()
    const entry = entryFor(porkbun, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: [name], base_url: pb.url }, { settings: noGap })
    const [c] = await porkbun.create(entry.settings as PorkbunSettings, {}).read(entry.records, ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
    expect(pb.requests.map((r) => r.rawPath)).toEqual(['/dns/retrieveByNameType/example.com/A'])
  })

  it('BC-22: with "@" as a path segment Porkbun would find nothing (why edge-ddns never sends one)', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const res = await ctx.http.request({ method: 'POST', url: `${pb.url}/dns/retrieveByNameType/example.com/A/@`, body: JSON.stringify(AUTH) })
    expect(JSON.parse(res.body)).toEqual({ status: 'SUCCESS', cloudflare: 'enabled', records: [] })
    const edit = await ctx.http.request({ method: 'POST', url: `${pb.url}/dns/editByNameType/example.com/A/@`, body: JSON.stringify({ ...AUTH, content: '192.0.2.20' }) })
    expect(edit.status).toBe(400)
    expect(JSON.parse(edit.body)).toEqual({ status: 'ERROR', message: 'Edit error: We were unable to edit the DNS record.' })
  })

  it('BC-11: records of other types or names in the answer are ignored', async () => {
    const pb = await fake()
    pb.inject({
      path: '/dns/retrieveByNameType/example.com/A/home',
      body: { status: 'SUCCESS', cloudflare: 'enabled', records: fixtureRecords('records-example') },
    })
    const ctx = makeCtx()
    const [c] = await provider(pb, ctx).read([ref('home.example.com')], ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
  })

  it('reads numbers where Porkbun gives strings, and the other way round', async () => {
    const pb = await fake()
    pb.inject({
      path: '/dns/retrieveByNameType/example.com/A/home',
      body: { status: 'SUCCESS', records: [{ id: 356408594, name: 'HOME.example.com', type: 'a', content: '192.0.2.1', ttl: 1800, prio: null, notes: null }] },
    })
    const ctx = makeCtx()
    const [c] = await provider(pb, ctx).read([ref('home.example.com')], ctx)
    expect((c as { meta: PorkbunMeta }).meta.records).toEqual([{ id: '356408594', name: 'home.example.com', type: 'A', content: '192.0.2.1', ttl: '1800' }])
  })

  it('an empty answer is absent after CNAME and ALIAS lookups at the name come back empty', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const [c] = await provider(pb, ctx, { records: ['new'] }).read([ref('new.example.com')], ctx)
    expect(c).toMatchObject({ kind: 'absent', via: 'api', meta: { records: [] } })
    expect(pb.requests.map((r) => r.rawPath)).toEqual([
      '/dns/retrieveByNameType/example.com/A/new',
      '/dns/retrieveByNameType/example.com/CNAME/new',
      '/dns/retrieveByNameType/example.com/ALIAS/new',
    ])
  })

  it.each([
    ['@', 'example.net', 'ALIAS', /^porkbun: example\.net has an ALIAS record \(to pixie\.porkbun\.com\); an A record cannot exist beside it$/],
    ['*', '*.example.net', 'CNAME', /^porkbun: \*\.example\.net has a CNAME record \(to pixie\.porkbun\.com\); an A record cannot exist beside it$/],
  ])('BC-22: the parked %s (%s) holds its %s: a clear conflict, and no create is sent', async (name, fqdn, _type, msg) => {
    const pb = await fake()
    const ctx = makeCtx()
    const entry = entryFor(porkbun, ctx, { domain: 'example.net', key: KEY, secret: SECRET, records: [name], base_url: pb.url }, { create: true, settings: noGap })
    const [r] = await reconcile([entry], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    const o = r!.outcomes[0]!
    expect(o.ref.fqdn).toBe(fqdn)
    expect(o.status).toBe('failed')
    expect(o.error).toMatchObject({ kind: 'conflict', retryable: false })
    expect(o.error!.message).toMatch(msg)
    expect(o.error!.hint).toMatch(/parked domains/)
    expect(pb.writes()).toEqual([])
    expect(pb.requests.every((q) => !q.rawPath.includes('/@'))).toBe(true)
  })

  it.each([
    ['invalid-api-key-002', 'auth', /^porkbun: HTTP 400 from 127\.0\.0\.1:\d+: Invalid API key\. \(002\)$/],
    ['not-opted-in', 'forbidden', /^porkbun: HTTP 400 from 127\.0\.0\.1:\d+: Domain is not opted in to API access\.$/],
    ['invalid-domain', 'notfound', /^porkbun: HTTP 400 from 127\.0\.0\.1:\d+: Invalid domain\.$/],
    ['rate-limited-503', 'transient', /^porkbun: unexpected text\/html from 127\.0\.0\.1:\d+ \(HTTP 503\)$/],
    ['bad-gateway-502', 'transient', /^porkbun: unexpected text\/html from 127\.0\.0\.1:\d+ \(HTTP 502\)$/],
  ])('BC-34: %s on a lookup fails the record, never "absent", and the rest are not sent', async (fixture, kind, msg) => {
    const pb = await fake()
    pb.inject({ fixture })
    const ctx = makeCtx()
    const got = await provider(pb, ctx, { records: ['home', 'new'] }).read([ref('home.example.com'), ref('new.example.com')], ctx)
    for (const c of got) {
      const e = errorOf(c)
      expect(e.kind).toBe(kind)
      expect(e.message).toMatch(msg)
    }
    expect(pb.requests).toHaveLength(1)
  })

  it('a domain with API access off is forbidden with a hint to switch it on (the fake answers it, no injection)', async () => {
    const pb = await fake({}, { 'example.com': { apiAccess: false, records: [] } })
    const ctx = makeCtx()
    const e = errorOf((await provider(pb, ctx).read([ref('home.example.com')], ctx))[0])
    expect(e).toMatchObject({ kind: 'forbidden', retryable: false })
    expect(e.hint).toMatch(/API ACCESS for example\.com/)
  })

  it('wrong keys are an auth error that names neither key', async () => {
    const pb = await fake({ secret: 'sk1_the-right-one-FAKE' })
    const ctx = makeCtx()
    const e = errorOf((await provider(pb, ctx).read([ref('home.example.com')], ctx))[0])
    expect(e).toMatchObject({ kind: 'auth', retryable: false, code: 400 })
    expect(`${e.message} ${e.hint}`).not.toContain(SECRET)
    expect(`${e.message} ${e.hint}`).not.toContain(KEY)
  })

  it('BC-25: the old porkbun.com host answers 403 HTML: "unexpected text/html from <host>" with a base_url hint', async () => {
    const pb = await fake({ oldHost: true })
    const ctx = makeCtx()
    const got = await provider(pb, ctx, { records: ['home', 'www'] }).read([ref('home.example.com'), ref('www.example.com')], ctx)
    const e = errorOf(got[0])
    expect(e).toMatchObject({ kind: 'protocol', retryable: false, code: 403 })
    expect(e.message).toBe(`porkbun: unexpected text/html from ${pb.host} (HTTP 403)`)
    expect(e.hint).toMatch(/api\.porkbun\.com/)
    expect(errorOf(got[1])).toBe(e)
    expect(pb.requests).toHaveLength(1)
  })

  it('a 200 without "status" is a protocol error', async () => {
    const pb = await fake()
    pb.inject({ body: { records: [] } })
    const ctx = makeCtx()
    const e = errorOf((await provider(pb, ctx).read([ref('home.example.com')], ctx))[0])
    expect(e).toMatchObject({ kind: 'protocol' })
    expect(e.message).toBe(`porkbun: HTTP 200 from ${pb.host}: answer has no "status"`)
  })
})

describe('porkbun provider: write', () => {
  async function readOne(p: Provider, ctx: Ctx, r: RecordRef): Promise<Current> {
    const [c] = await p.read([r], ctx)
    return c!
  }

  it('edits the record it read by id, sending back name, type, TTL "3600", prio and notes with the new content', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx, {}, 900)
    const before = pb.records('example.com')
    const [o] = await p.write([change(ref('home.example.com'), '198.51.100.7', await readOne(p, ctx, ref('home.example.com')))], ctx)
    expect(o).toEqual({ ref: ref('home.example.com'), status: 'updated', value: '198.51.100.7', previous: ['192.0.2.1'] })
    const writes = pb.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]!.rawPath).toBe('/dns/edit/example.com/356408594')
    expect(writes[0]!.body).toEqual({ ...AUTH, name: 'home', type: 'A', content: '198.51.100.7', ttl: '3600', prio: '0', notes: 'home router, managed by edge-ddns' })
    const after = pb.records('example.com')
    expect(after.find((r) => r.id === '356408594')).toEqual({
      id: '356408594',
      name: 'home.example.com',
      type: 'A',
      content: '198.51.100.7',
      ttl: '3600',
      prio: '0',
      notes: 'home router, managed by edge-ddns',
    })
    // The AAAA and TXT at home, the A at www and the apex, the MX/TXT/NS are as they were.
    expect(after.filter((r) => r.id !== '356408594')).toEqual(before.filter((r) => r.id !== '356408594'))
  })

  it('BC-22: the apex is edited with name "" (the TTL of 700 and null notes kept), never "@"', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx, { records: ['@'] })
    await p.write([change(ref('example.com'), '192.0.2.20', await readOne(p, ctx, ref('example.com')))], ctx)
    expect(pb.writes().map((w) => [w.rawPath, w.body])).toEqual([
      ['/dns/edit/example.com/354399918', { ...AUTH, name: '', type: 'A', content: '192.0.2.20', ttl: '700', prio: '0', notes: '' }],
    ])
    expect(pb.records('example.com').find((r) => r.id === '354399918')).toMatchObject({ name: 'example.com', content: '192.0.2.20', ttl: '700' })
  })

  it('creates with name, type, content and the configured TTL (else "600"); missing without create = true', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx, { records: ['new'] }, 1200)
    const cur = await readOne(p, ctx, ref('new.example.com'))
    const [missing] = await p.write([change(ref('new.example.com'), '192.0.2.55', cur)], ctx)
    expect(missing).toEqual({ ref: ref('new.example.com'), status: 'missing', value: '192.0.2.55' })
    expect(pb.writes()).toEqual([])
    const [created] = await p.write([change(ref('new.example.com'), '192.0.2.55', cur, true)], ctx)
    expect(created).toEqual({ ref: ref('new.example.com'), status: 'created', value: '192.0.2.55' })
    expect(pb.writes().map((w) => [w.rawPath, w.body])).toEqual([['/dns/create/example.com', { ...AUTH, name: 'new', type: 'A', content: '192.0.2.55', ttl: '1200' }]])

    const pb2 = await fake({}, { 'example.com': { records: [] } })
    const p3 = provider(pb2, ctx, { records: ['@'] })
    const cur3 = await readOne(p3, ctx, ref('example.com', 'AAAA'))
    await p3.write([change(ref('example.com', 'AAAA'), '2001:db8::10', cur3, true)], ctx)
    expect(pb2.writes()[0]!.body).toEqual({ ...AUTH, name: '', type: 'AAAA', content: '2001:db8::10', ttl: '600' })
    expect(pb2.records('example.com')).toMatchObject([{ name: 'example.com', type: 'AAAA', content: '2001:db8::10', ttl: '600' }])
  })

  it('a name holding two A records is a conflict and nothing is sent', async () => {
    const pb = await fake({}, { 'example.com': { records: [{ name: 'rr', type: 'A', content: '192.0.2.1' }, { name: 'rr', type: 'A', content: '192.0.2.2' }] } })
    const ctx = makeCtx()
    const p = provider(pb, ctx, { records: ['rr'] })
    const cur = await readOne(p, ctx, ref('rr.example.com'))
    const [o] = await p.write([change(ref('rr.example.com'), '192.0.2.3', cur)], ctx)
    expect(o!.error).toMatchObject({ kind: 'conflict' })
    expect(pb.writes()).toEqual([])
  })

  it('an edit error is invalid with Porkbun\'s text, and the next change is still sent', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx, { records: ['home', 'www'] })
    const [home, www] = await p.read([ref('home.example.com'), ref('www.example.com')], ctx)
    pb.inject({ path: /^\/dns\/edit\//, fixture: 'edit-error' })
    const out = await p.write([change(ref('home.example.com'), '192.0.2.20', home!), change(ref('www.example.com'), '192.0.2.21', www!)], ctx)
    expect(out.map((o) => o.status)).toEqual(['failed', 'updated'])
    expect(out[0]!.error).toMatchObject({ kind: 'invalid', retryable: false })
    expect(out[0]!.error!.message).toBe(`porkbun: HTTP 400 from ${pb.host}: Edit error: We were unable to edit the DNS record.`)
    expect(pb.writes()).toHaveLength(2)
  })

  it('BC-06: a 503 from the proxy is transient and the remaining changes are not sent', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx, { records: ['home', 'www'] })
    const [home, www] = await p.read([ref('home.example.com'), ref('www.example.com')], ctx)
    pb.inject({ path: /^\/dns\/edit\//, fixture: 'rate-limited-503' })
    const out = await p.write([change(ref('home.example.com'), '192.0.2.20', home!), change(ref('www.example.com'), '192.0.2.21', www!)], ctx)
    expect(out[0]!.error).toMatchObject({ kind: 'transient', retryable: true, code: 503 })
    expect(out[1]!.error).toBe(out[0]!.error)
    expect(pb.writes()).toHaveLength(1)
  })

  it('429 is a rate limit that honours Retry-After', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const p = provider(pb, ctx)
    const cur = await readOne(p, ctx, ref('home.example.com'))
    pb.inject({ path: /^\/dns\/edit\//, status: 429, body: { status: 'ERROR', message: 'Too many requests.' }, headers: { 'retry-after': '120' } })
    const [o] = await p.write([change(ref('home.example.com'), '192.0.2.20', cur)], ctx)
    expect(o!.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 120 })
  })
})

describe('porkbun provider: reconcile, credentials and pacing', () => {
  it('first run edits the stale records; the second run reads and sends no write', async () => {
    const pb = await fake()
    const ctx = makeCtx()
    const entry = entryFor(porkbun, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['home', '@', 'www'], base_url: pb.url }, { families: [4, 6], settings: noGap })
    const addr = addresses({ 4: '192.0.2.10', 6: '2001:db8::1' })
    const [first] = await reconcile([entry], addr, ctx, { dryRun: false })
    expect(first!.outcomes.map((o) => `${o.ref.fqdn} ${o.ref.type} ${o.status}`)).toEqual([
      'home.example.com A updated',
      'home.example.com AAAA unchanged',
      'example.com A unchanged',
      'example.com AAAA missing',
      'www.example.com A unchanged',
      'www.example.com AAAA missing',
    ])
    expect(pb.writes().map((w) => w.rawPath)).toEqual(['/dns/edit/example.com/356408594'])
    const [second] = await reconcile([entry], addr, makeCtx(), { dryRun: false })
    expect(second!.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'missing', 'unchanged', 'missing'])
    expect(pb.writes()).toHaveLength(1)
  })

  it('BC-28: key and secret with & # $ % : + arrive byte for byte in the body and never in a log line or error', async () => {
    const key = 'pk1_Ab&c#d$e%f:g+h'
    const secret = 'sk1_Ab&c#d$e%f:g+h'
    const pb = await fake({ key, secret })
    const ctx = makeCtx({ level: 'debug' })
    const entry = entryFor(porkbun, ctx, { domain: 'example.com', key, secret, records: ['home', 'new'], base_url: pb.url }, { settings: noGap })
    pb.inject({ path: '/dns/retrieveByNameType/example.com/A/new', status: 400, body: { status: 'ERROR', message: `Invalid API key for ${key} / ${secret}.` } })
    const [r] = await reconcile([entry], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(pb.requests[0]!.body).toEqual({ apikey: key, secretapikey: secret })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['updated', 'failed'])
    expect(r!.outcomes[1]!.error!.message).toBe(`porkbun: HTTP 400 from ${pb.host}: Invalid API key for *** / ***.`)
    expect(ctx.lines.some((l) => l.startsWith('debug: porkbun: POST /dns/retrieveByNameType/example.com/A/home: HTTP 200 application/json'))).toBe(true)
    const all = ctx.lines.join('\n')
    for (const s of [key, secret, encodeURIComponent(secret), JSON.stringify(secret)]) expect(all).not.toContain(s)
  })

  it('BC-06: calls of one account go one at a time and at least the gap apart, across entries', async () => {
    const pb = await fake()
    pb.setDelay(10)
    const ctx = makeCtx()
    // The gap is kept between the starts of two calls, so it is measured where calls start.
    const starts: number[] = []
    const http = ctx.http
    ctx.http = { request: (req) => (starts.push(performance.now()), http.request(req)) }
    const gap = (s: PorkbunSettings): PorkbunSettings => ({ ...s, minGapMs: 60 })
    const e1 = entryFor(porkbun, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['home'], base_url: pb.url }, { index: 0, settings: gap })
    const e2 = entryFor(porkbun, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['www'], base_url: pb.url }, { index: 1, settings: gap })
    await reconcile([e1, e2], addresses({ 4: '192.0.2.99' }), ctx, { dryRun: false })
    expect(pb.requests).toHaveLength(4)
    expect(pb.maxInFlight()).toBe(1)
    expect(starts).toHaveLength(4)
    // Timers may fire a millisecond early; the gap is what is asked, not a speed claim.
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(58)
  })
})
