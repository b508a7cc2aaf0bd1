import { afterEach, describe, expect, it } from 'vitest'
import type { DomainEntry } from '../../../src/config/types.js'
import type { Ctx } from '../../../src/context.js'
import type { Current, Provider, ProviderDef, RecordRef } from '../../../src/providers/types.js'
import { reconcile } from '../../../src/reconcile/apply.js'
import { DRY_RUN_WARNING } from '../../../src/reconcile/outcome.js'
import { loadFixture, startCloudflare, type FakeCloudflare, type SeedRecord } from '../../helpers/cloudflare-server.js'
import { addresses, cloudflareEntry, makeCtx } from './support.js'

const TOKEN = 'cf-FAKE-token-0123456789abcdef'

let servers: FakeCloudflare[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function fake(records: SeedRecord[] = exampleRecords(), token = TOKEN): Promise<FakeCloudflare> {
  const s = await startCloudflare({ token, zones: [{ name: 'example.com', records }] })
  servers.push(s)
  return s
}

function exampleRecords(): SeedRecord[] {
  return (loadFixture('records-example').body as { result: SeedRecord[] }).result
}

function entry(ctx: Ctx, cf: FakeCloudflare, records: string[], opts: Parameters<typeof cloudflareEntry>[2] = {}, keys: Record<string, unknown> = {}): DomainEntry {
  return cloudflareEntry(ctx, { token: TOKEN, zone: 'example.com', records, base_url: cf.url, ...keys }, opts)
}

describe('reconcile with Cloudflare', () => {
  it('BC-08: a stale proxied record is fixed with one PATCH of content; proxied stays', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['www.example.com'])], addresses({ 4: '192.0.2.20' }), ctx, { dryRun: false })
    expect(r!.outcomes).toEqual([{ ref: expect.objectContaining({ fqdn: 'www.example.com', type: 'A' }), status: 'updated', value: '192.0.2.20', previous: ['192.0.2.10'] }])
    expect(cf.writes().map((w) => [w.method, w.body])).toEqual([['PATCH', { content: '192.0.2.20' }]])
    expect(cf.records('example.com').find((x) => x.name === 'www.example.com')).toMatchObject({ content: '192.0.2.20', proxied: true, tags: ['owner:home', 'env:prod'] })
    expect(ctx.lines).toEqual(['info: www.example.com A: updated 192.0.2.10 -> 192.0.2.20 (cloudflare)'])
  })

  it('BC-34: equal value → nothing sent, "unchanged"', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com'], { families: [4, 6] })], addresses({ 4: '192.0.2.1', 6: '2001:db8::1' }), ctx, { dryRun: false })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    expect(cf.writes()).toEqual([])
    expect(ctx.lines).toEqual(['info: home.example.com A: unchanged 192.0.2.1', 'info: home.example.com AAAA: unchanged 2001:db8::1'])
  })

  it('BC-12: no IPv4 address → no read, no write, "skipped" with the reason', async () => {
    const cf = await fake([
      { type: 'A', name: 'node1.example.com', content: '192.0.2.1' },
      { type: 'A', name: 'www.example.com', content: '192.0.2.1' },
    ])
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['node1.example.com'])], addresses({ 4: null }), ctx, { dryRun: false })
    expect(r!.actions.map((a) => a.kind)).toEqual(['skip'])
    expect(r!.outcomes[0]).toMatchObject({ status: 'skipped', error: { kind: 'detect', message: 'no IPv4 address detected: http:ipify: HTTP 503 from api.ipify.org' } })
    expect(cf.requests).toEqual([])
    expect(cf.records('example.com').map((x) => x.content)).toEqual(['192.0.2.1', '192.0.2.1'])
    expect(ctx.lines).toEqual(['warn: node1.example.com A: skipped: no IPv4 address detected: http:ipify: HTTP 503 from api.ipify.org'])
  })

  it('BC-12: IPv6 is still fixed when only IPv4 detection failed; the A record is not touched', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com'], { families: [4, 6] })], addresses({ 4: null, 6: '2001:db8::10' }), ctx, { dryRun: false })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['skipped', 'updated'])
    expect(cf.writes()).toHaveLength(1)
    expect(cf.writes()[0]!.path).toMatch(/\/dns_records\/h6h6h6h6h6h6h6h6h6h6h6h6h6h6h6h6$/)
    expect(cf.records('example.com').find((x) => x.name === 'home.example.com' && x.type === 'A')!.content).toBe('192.0.2.1')
  })

  it('BC-34: absent and create = true → exactly one create', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['new.example.com'], { create: true, ttl: 120 })], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes[0]).toMatchObject({ status: 'created', value: '192.0.2.10' })
    expect(cf.writes().map((w) => [w.method, w.body])).toEqual([['POST', { type: 'A', name: 'new.example.com', content: '192.0.2.10', ttl: 120, proxied: false }]])
    expect(ctx.lines).toEqual(['info: new.example.com A: created 192.0.2.10 (cloudflare)'])
  })

  it('BC-34: absent and create = false → "missing", no write', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['new.example.com'])], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes[0]).toMatchObject({ status: 'missing', value: '192.0.2.10' })
    expect(cf.writes()).toEqual([])
    expect(ctx.lines).toEqual(['warn: new.example.com A: missing: no such record at cloudflare (set create = true to create it)'])
  })

  it('BC-34: HTTP 500 on the listing → every record failed, zero writes, even with create = true', async () => {
    const cf = await fake()
    cf.inject({ method: 'GET', path: /\/dns_records$/, fixture: 'server-error' })
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com', 'new.example.com'], { create: true })], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['failed', 'failed'])
    expect(cf.writes()).toEqual([])
    expect(ctx.lines[0]).toBe(`error: home.example.com A: failed: cloudflare: HTTP 500 from ${cf.host}: Internal Server Error (code 10001)`)
  })

  it('BC-11: at a name with TXT, A, CAA and MX only the A record is patched', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    await reconcile([entry(ctx, cf, ['@'])], addresses({ 4: '192.0.2.77' }), ctx, { dryRun: false })
    expect(cf.writes().map((w) => [w.method, w.path.split('/').pop(), w.body])).toEqual([['PATCH', 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', { content: '192.0.2.77' }]])
    const apex = cf.records('example.com').filter((x) => x.name === 'example.com')
    expect(apex.map((x) => [x.type, x.content])).toEqual([
      ['A', '192.0.2.77'],
      ['TXT', '"v=spf1 -all"'],
      ['CAA', '0 issue "letsencrypt.org"'],
      ['MX', 'mail.example.com'],
    ])
  })

  it('BC-11: a CNAME at the name → conflict, zero writes, even with create = true', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['alias.example.com'], { create: true })], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'conflict' } })
    expect(cf.writes()).toEqual([])
    expect(ctx.lines).toEqual([
      'error: alias.example.com A: failed: cloudflare: alias.example.com is a CNAME (to target.example.net); an A record cannot exist beside it',
      'info: alias.example.com A: hint: remove the CNAME at Cloudflare, or take alias.example.com out of records',
    ])
  })

  it('several A records, none the address → conflict, zero writes', async () => {
    const cf = await fake([
      { type: 'A', name: 'rr.example.com', content: '192.0.2.1' },
      { type: 'A', name: 'rr.example.com', content: '192.0.2.2' },
    ])
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['rr.example.com'])], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'conflict' } })
    expect(cf.writes()).toEqual([])
  })

  it('wrong token: auth failure with Cloudflare\'s code and text, the token in no message and no log line', async () => {
    const cf = await fake(exampleRecords(), 'the-right-token-999')
    const ctx = makeCtx({ level: 'debug' })
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com', 'www.example.com'], { families: [4, 6] })], addresses({ 4: '192.0.2.10', 6: '2001:db8::10' }), ctx, {
      dryRun: false,
    })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['failed', 'failed', 'failed', 'failed'])
    expect(r!.outcomes[0]!.error).toMatchObject({ kind: 'auth', code: 9109 })
    expect(ctx.lines).toContain(`error: home.example.com A: failed: cloudflare: HTTP 403 from ${cf.host}: Invalid access token (code 9109)`)
    expect(cf.writes()).toEqual([])
    expect(cf.requests).toHaveLength(1)
    expect(ctx.lines.filter((l) => l.startsWith('debug: '))).toEqual([
      expect.stringMatching(/^debug: cloudflare: GET \/zones\?page=1&per_page=50: HTTP 403 application\/json, \d+ bytes$/),
    ])
    const everything = [...ctx.lines, ...r!.outcomes.map((o) => `${o.error?.message} ${o.error?.hint}`)].join('\n')
    expect(everything).not.toContain(TOKEN)
    expect(everything).not.toContain(TOKEN.slice(0, 12))
  })

  it('dry run: reads, plans and logs "would ...", sends no write', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com', 'new.example.com', 'www.example.com'], { create: true })], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: true })
    expect(r!.actions.map((a) => a.kind)).toEqual(['update', 'create', 'keep'])
    expect(r!.outcomes.map((o) => o.status)).toEqual(['skipped', 'skipped', 'unchanged'])
    expect(r!.outcomes[0]).toMatchObject({ value: '192.0.2.10', previous: ['192.0.2.1'], warnings: [DRY_RUN_WARNING] })
    expect(r!.outcomes[0]!.error).toBeUndefined()
    expect(cf.writes()).toEqual([])
    expect(cf.requests.map((q) => q.method)).toEqual(['GET', 'GET'])
    expect(ctx.lines).toEqual([
      'info: home.example.com A: would update 192.0.2.1 -> 192.0.2.10 (cloudflare)',
      'info: new.example.com A: would create 192.0.2.10 (cloudflare)',
      'info: www.example.com A: unchanged 192.0.2.10',
    ])
  })

  it('entries of one account share one zones listing and one record listing per zone', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const entries = ['home.example.com', 'www.example.com', 'example.com'].map((n, i) => entry(ctx, cf, [n], { index: i }))
    const res = await reconcile(entries, addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(res.map((r) => r.outcomes[0]!.status)).toEqual(['updated', 'unchanged', 'unchanged'])
    expect(cf.requests.filter((q) => q.path === '/zones')).toHaveLength(1)
    expect(cf.requests.filter((q) => q.path.endsWith('/dns_records') && q.method === 'GET')).toHaveLength(1)
  })

  it('a second run reads afresh and sends no write', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    await reconcile([entry(ctx, cf, ['home.example.com'])], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    await reconcile([entry(ctx, cf, ['home.example.com'])], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(cf.writes()).toHaveLength(1)
    expect(cf.requests.filter((q) => q.path === '/zones')).toHaveLength(2)
    expect(ctx.lines).toEqual(['info: home.example.com A: updated 192.0.2.1 -> 192.0.2.10 (cloudflare)', 'info: home.example.com A: unchanged 192.0.2.10'])
  })

  it('one entry failing never stops the others (a bad token, an unknown zone, a good entry)', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    const entries = [
      entry(ctx, cf, ['home.example.com'], { index: 0 }, { token: 'wrong-token-0000' }),
      entry(ctx, cf, ['home.example.org'], { index: 1 }, { zone: 'example.org' }),
      entry(ctx, cf, ['home.example.com'], { index: 2 }),
    ]
    const res = await reconcile(entries, addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(res.map((r) => r.entry.index)).toEqual([0, 1, 2])
    expect(res.map((r) => r.outcomes[0]!.status)).toEqual(['failed', 'failed', 'updated'])
    expect(res[0]!.outcomes[0]!.error!.kind).toBe('auth')
    expect(res[1]!.outcomes[0]!.error!.message).toBe('cloudflare: zone example.org not found (these credentials see 1 zone)')
  })

  it('an aborted run sends nothing and fails every record it would have read', async () => {
    const cf = await fake()
    const ctx = makeCtx()
    ctx.abort.abort()
    const [r] = await reconcile([entry(ctx, cf, ['home.example.com'], { families: [4, 6] })], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['failed', 'skipped'])
    expect(r!.outcomes[0]!.error!.kind).toBe('transient')
    expect(cf.requests).toEqual([])
  })
})

