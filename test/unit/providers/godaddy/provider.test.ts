import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { godaddy, type GoDaddyMeta, type GoDaddySettings } from '../../../../src/providers/godaddy/index.js'
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { loadGoDaddyFixture, startGoDaddy, type FakeGoDaddy, type GdSeedRecord } from '../../../helpers/godaddy-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from './support.js'

const KEY = 'gd-FAKE-key-0123456789'
const SECRET = 'gd-FAKE-secret-abcdef'

let servers: FakeGoDaddy[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

/** The fixture records of example.com (A/AAAA/TXT at home, A at www and @, CNAME at shop, MX/TXT/NS at @). */
function exampleRecords(): GdSeedRecord[] {
  return loadGoDaddyFixture('records-example').body as GdSeedRecord[]
}

async function fake(opts: Partial<Parameters<typeof startGoDaddy>[0]> = {}): Promise<FakeGoDaddy> {
  const s = await startGoDaddy({ key: KEY, secret: SECRET, domains: { 'example.com': exampleRecords() }, ...opts })
  servers.push(s)
  return s
}

function provider(gd: FakeGoDaddy, ctx: Ctx, keys: Record<string, unknown> = {}, ttl?: number): Provider {
  const { settings } = godaddy.parse({ domain: 'example.com', key: KEY, secret: SECRET, records: ['home'], base_url: gd.url, ...keys }, 'domains[0]', {
    secret: (s) => ctx.redactor.add(s),
    warn: () => {},
  })
  return godaddy.create(settings as GoDaddySettings, ttl !== undefined ? { ttl } : {})
}

const A = (fqdn: string): RecordRef => ({ fqdn, type: 'A', zone: 'example.com' })
const AAAA = (fqdn: string): RecordRef => ({ fqdn, type: 'AAAA', zone: 'example.com' })
const change = (ref: RecordRef, value: string, current: Current, create = false): Change => ({ ref, value, current, create })
const errorOf = (c: Current | undefined): EdgeError => {
  expect(c?.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}

describe('godaddy provider: read', () => {
  it('GETs the name-scoped path with the sso-key header and presents the values with their TTL', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const [a, aaaa] = await provider(gd, ctx).read([A('home.example.com'), AAAA('home.example.com')], ctx)
    expect(a).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: 'api' })
    expect((a as { meta: GoDaddyMeta }).meta.records).toEqual([{ type: 'A', name: 'home', data: '192.0.2.1', ttl: 3600 }])
    expect(aaaa).toMatchObject({ kind: 'present', values: ['2001:db8::1'] })
    expect(gd.requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual(['GET /v1/domains/example.com/records/A/home', 'GET /v1/domains/example.com/records/AAAA/home'])
    expect(gd.requests[0]!.headers.authorization).toBe(`sso-key ${KEY}:${SECRET}`)
    expect(gd.requests[0]!.headers.accept).toBe('application/json')
    expect(gd.requests[0]!.body).toBeUndefined()
  })

  it.each([['@'], [''], ['example.com'], ['example.com.']])('BC-22: record %j reads the apex as /records/A/@', async (name) => {
    const gd = await fake()
    const ctx = makeCtx()
    const entry = entryFor(godaddy, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: [name], base_url: gd.url })
    expect(entry.records).toEqual([{ fqdn: 'example.com', type: 'A', zone: 'example.com' }])
    const [c] = await godaddy.create(entry.settings as GoDaddySettings, {}).read(entry.records, ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
    expect(gd.requests.map((r) => r.rawPath)).toEqual(['/v1/domains/example.com/records/A/@'])
  })

  it('BC-11: only records of the asked type at the asked name count, even if the answer holds others', async () => {
    const gd = await fake()
    gd.inject({
      method: 'GET',
      path: '/v1/domains/example.com/records/A/home',
      body: [
        { type: 'TXT', name: 'home', data: 'v=spf1 -all', ttl: 3600 },
        { type: 'A', name: 'www', data: '192.0.2.10', ttl: 600 },
        { type: 'A', name: 'home', data: '192.0.2.1', ttl: 3600 },
      ],
    })
    const ctx = makeCtx()
    const [c] = await provider(gd, ctx).read([A('home.example.com')], ctx)
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.1'] })
  })

  it('an empty list is absent, after a CNAME lookup at the name came back empty too', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const [c] = await provider(gd, ctx, { records: ['new'] }).read([A('new.example.com')], ctx)
    expect(c).toMatchObject({ kind: 'absent', via: 'api', meta: { records: [] } })
    expect(gd.requests.map((r) => r.rawPath)).toEqual(['/v1/domains/example.com/records/A/new', '/v1/domains/example.com/records/CNAME/new'])
  })

  it('BC-11: a CNAME at the name is a conflict, never absent', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const got = await provider(gd, ctx, { records: ['shop'] }).read([A('shop.example.com'), AAAA('shop.example.com')], ctx)
    for (const c of got) {
      const e = errorOf(c)
      expect(e.kind).toBe('conflict')
      expect(e.message).toMatch(/^godaddy: shop\.example\.com is a CNAME \(to shops\.example\.net\)/)
    }
    expect(gd.writes()).toEqual([])
  })

  it('BC-23: 403 ACCESS_DENIED is forbidden, not retried, with the account-type hint; nothing more is sent', async () => {
    const gd = await fake({ accessDenied: true })
    const ctx = makeCtx()
    const got = await provider(gd, ctx, { records: ['home', '@'] }).read([A('home.example.com'), AAAA('home.example.com'), A('example.com')], ctx)
    const e = errorOf(got[0])
    expect(e).toMatchObject({ kind: 'forbidden', retryable: false, code: 'ACCESS_DENIED' })
    expect(e.message).toBe(`godaddy: HTTP 403 from ${gd.host}: Authenticated user is not allowed access (ACCESS_DENIED)`)
    expect(e.hint).toMatch(/account/)
    expect(e.hint).toMatch(/10 or more domains/)
    expect(got.map((c) => errorOf(c))).toEqual([e, e, e])
    expect(gd.requests).toHaveLength(1)
  })

  it.each([
    ['server-error', 'transient', /^godaddy: HTTP 500 from 127\.0\.0\.1:\d+: Internal server error \(INTERNAL_SERVER_ERROR\)$/],
    ['gateway-timeout', 'transient', /^godaddy: HTTP 504 from 127\.0\.0\.1:\d+: Gateway timeout \(GATEWAY_TIMEOUT\)$/],
    ['html-502', 'transient', /^godaddy: unexpected text\/html from 127\.0\.0\.1:\d+ \(HTTP 502\)$/],
    ['too-many-requests', 'ratelimit', /^godaddy: HTTP 429 from 127\.0\.0\.1:\d+: Too many requests received within interval \(TOO_MANY_REQUESTS\)$/],
    ['unknown-domain', 'notfound', /^godaddy: HTTP 404 from 127\.0\.0\.1:\d+: The given domain is not registered, or does not have a zone file \(UNKNOWN_DOMAIN\)$/],
    ['unable-to-authenticate', 'auth', /^godaddy: HTTP 401 from 127\.0\.0\.1:\d+: Unauthorized : Could not authenticate API key\/secret \(UNABLE_TO_AUTHENTICATE\)$/],
  ])('BC-34: %s on a lookup fails the record, never "absent", and the rest are not sent', async (fixture, kind, msg) => {
    const gd = await fake()
    gd.inject({ method: 'GET', fixture })
    const ctx = makeCtx()
    const got = await provider(gd, ctx, { records: ['home', 'new'] }).read([A('home.example.com'), A('new.example.com')], ctx)
    for (const c of got) {
      const e = errorOf(c)
      expect(e.kind).toBe(kind)
      expect(e.message).toMatch(msg)
    }
    expect(gd.requests).toHaveLength(1)
  })

  it('a 200 that is not a list of records is a protocol error', async () => {
    const gd = await fake()
    gd.inject({ method: 'GET', body: { records: [] } })
    const ctx = makeCtx()
    const e = errorOf((await provider(gd, ctx).read([A('home.example.com')], ctx))[0])
    expect(e).toMatchObject({ kind: 'protocol' })
    expect(e.message).toBe('godaddy: GET /v1/domains/example.com/records/A/home: answer is not a list of records')
  })

  it('a connection refused and a timeout are transient failures naming godaddy', async () => {
    const gd = await fake()
    gd.inject({ method: 'GET', delayMs: 2_000, body: [] })
    const ctx = makeCtx({ httpMs: 200 })
    const e = errorOf((await provider(gd, ctx).read([A('home.example.com')], ctx))[0])
    expect(e.kind).toBe('transient')
    expect(e.message).toMatch(/^godaddy: GET 127\.0\.0\.1:\d+: timed out after 200 ms$/)

    const url = gd.url
    await gd.close()
    servers = []
    const ctx2 = makeCtx()
    const e2 = errorOf((await provider({ url } as FakeGoDaddy, ctx2).read([A('home.example.com')], ctx2))[0])
    expect(e2.kind).toBe('transient')
    expect(e2.message).toMatch(/^godaddy: GET 127\.0\.0\.1:\d+: ECONNREFUSED/)
  })
})

