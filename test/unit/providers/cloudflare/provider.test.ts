import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { cloudflare, type CloudflareMeta, type CloudflareSettings } from '../../../../src/providers/cloudflare/index.js'
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { loadFixture, startCloudflare, type FakeCloudflare, type SeedRecord } from '../../../helpers/cloudflare-server.js'
import { makeCtx } from '../../reconcile/support.js'

const TOKEN = 'cf-FAKE-token-0123456789abcdef'
const ZONE_ID = '023e105f4ecef8ad9ca31a8372d0c353'

let servers: FakeCloudflare[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function fake(opts: Parameters<typeof startCloudflare>[0]): Promise<FakeCloudflare> {
  const s = await startCloudflare(opts)
  servers.push(s)
  return s
}

/** The fixture listing of example.com (A/TXT/CAA/MX at the apex, proxied www, home with TTL 120, a CNAME). */
function exampleRecords(): SeedRecord[] {
  return (loadFixture('records-example').body as { result: SeedRecord[] }).result
}

function provider(cf: FakeCloudflare, ctx: Ctx, keys: Record<string, unknown> = {}, ttl?: number): Provider {
  const { settings } = cloudflare.parse({ token: TOKEN, zone: 'example.com', records: ['home.example.com'], base_url: cf.url, ...keys }, 'domains[0]', {
    secret: (s) => ctx.redactor.add(s),
    warn: () => {},
  })
  return cloudflare.create(settings as CloudflareSettings, ttl !== undefined ? { ttl } : {})
}

const A = (fqdn: string): RecordRef => ({ fqdn, type: 'A', zone: 'example.com' })
const AAAA = (fqdn: string): RecordRef => ({ fqdn, type: 'AAAA', zone: 'example.com' })

function change(ref: RecordRef, value: string, current: Current, create = false): Change {
  return { ref, value, current, create }
}

describe('cloudflare provider: read', () => {
  it('lists the zones once and the zone records once, then matches names locally', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', id: ZONE_ID, records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx)
    const got = await p.read([A('home.example.com'), AAAA('home.example.com'), A('new.example.com'), A('www.example.com')], ctx)
    expect(got.map((c) => c.kind)).toEqual(['present', 'present', 'absent', 'present'])
    expect(got[0]).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: 'api' })
    expect(got[1]).toMatchObject({ kind: 'present', values: ['2001:db8::1'] })
    expect(cf.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /zones', `GET /zones/${ZONE_ID}/dns_records`])
    expect(cf.requests[0]!.query).toEqual({ page: '1', per_page: '50' })
    expect(cf.requests[1]!.query).toEqual({ page: '1', per_page: '1000' })
    expect(cf.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`)
  })

  it('sends the global API key as X-Auth-Email / X-Auth-Key', async () => {
    const cf = await fake({ email: 'me@example.com', key: 'fake-global-key-123', zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { token: undefined, email: 'me@example.com', key: 'fake-global-key-123' })
    const [home] = await p.read([A('home.example.com')], ctx)
    expect(home).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
    expect(cf.requests[0]!.headers['x-auth-email']).toBe('me@example.com')
    expect(cf.requests[0]!.headers['x-auth-key']).toBe('fake-global-key-123')
    expect(cf.requests[0]!.headers.authorization).toBeUndefined()
  })

  it('matches names case-insensitively', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: '192.0.2.1' }] }] })
    const ctx = makeCtx()
    const [c] = await provider(cf, ctx).read([A('HOME.Example.com')], ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
  })

  it('follows every page of a zone listing (2500 records, 3 pages of 1000)', async () => {
    const records: SeedRecord[] = Array.from({ length: 2500 }, (_, i) => ({ type: 'A', name: `h${i}.example.com`, content: `198.51.100.${i % 250}` }))
    records[2400] = { type: 'A', name: 'home.example.com', content: '192.0.2.1' }
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records }] })
    const ctx = makeCtx()
    const [home, last] = await provider(cf, ctx).read([A('home.example.com'), A('h2499.example.com')], ctx)
    expect(home).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
    expect(last).toMatchObject({ kind: 'present', values: ['198.51.100.249'] })
    const pages = cf.requests.filter((r) => r.path.endsWith('/dns_records')).map((r) => r.query.page)
    expect(pages).toEqual(['1', '2', '3'])
  })

  it('follows pages when the server gives fewer records per page than asked (4 pages of 5)', async () => {
    const records: SeedRecord[] = Array.from({ length: 18 }, (_, i) => ({ type: 'TXT', name: `t${i}.example.com`, content: `"${i}"` }))
    records.push({ type: 'A', name: 'home.example.com', content: '192.0.2.1' })
    const cf = await fake({ token: TOKEN, maxRecordsPerPage: 5, zones: [{ name: 'example.com', records }] })
    const ctx = makeCtx()
    const [home] = await provider(cf, ctx).read([A('home.example.com')], ctx)
    expect(home).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
    expect(cf.requests.filter((r) => r.path.endsWith('/dns_records')).map((r) => r.query.page)).toEqual(['1', '2', '3', '4'])
  })

  it('finds a zone on a later page of the zones listing and asks each page once', async () => {
    const zones = Array.from({ length: 120 }, (_, i) => ({ name: `z${String(i).padStart(3, '0')}.test` }))
    zones.push({ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: '192.0.2.1' }] } as (typeof zones)[number])
    const cf = await fake({ token: TOKEN, zones })
    const ctx = makeCtx()
    const [home] = await provider(cf, ctx).read([A('home.example.com')], ctx)
    expect(home).toMatchObject({ kind: 'present' })
    expect(cf.requests.filter((r) => r.path === '/zones').map((r) => r.query.page)).toEqual(['1', '2', '3'])
  })

  it('shares one zones listing and one record listing per account within a run (one Ctx)', async () => {
    const cf = await fake({
      token: TOKEN,
      zones: [
        { name: 'example.com', records: exampleRecords() },
        { name: 'example.net', records: [{ type: 'A', name: 'home.example.net', content: '192.0.2.2' }] },
      ],
    })
    const ctx = makeCtx()
    const p1 = provider(cf, ctx)
    const p2 = provider(cf, ctx, { records: ['www.example.com'] })
    const p3 = provider(cf, ctx, { zone: 'example.net', records: ['home.example.net'] })
    const [a, b, c] = await Promise.all([p1.read([A('home.example.com')], ctx), p2.read([A('www.example.com')], ctx), p3.read([{ fqdn: 'home.example.net', type: 'A' }], ctx)])
    expect([a[0]!.kind, b[0]!.kind, c[0]!.kind]).toEqual(['present', 'present', 'present'])
    expect(cf.requests.filter((r) => r.path === '/zones')).toHaveLength(1)
    expect(cf.requests.filter((r) => r.path.endsWith('/dns_records'))).toHaveLength(2)

    // A new run (a new Ctx) reads afresh.
    const ctx2 = makeCtx()
    await p1.read([A('home.example.com')], ctx2)
    expect(cf.requests.filter((r) => r.path === '/zones')).toHaveLength(2)
  })

  it('BC-11: only the A record counts at a name that also holds TXT, CAA and MX', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const [apex] = await provider(cf, ctx, { records: ['@'] }).read([A('example.com')], ctx)
    expect(apex).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
    expect((apex as { meta: CloudflareMeta }).meta.records.map((r) => r.id)).toEqual(['a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'])
  })

  it('BC-11: a CNAME at the name is a conflict, for A and AAAA alike', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const got = await provider(cf, ctx, { records: ['alias.example.com'] }).read([A('alias.example.com'), AAAA('alias.example.com')], ctx)
    for (const c of got) {
      expect(c.kind).toBe('failed')
      const e = (c as { error: EdgeError }).error
      expect(e.kind).toBe('conflict')
      expect(e.message).toMatch(/^cloudflare: alias\.example\.com is a CNAME \(to target\.example\.net\)/)
    }
  })

  it('presents every value when a name holds several A records', async () => {
    const cf = await fake({
      token: TOKEN,
      zones: [{ name: 'example.com', records: [{ type: 'A', name: 'rr.example.com', content: '192.0.2.1' }, { type: 'A', name: 'rr.example.com', content: '192.0.2.2' }] }],
    })
    const ctx = makeCtx()
    const [c] = await provider(cf, ctx).read([A('rr.example.com')], ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.1', '192.0.2.2'] })
  })

  it('zone not found: a clear notfound error for every record, no record listing', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.net' }] })
    const ctx = makeCtx()
    const got = await provider(cf, ctx).read([A('home.example.com'), AAAA('home.example.com')], ctx)
    for (const c of got) {
      expect(c).toMatchObject({ kind: 'failed' })
      const e = (c as { error: EdgeError }).error
      expect(e.kind).toBe('notfound')
      expect(e.message).toBe('cloudflare: zone example.com not found (these credentials see 1 zone)')
      expect(e.hint).toMatch(/Zone:Read/)
    }
    expect(cf.requests.map((r) => r.path)).toEqual(['/zones'])
  })

  it.each([
    ['server-error', 'transient', /^cloudflare: HTTP 500 from 127\.0\.0\.1:\d+: Internal Server Error \(code 10001\)$/],
    ['bad-gateway-html', 'transient', /^cloudflare: unexpected text\/html from 127\.0\.0\.1:\d+ \(HTTP 502\)$/],
    ['html-200', 'protocol', /^cloudflare: unexpected text\/html from 127\.0\.0\.1:\d+ \(HTTP 200\)$/],
    ['rate-limited', 'ratelimit', /^cloudflare: HTTP 429 from 127\.0\.0\.1:\d+: Please wait and consider throttling your request speed \(code 971\)$/],
    ['auth-permission', 'forbidden', /^cloudflare: HTTP 403 from 127\.0\.0\.1:\d+: Authentication error \(code 10000\)$/],
  ])('BC-34: %s on the record listing fails every record of the zone, never "absent"', async (fixture, kind, msg) => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    cf.inject({ method: 'GET', path: /\/dns_records$/, fixture })
    const ctx = makeCtx()
    const got = await provider(cf, ctx).read([A('home.example.com'), A('new.example.com')], ctx)
    for (const c of got) {
      expect(c.kind).toBe('failed')
      const e = (c as { error: EdgeError }).error
      expect(e.kind).toBe(kind)
      expect(e.message).toMatch(msg)
    }
  })

  it('BC-34: a failure on a later page fails the zone: a partial listing is never read as "absent"', async () => {
    const records: SeedRecord[] = Array.from({ length: 12 }, (_, i) => ({ type: 'A', name: `h${i}.example.com`, content: '198.51.100.1' }))
    const cf = await fake({ token: TOKEN, maxRecordsPerPage: 5, zones: [{ name: 'example.com', records }] })
    cf.inject({ method: 'GET', path: /\/dns_records$/, query: { page: '2' }, fixture: 'server-error' })
    const ctx = makeCtx()
    const [h0, missing] = await provider(cf, ctx).read([A('h0.example.com'), A('new.example.com')], ctx)
    expect(h0!.kind).toBe('failed')
    expect(missing!.kind).toBe('failed')
    expect((missing as { error: EdgeError }).error.kind).toBe('transient')
    expect(cf.requests.filter((r) => r.path.endsWith('/dns_records')).map((r) => r.query.page)).toEqual(['1', '2'])
  })

  it('a connection refused is a transient failure naming cloudflare and the host', async () => {
    const cf = await fake({ token: TOKEN, zones: [] })
    const url = cf.url
    await cf.close()
    servers = []
    const ctx = makeCtx()
    const p = provider({ url } as FakeCloudflare, ctx)
    const [c] = await p.read([A('home.example.com')], ctx)
    expect(c!.kind).toBe('failed')
    const e = (c as { error: EdgeError }).error
    expect(e.kind).toBe('transient')
    expect(e.message).toMatch(/^cloudflare: GET 127\.0\.0\.1:\d+: ECONNREFUSED/)
  })

  it('a timeout is a transient failure', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com' }] })
    cf.inject({ path: '/zones', delayMs: 2_000, status: 200, body: {} })
    const ctx = makeCtx({ httpMs: 200 })
    const [c] = await provider(cf, ctx).read([A('home.example.com')], ctx)
    expect((c as { error: EdgeError }).error).toMatchObject({ kind: 'transient' })
    expect((c as { error: EdgeError }).error.message).toMatch(/timed out after 200 ms/)
  })
})

describe('cloudflare provider: write', () => {
  async function readOne(cf: FakeCloudflare, ctx: Ctx, p: Provider, ref: RecordRef): Promise<Current> {
    const [c] = await p.read([ref], ctx)
    return c!
  }

  it('BC-08: PATCH sends only {content}; proxied, TTL, comment and tags stay', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', id: ZONE_ID, records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['www.example.com'] })
    const cur = await readOne(cf, ctx, p, A('www.example.com'))
    const [o] = await p.write([change(A('www.example.com'), '192.0.2.20', cur)], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '192.0.2.20', previous: ['192.0.2.10'] })
    const writes = cf.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({ method: 'PATCH', path: `/zones/${ZONE_ID}/dns_records/w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1`, body: { content: '192.0.2.20' } })
    expect(Object.keys(writes[0]!.body as object)).toEqual(['content'])
    expect(writes[0]!.headers['content-type']).toBe('application/json')
    const www = cf.records('example.com').find((r) => r.id === 'w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1')!
    expect(www).toMatchObject({ content: '192.0.2.20', proxied: true, ttl: 1, comment: 'behind the orange cloud', tags: ['owner:home', 'env:prod'] })
  })

  it('BC-09: an existing TTL of 120 is kept (no ttl in the PATCH)', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, {}, 300)
    const cur = await readOne(cf, ctx, p, A('home.example.com'))
    await p.write([change(A('home.example.com'), '192.0.2.10', cur)], ctx)
    expect(cf.writes()[0]!.body).toEqual({ content: '192.0.2.10' })
    expect(cf.records('example.com').find((r) => r.name === 'home.example.com' && r.type === 'A')).toMatchObject({ content: '192.0.2.10', ttl: 120 })
  })

  it.each([
    ['invalid-ttl', 'DNS Validation Error (code 1004): TTL must be between 60 and 86400 seconds, or 1 for Automatic. (code 9021)'],
    ['invalid-ttl-legacy', 'Invalid TTL. Must be between 120 and 2,147,483,647 seconds, or 1 for automatic (code 9021)'],
  ])('BC-09: %s is surfaced with code 9021 as kind invalid', async (fixture, text) => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    cf.inject({ method: 'PATCH', fixture })
    const ctx = makeCtx()
    const p = provider(cf, ctx)
    const cur = await readOne(cf, ctx, p, A('home.example.com'))
    const [o] = await p.write([change(A('home.example.com'), '192.0.2.10', cur)], ctx)
    expect(o!.status).toBe('failed')
    expect(o!.error).toMatchObject({ kind: 'invalid', code: 9021, retryable: false })
    expect(o!.error!.message).toBe(`cloudflare: HTTP 400 from ${cf.host}: ${text}`)
  })

  it('BC-09: a created record gets the configured TTL, or 1 (automatic), and proxied false', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', id: ZONE_ID, records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['new.example.com', 'new6.example.com'] }, 300)
    const [c1, c2] = await p.read([A('new.example.com'), AAAA('new6.example.com')], ctx)
    const out = await p.write([change(A('new.example.com'), '192.0.2.10', c1!, true), change(AAAA('new6.example.com'), '2001:db8::10', c2!, true)], ctx)
    expect(out.map((o) => o.status)).toEqual(['created', 'created'])
    expect(cf.writes().map((w) => [w.method, w.path, w.body])).toEqual([
      ['POST', `/zones/${ZONE_ID}/dns_records`, { type: 'A', name: 'new.example.com', content: '192.0.2.10', ttl: 300, proxied: false }],
      ['POST', `/zones/${ZONE_ID}/dns_records`, { type: 'AAAA', name: 'new6.example.com', content: '2001:db8::10', ttl: 300, proxied: false }],
    ])

    const cf2 = await fake({ token: TOKEN, zones: [{ name: 'example.com' }] })
    const ctx2 = makeCtx()
    const p2 = provider(cf2, ctx2, { records: ['new.example.com'] })
    const [c] = await p2.read([A('new.example.com')], ctx2)
    await p2.write([change(A('new.example.com'), '192.0.2.10', c!, true)], ctx2)
    expect(cf2.writes()[0]!.body).toMatchObject({ ttl: 1, proxied: false })
  })

  it('BC-11: a create refused for a CNAME at the name (81054) is a conflict with its code', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx)
    // The read saw nothing (the CNAME appeared between read and write).
    const absent: Current = { kind: 'absent', via: 'api', meta: { zoneId: cf.zoneId('example.com'), records: [] } }
    const [o] = await p.write([change(A('alias.example.com'), '192.0.2.10', absent, true)], ctx)
    expect(o!.error).toMatchObject({ kind: 'conflict', code: 81054 })
    expect(o!.error!.message).toMatch(/A CNAME record with that host already exists/)
  })

  it('a record deleted between read and write fails as notfound (81044)', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx)
    const cur = await readOne(cf, ctx, p, A('home.example.com'))
    cf.inject({ method: 'PATCH', fixture: 'record-not-found' })
    const [o] = await p.write([change(A('home.example.com'), '192.0.2.10', cur)], ctx)
    expect(o!.error).toMatchObject({ kind: 'notfound', code: 81044 })
  })

  it('429 gives ratelimit with Retry-After seconds, and the remaining changes are not sent', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['home.example.com', 'www.example.com'] })
    const [home, www] = await p.read([A('home.example.com'), A('www.example.com')], ctx)
    // Two updates go out as one batch; a rate limit there is not retried record by record.
    cf.inject({ method: 'POST', path: /\/batch$/, fixture: 'rate-limited' })
    const out = await p.write([change(A('home.example.com'), '192.0.2.10', home!), change(A('www.example.com'), '192.0.2.10', www!)], ctx)
    expect(out.map((o) => o.status)).toEqual(['failed', 'failed'])
    expect(out[0]!.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 60, code: 971, retryable: true })
    expect(out[1]!.error).toBe(out[0]!.error)
    expect(cf.writes()).toHaveLength(1)
  })

  it('429 on a PATCH (after a refused batch) stops the records not yet sent', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['home.example.com', 'www.example.com'] })
    const [home, www] = await p.read([A('home.example.com'), A('www.example.com')], ctx)
    cf.inject({ method: 'POST', path: /\/batch$/, fixture: 'invalid-content' })
    cf.inject({ method: 'PATCH', fixture: 'rate-limited' })
    const out = await p.write([change(A('home.example.com'), '192.0.2.10', home!), change(A('www.example.com'), '192.0.2.10', www!)], ctx)
    expect(out.map((o) => [o.status, o.error?.kind])).toEqual([
      ['failed', 'ratelimit'],
      ['failed', 'ratelimit'],
    ])
    expect(cf.writes().map((w) => w.method)).toEqual(['POST', 'PATCH'])
  })

  it('one failing change does not stop the next (invalid content, then a good one)', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['home.example.com', 'www.example.com'] })
    const [home, www] = await p.read([A('home.example.com'), A('www.example.com')], ctx)
    // Cloudflare refuses a whole batch for one bad item; each record then goes on its own PATCH.
    cf.inject({ method: 'POST', path: /\/batch$/, fixture: 'invalid-content' })
    cf.inject({ method: 'PATCH', fixture: 'invalid-content' })
    const out = await p.write([change(A('home.example.com'), '192.0.2.10', home!), change(A('www.example.com'), '192.0.2.11', www!)], ctx)
    expect(out.map((o) => o.status)).toEqual(['failed', 'updated'])
    expect(out[0]!.error).toMatchObject({ kind: 'invalid', code: 9005 })
    expect(cf.writes().map((w) => w.method)).toEqual(['POST', 'PATCH', 'PATCH'])
    expect(cf.records('example.com').find((r) => r.name === 'www.example.com' && r.type === 'A')!.content).toBe('192.0.2.11')
  })

  it('a later read in the same run sees the value written earlier in it', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx)
    const cur = await readOne(cf, ctx, p, A('home.example.com'))
    await p.write([change(A('home.example.com'), '192.0.2.10', cur)], ctx)
    const again = await readOne(cf, ctx, p, A('home.example.com'))
    expect(again).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
    expect(cf.requests.filter((r) => r.method === 'GET')).toHaveLength(2)
  })

  it('wrong token: auth error with Cloudflare code and text, never the token', async () => {
    const cf = await fake({ token: 'the-right-token-999', zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const [c] = await provider(cf, ctx).read([A('home.example.com')], ctx)
    const e = (c as { error: EdgeError }).error
    expect(e).toMatchObject({ kind: 'auth', code: 9109, retryable: false })
    expect(e.message).toBe(`cloudflare: HTTP 403 from ${cf.host}: Invalid access token (code 9109)`)
    expect(`${e.message} ${e.hint}`).not.toContain(TOKEN)
  })

  it('an error text that echoes the token is redacted', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com' }] })
    cf.inject({ path: '/zones', status: 403, body: { success: false, errors: [{ code: 9109, message: `bad token ${TOKEN}` }], messages: [], result: null } })
    const ctx = makeCtx()
    const [c] = await provider(cf, ctx).read([A('home.example.com')], ctx)
    const e = (c as { error: EdgeError }).error
    expect(e.message).toBe(`cloudflare: HTTP 403 from ${cf.host}: bad token *** (code 9109)`)
  })
})

describe('cloudflare fake server', () => {
  it('a full PUT without proxied would clear it (why the provider uses PATCH, BC-08)', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const id = 'w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1w1'
    const res = await ctx.http.request({
      method: 'PUT',
      url: `${cf.url}/zones/${cf.zoneId('example.com')}/dns_records/${id}`,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'A', name: 'www.example.com', content: '192.0.2.20' }),
    })
    expect(res.status).toBe(200)
    expect(cf.records('example.com').find((r) => r.id === id)).toMatchObject({ proxied: false, ttl: 1, comment: null })
  })

  it('answers a bad TTL with the 9021 fixture, as the API does', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: exampleRecords() }] })
    const ctx = makeCtx()
    const res = await ctx.http.request({
      method: 'POST',
      url: `${cf.url}/zones/${cf.zoneId('example.com')}/dns_records`,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'A', name: 'x', content: '192.0.2.1', ttl: 5 }),
    })
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).errors[0].error_chain[0].code).toBe(9021)
  })
})

describe('cloudflare provider: batch writes', () => {
  /** `n` A records a0..a{n-1}.example.com holding 198.51.100.1, with TTL, proxied and a comment to keep. */
  function many(n: number): SeedRecord[] {
    return Array.from({ length: n }, (_, i) => ({ type: 'A', name: `a${i}.example.com`, content: '198.51.100.1', ttl: 300, proxied: i % 2 === 0, comment: `c${i}` }))
  }

  async function readAll(cf: FakeCloudflare, n: number, ctx: Ctx): Promise<{ p: Provider; cur: Current[]; refs: RecordRef[] }> {
    const names = Array.from({ length: n }, (_, i) => `a${i}.example.com`)
    const p = provider(cf, ctx, { records: names })
    const refs = names.map(A)
    return { p, cur: await p.read(refs, ctx), refs }
  }

  it('two or more updates in a zone go out as one batch of {id, content} patches; other fields stay', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', id: ZONE_ID, records: many(3) }] })
    const ctx = makeCtx()
    const { p, cur, refs } = await readAll(cf, 3, ctx)
    const before = cf.records('example.com')
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!)),
      ctx,
    )
    expect(out.map((o) => [o.status, o.value, o.previous])).toEqual(refs.map(() => ['updated', '192.0.2.7', ['198.51.100.1']]))
    const writes = cf.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({ method: 'POST', path: `/zones/${ZONE_ID}/dns_records/batch` })
    expect(writes[0]!.body).toEqual({ patches: before.map((r) => ({ id: r.id, content: '192.0.2.7' })) })
    for (const [i, r] of cf.records('example.com').entries()) {
      expect(r).toMatchObject({ content: '192.0.2.7', ttl: 300, proxied: before[i]!.proxied, comment: `c${i}` })
    }
  })

  it('a single update stays a PATCH', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(2) }] })
    const ctx = makeCtx()
    const { p, cur, refs } = await readAll(cf, 2, ctx)
    const out = await p.write([change(refs[1]!, '192.0.2.7', cur[1]!)], ctx)
    expect(out[0]!.status).toBe('updated')
    expect(cf.writes().map((w) => w.method)).toEqual(['PATCH'])
  })

  it.each([
    [2, [2]],
    [200, [200]],
    [201, [200, 'PATCH']],
    [450, [200, 200, 50]],
  ] as [number, (number | 'PATCH')[]][])('%i updates go out in batches of at most 200: %j', async (n, shape) => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(n) }] })
    const ctx = makeCtx()
    const { p, cur, refs } = await readAll(cf, n, ctx)
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!)),
      ctx,
    )
    expect(out.every((o) => o.status === 'updated')).toBe(true)
    expect(cf.writes().map((w) => (w.method === 'PATCH' ? 'PATCH' : (w.body as { patches: unknown[] }).patches.length))).toEqual(shape)
    expect(cf.records('example.com').every((r) => r.content === '192.0.2.7')).toBe(true)
  })

  it('a refused batch (one record deleted meanwhile) falls back to one PATCH each: the others are updated', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(3) }] })
    const ctx = makeCtx()
    const { p, cur, refs } = await readAll(cf, 3, ctx)
    // Deleted between read and write: the real batch fails as a whole (record not found) and
    // changes nothing; the fake does the same.
    const gone = cf.records('example.com')[1]!.id
    const del = await fetchLike(cf, 'DELETE', `/zones/${cf.zoneId('example.com')}/dns_records/${gone}`)
    expect(del).toBe(200)
    const writesBefore = cf.writes().length
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!)),
      ctx,
    )
    expect(out.map((o) => o.status)).toEqual(['updated', 'failed', 'updated'])
    expect(out[1]!.error).toMatchObject({ kind: 'notfound', code: 81044 })
    expect(cf.writes().slice(writesBefore).map((w) => w.method)).toEqual(['POST', 'PATCH', 'PATCH', 'PATCH'])
    expect(ctx.lines.some((l) => /cloudflare: zone example\.com: batch of 3 updates failed \(.*81044.*\); sending them one by one/.test(l))).toBe(true)
    expect(cf.records('example.com').map((r) => r.content)).toEqual(['192.0.2.7', '192.0.2.7'])
  })

  it('a batch that times out is re-sent as PATCHes (idempotent), so the records end right', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(2) }] })
    const ctx = makeCtx({ httpMs: 300 })
    const { p, cur, refs } = await readAll(cf, 2, ctx)
    cf.inject({ method: 'POST', path: /\/batch$/, status: 200, body: {}, delayMs: 1_000 })
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!)),
      ctx,
    )
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(cf.writes().map((w) => w.method)).toEqual(['POST', 'PATCH', 'PATCH'])
  })

  it('creates are never batched; updates beside them are', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(2) }] })
    const ctx = makeCtx()
    const p = provider(cf, ctx, { records: ['a0.example.com', 'a1.example.com', 'new.example.com'] })
    const refs = [A('a0.example.com'), A('a1.example.com'), A('new.example.com')]
    const cur = await p.read(refs, ctx)
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!, i === 2)),
      ctx,
    )
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated', 'created'])
    expect(cf.writes().map((w) => [w.method, w.path.split('/').pop()])).toEqual([
      ['POST', 'batch'],
      ['POST', 'dns_records'],
    ])
  })

  it('a batch answer holding another content than sent fails that record (read again next run)', async () => {
    const cf = await fake({ token: TOKEN, zones: [{ name: 'example.com', records: many(2) }] })
    const ctx = makeCtx()
    const { p, cur, refs } = await readAll(cf, 2, ctx)
    const ids = cf.records('example.com').map((r) => r.id)
    cf.inject({
      method: 'POST',
      path: /\/batch$/,
      status: 200,
      body: { success: true, errors: [], messages: [], result: { patches: [{ id: ids[0], content: '192.0.2.7' }, { id: ids[1], content: '192.0.2.99' }] } },
    })
    const out = await p.write(
      refs.map((r, i) => change(r, '192.0.2.7', cur[i]!)),
      ctx,
    )
    expect(out[0]!.status).toBe('updated')
    expect(out[1]!.status).toBe('failed')
    expect(out[1]!.error?.message).toBe('cloudflare answered content 192.0.2.99 after the update to 192.0.2.7; the record is read again next run')
  })
})

/** A bare request to the fake (to change it behind the provider's back); returns the status. */
async function fetchLike(cf: FakeCloudflare, method: string, path: string): Promise<number> {
  const { request } = await import('node:http')
  return new Promise((resolve, reject) => {
    const req = request(`${cf.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end()
  })
}