describe('reconcile with any provider', () => {
  const ref: RecordRef = { fqdn: 'home.example.com', type: 'A' }

  function entryWith(def: Partial<ProviderDef>, index = 0): DomainEntry {
    return {
      index,
      path: `domains[${index}]`,
      type: 'stub',
      def: { name: 'stub', summary: '', docs: '', keys: [], capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false }, parse: () => ({ settings: {}, names: [], account: 'stub' }), create: () => ({}) as Provider, ...def },
      settings: {},
      families: [4],
      create: false,
      records: [{ ...ref, fqdn: `h${index}.example.com` }],
      account: 'stub',
    }
  }

  it('a provider that throws a plain Error gives failed outcomes marked as a bug; the other entries run', async () => {
    const ctx = makeCtx()
    const broken = entryWith({ create: () => ({ read: () => Promise.reject(new TypeError('x is undefined')), write: () => Promise.resolve([]) }) }, 0)
    const throwsOnCreate = entryWith({
      create: () => {
        throw new Error('boom')
      },
    }, 1)
    const fine = entryWith({
      create: () => ({ read: (refs) => Promise.resolve(refs.map((): Current => ({ kind: 'present', values: ['192.0.2.10'] }))), write: () => Promise.resolve([]) }),
    }, 2)
    const res = await reconcile([broken, throwsOnCreate, fine], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(res.map((r) => r.outcomes[0]!.status)).toEqual(['failed', 'failed', 'unchanged'])
    expect(res[0]!.outcomes[0]!.error).toMatchObject({ kind: 'internal', message: 'x is undefined (this is a bug in edge-ddns, please report it)' })
    expect(res[1]!.outcomes[0]!.error!.message).toBe('boom (this is a bug in edge-ddns, please report it)')
    expect(ctx.lines).toContain('error: h0.example.com A: failed: x is undefined (this is a bug in edge-ddns, please report it)')
  })

  it('a write that throws fails only the records it was asked to write', async () => {
    const ctx = makeCtx()
    const e = entryWith({
      create: () => ({
        read: (refs) => Promise.resolve(refs.map((r): Current => (r.fqdn.startsWith('a') ? { kind: 'present', values: ['192.0.2.10'] } : { kind: 'present', values: ['192.0.2.1'] }))),
        write: () => Promise.reject(new Error('socket hang up')),
      }),
    })
    e.records = [
      { fqdn: 'a.example.com', type: 'A' },
      { fqdn: 'b.example.com', type: 'A' },
    ]
    const [r] = await reconcile([e], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['unchanged', 'failed'])
    expect(r!.outcomes[1]).toMatchObject({ value: '192.0.2.10', previous: ['192.0.2.1'] })
  })

  it('runs at most 4 entries at once by default', async () => {
    const ctx = makeCtx()
    let inFlight = 0
    let most = 0
    const def: Partial<ProviderDef> = {
      create: () => ({
        read: async (refs) => {
          inFlight++
          most = Math.max(most, inFlight)
          await new Promise((r) => setTimeout(r, 5))
          inFlight--
          return refs.map((): Current => ({ kind: 'present', values: ['192.0.2.10'] }))
        },
        write: () => Promise.resolve([]),
      }),
    }
    const entries = Array.from({ length: 10 }, (_, i) => entryWith(def, i))
    const res = await reconcile(entries, addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(res).toHaveLength(10)
    expect(res.every((r) => r.outcomes[0]!.status === 'unchanged')).toBe(true)
    expect(most).toBe(4)
  })

  it('a provider that returns too few reads is caught, not trusted', async () => {
    const ctx = makeCtx()
    const e = entryWith({ create: () => ({ read: () => Promise.resolve([]), write: () => Promise.resolve([]) }) })
    const [r] = await reconcile([e], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false })
    expect(r!.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'internal' } })
  })
})