describe('godaddy provider: write', () => {
  async function readOne(p: Provider, ctx: Ctx, ref: RecordRef): Promise<Current> {
    const [c] = await p.read([ref], ctx)
    return c!
  }

  it('PUTs exactly [{data, ttl}] on the name-scoped path, keeping the TTL; siblings stay untouched', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx, {}, 900)
    const before = gd.records('example.com')
    const [o] = await p.write([change(A('home.example.com'), '198.51.100.7', await readOne(p, ctx, A('home.example.com')))], ctx)
    expect(o).toEqual({ ref: A('home.example.com'), status: 'updated', value: '198.51.100.7', previous: ['192.0.2.1'] })
    const writes = gd.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({ method: 'PUT', rawPath: '/v1/domains/example.com/records/A/home', body: [{ data: '198.51.100.7', ttl: 3600 }] })
    expect(writes[0]!.headers['content-type']).toBe('application/json')
    expect(writes[0]!.headers.authorization).toBe(`sso-key ${KEY}:${SECRET}`)
    // Only the A at home changed: the AAAA and TXT at home, the A at www and @, the apex MX/TXT/NS are as they were.
    const after = gd.records('example.com')
    expect(after).toHaveLength(before.length)
    expect(after.filter((r) => !(r.type === 'A' && r.name === 'home'))).toEqual(before.filter((r) => !(r.type === 'A' && r.name === 'home')))
    expect(after.find((r) => r.type === 'A' && r.name === 'home')).toEqual({ type: 'A', name: 'home', data: '198.51.100.7', ttl: 3600 })
  })

  it('never writes the type collection or the whole zone', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx, { records: ['home', 'www', '@', 'new'] })
    const refs = [A('home.example.com'), A('www.example.com'), A('example.com'), A('new.example.com'), AAAA('home.example.com')]
    const cur = await p.read(refs, ctx)
    const values = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '2001:db8::7']
    const out = await p.write(
      refs.map((r, i) => change(r, values[i]!, cur[i]!, true)),
      ctx,
    )
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated', 'updated', 'created', 'updated'])
    for (const w of gd.writes()) {
      expect(w.method).toBe('PUT')
      expect(w.rawPath).toMatch(/^\/v1\/domains\/example\.com\/records\/(A|AAAA)\/[^/]+$/)
    }
    expect(gd.writes().map((w) => w.rawPath)).toEqual([
      '/v1/domains/example.com/records/A/home',
      '/v1/domains/example.com/records/A/www',
      '/v1/domains/example.com/records/A/@',
      '/v1/domains/example.com/records/A/new',
      '/v1/domains/example.com/records/AAAA/home',
    ])
    expect(gd.records('example.com').filter((r) => r.type === 'A').map((r) => `${r.name} ${r.data} ${r.ttl}`).sort()).toEqual([
      '@ 198.51.100.3 600',
      'home 198.51.100.1 3600',
      'new 198.51.100.4 600',
      'www 198.51.100.2 1800',
    ])
  })

  it('creates with the configured TTL, or 600, and reports missing without create = true', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx, { records: ['new'] }, 1200)
    const cur = await readOne(p, ctx, A('new.example.com'))
    const [missing] = await p.write([change(A('new.example.com'), '192.0.2.55', cur, false)], ctx)
    expect(missing).toEqual({ ref: A('new.example.com'), status: 'missing', value: '192.0.2.55' })
    expect(gd.writes()).toEqual([])
    const [created] = await p.write([change(A('new.example.com'), '192.0.2.55', cur, true)], ctx)
    expect(created).toEqual({ ref: A('new.example.com'), status: 'created', value: '192.0.2.55' })
    expect(gd.writes()[0]).toMatchObject({ method: 'PUT', rawPath: '/v1/domains/example.com/records/A/new', body: [{ data: '192.0.2.55', ttl: 1200 }] })

    const p2 = provider(gd, ctx, { records: ['new2'] })
    const cur2 = await readOne(p2, ctx, A('new2.example.com'))
    await p2.write([change(A('new2.example.com'), '192.0.2.56', cur2, true)], ctx)
    expect(gd.writes()[1]!.body).toEqual([{ data: '192.0.2.56', ttl: 600 }])
  })

  it('IPv6: the AAAA at the name is replaced with the new address', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx)
    const [o] = await p.write([change(AAAA('home.example.com'), '2001:db8::10', await readOne(p, ctx, AAAA('home.example.com')))], ctx)
    expect(o!.status).toBe('updated')
    expect(gd.writes()[0]).toMatchObject({ rawPath: '/v1/domains/example.com/records/AAAA/home', body: [{ data: '2001:db8::10', ttl: 3600 }] })
    expect(gd.records('example.com').filter((r) => r.name === 'home').map((r) => `${r.type} ${r.data}`)).toEqual(['A 192.0.2.1', 'TXT v=spf1 -all', 'AAAA 2001:db8::10'])
  })

  it('a name holding two A records is a conflict and nothing is sent', async () => {
    const gd = await fake({ domains: { 'example.com': [{ type: 'A', name: 'rr', data: '192.0.2.1' }, { type: 'A', name: 'rr', data: '192.0.2.2' }] } })
    const ctx = makeCtx()
    const p = provider(gd, ctx, { records: ['rr'] })
    const cur = await readOne(p, ctx, A('rr.example.com'))
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1', '192.0.2.2'] })
    const [o] = await p.write([change(A('rr.example.com'), '192.0.2.3', cur)], ctx)
    expect(o!.error).toMatchObject({ kind: 'conflict' })
    expect(gd.writes()).toEqual([])
  })

  it('422 INVALID_BODY is an invalid error with GoDaddy\'s message and field, and the next change is still sent', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx, { records: ['home', 'www'] })
    const [home, www] = await p.read([A('home.example.com'), A('www.example.com')], ctx)
    gd.inject({ method: 'PUT', fixture: 'invalid-ttl' })
    const out = await p.write([change(A('home.example.com'), '192.0.2.20', home!), change(A('www.example.com'), '192.0.2.21', www!)], ctx)
    expect(out.map((o) => o.status)).toEqual(['failed', 'updated'])
    expect(out[0]!.error).toMatchObject({ kind: 'invalid', code: 'INVALID_BODY', retryable: false })
    expect(out[0]!.error!.message).toBe(
      `godaddy: HTTP 422 from ${gd.host}: Request body doesn't fulfill schema, see details in \`fields\` (INVALID_BODY): records[0].ttl: must have a minimum value of 600`,
    )
    expect(gd.writes()).toHaveLength(2)
  })

  it('429 is a rate limit with retryAfterSec from the body, and the remaining changes are not sent', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const p = provider(gd, ctx, { records: ['home', 'www'] })
    const [home, www] = await p.read([A('home.example.com'), A('www.example.com')], ctx)
    gd.inject({ method: 'PUT', fixture: 'too-many-requests', headers: { 'retry-after': '90' } })
    const out = await p.write([change(A('home.example.com'), '192.0.2.20', home!), change(A('www.example.com'), '192.0.2.21', www!)], ctx)
    expect(out[0]!.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 30, retryable: true })
    expect(out[1]!.error).toBe(out[0]!.error)
    expect(out[1]).toMatchObject({ status: 'failed', previous: ['192.0.2.10'] })
    expect(gd.writes()).toHaveLength(1)
  })

  it('a failed read is passed through without a request', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const failed: Current = { kind: 'failed', error: { kind: 'transient', message: 'x' } as EdgeError }
    const [o] = await provider(gd, ctx).write([change(A('home.example.com'), '192.0.2.1', failed)], ctx)
    expect(o).toMatchObject({ status: 'failed', error: failed.error })
    expect(gd.requests).toEqual([])
  })
})

describe('godaddy provider: reconcile, credentials and pacing', () => {
  it('first run updates the stale A with one PUT; the second run reads and sends no write', async () => {
    const gd = await fake()
    const ctx = makeCtx()
    const entry = entryFor(godaddy, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['home', '@'], base_url: gd.url }, { families: [4, 6] })
    const addr = addresses({ 4: '192.0.2.10', 6: '2001:db8::1' })
    const [first] = await reconcile([entry], addr, ctx, { dryRun: false })
    expect(first!.outcomes.map((o) => `${o.ref.fqdn} ${o.ref.type} ${o.status}`)).toEqual([
      'home.example.com A updated',
      'home.example.com AAAA unchanged',
      'example.com A unchanged',
      'example.com AAAA missing',
    ])
    expect(gd.writes().map((w) => `${w.method} ${w.rawPath}`)).toEqual(['PUT /v1/domains/example.com/records/A/home'])
    const reads = gd.requests.length
    const [second] = await reconcile([entry], addr, makeCtx(), { dryRun: false })
    expect(second!.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'missing'])
    expect(gd.writes()).toHaveLength(1)
    expect(gd.requests.length).toBeGreaterThan(reads)
  })

  it('BC-28: a secret with & # $ % : + goes into the header byte for byte and never into a log line or error', async () => {
    const secret = 'Ab&c#d$e%f:g+h'
    const gd = await fake({ secret })
    const ctx = makeCtx({ level: 'debug' })
    const entry = entryFor(godaddy, ctx, { domain: 'example.com', key: KEY, secret, records: ['home', 'new'], base_url: gd.url })
    gd.inject({ method: 'GET', path: '/v1/domains/example.com/records/A/new', status: 403, body: { code: 'ACCESS_DENIED', message: `denied for sso-key ${KEY}:${secret}` } })
    const [r] = await reconcile([entry], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(gd.requests[0]!.headers.authorization).toBe(`sso-key ${KEY}:${secret}`)
    expect(r!.outcomes.map((o) => o.status)).toEqual(['updated', 'failed'])
    expect(r!.outcomes[1]!.error!.message).toBe(`godaddy: HTTP 403 from ${gd.host}: denied for sso-key ***:*** (ACCESS_DENIED)`)
    expect(ctx.lines.some((l) => l.startsWith('debug: godaddy: GET /v1/domains/example.com/records/A/home: HTTP 200 application/json'))).toBe(true)
    const all = ctx.lines.join('\n')
    for (const s of [secret, KEY, encodeURIComponent(secret)]) expect(all).not.toContain(s)
  })

  it('entries of one account are sent one request at a time (BC-06)', async () => {
    const gd = await fake()
    gd.setDelay(40)
    const ctx = makeCtx()
    const e1 = entryFor(godaddy, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['home'], base_url: gd.url }, { index: 0 })
    const e2 = entryFor(godaddy, ctx, { domain: 'example.com', key: KEY, secret: SECRET, records: ['www'], base_url: gd.url }, { index: 1 })
    await reconcile([e1, e2], addresses({ 4: '192.0.2.99' }), ctx, { dryRun: false })
    expect(gd.requests.length).toBe(4)
    expect(gd.maxInFlight()).toBe(1)
  })
})
