import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { dnspod } from '../../../../src/providers/dnspod/index.js'
import type { SignedSettings as ZoneSettings } from '../../../../src/providers/api/entry.js'
import type { Meta, ZoneRecord } from '../../../../src/providers/api/provider.js'

type ZoneMeta = Meta<ZoneRecord>
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { loadDnspodFixture, startDnspod, type DpRecord, type FakeDnspod } from '../../../helpers/dnspod-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'

const SECRET_ID = 'AKIDz8krbsJ5&#$%:+EXAMPLE'
// BC-28
const SECRET_KEY = 'Gu5t9xGA&#$%:+/= RNpq86cd98joQYCN3EXAMPLE'
const doc = (loadDnspodFixture('describe-record-list').body as { Response: { RecordList: DpRecord[] } }).Response.RecordList
const BASE: DpRecord[] = [
  ...doc,
  { Name: '@', Type: 'A', Value: '198.51.100.10', TTL: 1200 },
  { Name: '*', Type: 'A', Value: '192.0.2.9' },
  { Name: 'www', Type: 'CNAME', Value: 'home.example.com.' },
  { Name: 'mail', Type: 'MX', Value: 'mx.example.com.', MX: 10 },
]

let servers: FakeDnspod[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function fake(records: DpRecord[] = BASE, pageCap?: number): Promise<FakeDnspod> {
  const s = await startDnspod({ secretId: SECRET_ID, secretKey: SECRET_KEY, domains: { 'example.com': records.map((r) => ({ ...r })) }, ...(pageCap ? { pageCap } : {}) })
  servers.push(s)
  return s
}

const keys = (f: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  zone: 'example.com',
  records: ['home'],
  secret_id: SECRET_ID,
  secret_key: SECRET_KEY,
  base_url: f.url,
  ...extra,
})

function provider(f: { url: string }, ctx: Ctx, extra: Record<string, unknown> = {}, ttl?: number): Provider {
  const { settings } = dnspod.parse(keys(f, extra), 'domains[0]', { secret: (v) => ctx.redactor.add(v), warn: () => {} })
  return dnspod.create(settings, ttl === undefined ? {} : { ttl })
}

const ref = (fqdn: string, type: 'A' | 'AAAA' = 'A'): RecordRef => ({ fqdn, type, zone: 'example.com' })
const change = (r: RecordRef, value: string, current: Current, create = false): Change => ({ ref: r, value, current, create })
const errorOf = (c: Current | undefined): EdgeError => {
  expect(c?.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}

describe('dnspod: read (DescribeRecordList)', () => {
  it('POSTs JSON signed with TC3-HMAC-SHA256 and the X-TC headers; keeps line, status, weight and TTL', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [a, aaaa] = await provider(f, ctx).read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    expect(a).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: 'api' })
    expect((a as { meta: ZoneMeta }).meta.records).toEqual([{ id: '556507778', values: ['192.0.2.1'], ttl: 3600, keep: { RecordLine: '默认', RecordLineId: '0', Status: 'ENABLE' } }])
    expect((aaaa as { meta: ZoneMeta }).meta.records[0]).toEqual({ id: '556507779', values: ['2001:db8::1'], ttl: 600, keep: { RecordLine: '电信', RecordLineId: '10=0', Status: 'DISABLE', Weight: 20 } })
    const [r] = f.requests
    expect(r?.action).toBe('DescribeRecordList')
    expect(r?.body).toBe('{"Domain":"example.com","Subdomain":"home","Limit":100,"Offset":0}')
    expect(r?.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-tc-action': 'DescribeRecordList',
      'x-tc-version': '2021-03-23',
      'x-tc-timestamp': String(Date.UTC(2024, 5, 1) / 1000),
      'x-tc-language': 'en-US',
    })
    expect(r?.headers.authorization).toMatch(/^TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5&#\$%:\+EXAMPLE\/2024-06-01\/dnspod\/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$/)
  })

  it('ResourceNotFound.NoDataOfRecord is absent, not a failure', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['nothing'] }).read([ref('nothing.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'absent', via: 'api' })
  })

  it('follows every page by Offset', async () => {
    const f = await fake(
      ['默认', '电信', '联通', '移动', '境外'].map((Line, i) => ({ Name: 'multi', Type: 'A', Value: `192.0.2.${i + 1}`, Line, LineId: String(i) })),
      2,
    )
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['multi'] }).read([ref('multi.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'] })
    expect(f.requests.map((r) => r.params.Offset)).toEqual([0, 2, 4])
  })

  it('BC-22: the apex is Subdomain "@"; the wildcard "*"', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [apex, star] = await provider(f, ctx, { records: ['@', '*'] }).read([ref('example.com'), ref('*.example.com')], ctx)
    expect(apex).toMatchObject({ kind: 'present', values: ['198.51.100.10'] })
    expect(star).toMatchObject({ kind: 'present', values: ['192.0.2.9'] })
    expect(f.requests.map((r) => r.params.Subdomain)).toEqual(['@', '*'])
  })

  it('BC-11: a CNAME at the name is a conflict; an MX-only name is absent', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [www, mail] = await provider(f, ctx, { records: ['www', 'mail'] }).read([ref('www.example.com'), ref('mail.example.com')], ctx)
    expect(errorOf(www).kind).toBe('conflict')
    expect(mail?.kind).toBe('absent')
  })
})

describe('dnspod: errors (HTTP 200 with Response.Error)', () => {
  it('a wrong SecretKey is AuthFailure.SignatureFailure → auth, and stops the entry', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [a, b] = await provider(f, ctx, { secret_key: 'wrong' }).read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    const e = errorOf(a)
    expect(e).toMatchObject({ kind: 'auth', code: 'AuthFailure.SignatureFailure' })
    expect(e.message).toBe(`dnspod: HTTP 200 from ${f.host}: AuthFailure.SignatureFailure: The provided credentials could not be validated. Please check your signature is correct.`)
    expect(e.hint).toMatch(/secret_id and secret_key/)
    expect(errorOf(b)).toBe(e)
    expect(f.requests).toHaveLength(1)
  })

  it('an unknown SecretId is AuthFailure.SecretIdNotFound → auth', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { secret_id: 'AKIDunknown' }).read([ref('home.example.com')], ctx)
    expect(errorOf(cur)).toMatchObject({ kind: 'auth', code: 'AuthFailure.SecretIdNotFound' })
  })

  it('a domain not in the account is notfound and names zone', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = dnspod.create(dnspod.parse(keys(f, { zone: 'example.org' }), 'domains[0]', { secret: () => {}, warn: () => {} }).settings, {})
    const [cur] = await p.read([{ fqdn: 'home.example.org', type: 'A', zone: 'example.org' }], ctx)
    expect(errorOf(cur)).toMatchObject({ kind: 'notfound', code: 'InvalidParameterValue.DomainNotExists', hint: expect.stringMatching(/check zone/) })
  })

  it.each([
    ['request-limit-exceeded', 'ratelimit'],
    ['signature-expire', 'clock'],
    ['unauthorized-operation', 'forbidden'],
    ['internal-error', 'transient'],
    ['secret-id-not-found', 'auth'],
    ['domain-not-exists', 'notfound'],
  ] as const)('documented answer %s → %s', async (fixture, kind) => {
    const f = await fake()
    f.inject({ fixture })
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('home.example.com')], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe(kind)
    expect(e.code).toBe((loadDnspodFixture(fixture).body as { Response: { Error: { Code: string } } }).Response.Error.Code)
  })

  it('a 502 HTML page is transient; a 200 that is not the API is a protocol error', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx)
    const orig = ctx.http
    ctx.http = { request: async (req) => ({ ...(await orig.request(req)), status: 502, contentType: 'text/html', body: '<html>502</html>' }) }
    expect(errorOf((await p.read([ref('home.example.com')], ctx))[0]).kind).toBe('transient')
    ctx.http = { request: async (req) => ({ ...(await orig.request(req)), status: 200, contentType: 'text/html', body: '<html>hi</html>' }) }
    expect(errorOf((await p.read([ref('home.example.com')], ctx))[0])).toMatchObject({ kind: 'protocol', message: `dnspod: unexpected text/html from ${f.host} (HTTP 200)` })
  })
})

describe('dnspod: write', () => {
  it('ModifyRecord sends SubDomain, the value and everything read back (line, line id, TTL, status, weight)', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx)
    const [cur] = await p.read([ref('home.example.com', 'AAAA')], ctx)
    const [o] = await p.write([change(ref('home.example.com', 'AAAA'), '2001:db8::7', cur as Current)], ctx)
    expect(o).toMatchObject({ status: 'updated', previous: ['2001:db8::1'] })
    const w = f.writes()[0]
    expect(w?.action).toBe('ModifyRecord')
    expect(w?.params).toEqual({ Domain: 'example.com', RecordId: 556507779, SubDomain: 'home', RecordType: 'AAAA', Value: '2001:db8::7', RecordLine: '电信', RecordLineId: '10=0', Status: 'DISABLE', Weight: 20, TTL: 600 })
    expect(f.records('example.com').find((r) => r.RecordId === 556507779)).toMatchObject({ Value: '2001:db8::7', TTL: 600, Status: 'DISABLE', Weight: 20, Line: '电信' })
  })

  it('the TTL read is kept (omitted it would go back to 600)', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['@'] })
    const [cur] = await p.read([ref('example.com')], ctx)
    await p.write([change(ref('example.com'), '203.0.113.1', cur as Current)], ctx)
    expect(f.writes()[0]?.params).toMatchObject({ SubDomain: '@', TTL: 1200 })
    expect(f.records('example.com').find((r) => r.Name === '@' && r.Type === 'A')?.TTL).toBe(1200)
  })

  it('InvalidParameter.DomainRecordExist is "no change"', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx)
    const [cur] = await p.read([ref('home.example.com')], ctx)
    const [o] = await p.write([change(ref('home.example.com'), '192.0.2.1', cur as Current)], ctx)
    expect(o).toMatchObject({ status: 'unchanged', value: '192.0.2.1' })
    expect(f.writes()).toHaveLength(1)
  })

  it('CreateRecord on the default line ("默认", id "0") with the configured TTL, or none', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['new'] }, 300)
    const [cur] = await p.read([ref('new.example.com')], ctx)
    const [o] = await p.write([change(ref('new.example.com'), '203.0.113.2', cur as Current, true)], ctx)
    expect(o?.status).toBe('created')
    expect(f.writes()[0]?.params).toEqual({ Domain: 'example.com', SubDomain: 'new', RecordType: 'A', RecordLine: '默认', RecordLineId: '0', Value: '203.0.113.2', TTL: 300 })
    const q = provider(f, ctx, { records: ['new2'] })
    const [c2] = await q.read([ref('new2.example.com')], ctx)
    await q.write([change(ref('new2.example.com'), '203.0.113.2', c2 as Current, true)], ctx)
    expect(f.writes()[1]?.params).not.toHaveProperty('TTL')
  })
})

describe('dnspod: through the reconciler', () => {
  const entry = (f: FakeDnspod, ctx: Ctx, extra: Record<string, unknown> = {}) => entryFor(dnspod, ctx, keys(f, extra), { families: [4, 6], settings: (s: ZoneSettings) => s })

  it('BC-12: equal values send nothing', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [res] = await reconcile([entry(f, ctx)], addresses({ 4: '192.0.2.1', 6: '2001:db8::1' }), ctx, { dryRun: false })
    expect(res?.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    expect(f.writes()).toHaveLength(0)
  })

  it('BC-34: a failed lookup writes nothing even with create = true; NoDataOfRecord creates exactly once', async () => {
    const f = await fake()
    f.inject({ action: 'DescribeRecordList', fixture: 'request-limit-exceeded' })
    const ctx = makeCtx()
    const e = entryFor(dnspod, ctx, keys(f, { records: ['fresh'] }), { create: true })
    const [failed] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(failed?.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'ratelimit', retryAfterSec: 60 } })
    expect(f.writes()).toHaveLength(0)
    const [made] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(made?.outcomes[0]?.status).toBe('created')
    expect(f.writes()).toHaveLength(1)
  })

  it('BC-28: at debug level neither SecretId, SecretKey nor any signature reaches a log line or an error', async () => {
    const f = await fake()
    const ctx = makeCtx({ level: 'debug' })
    const [ok] = await reconcile([entry(f, ctx)], addresses({ 4: '203.0.113.9', 6: '2001:db8::9' }), ctx, { dryRun: false })
    expect(ok?.outcomes.map((o) => o.status)).toEqual(['updated', 'updated'])
    const bad = makeCtx({ level: 'debug' })
    const [no] = await reconcile([entry(f, bad, { secret_key: `${SECRET_KEY}x` })], addresses({ 4: '203.0.113.9' }), bad, { dryRun: false })
    expect(no?.outcomes[0]?.error?.kind).toBe('auth')
    expect(ctx.lines.some((l) => l.startsWith('debug: dnspod: ModifyRecord: HTTP 200, '))).toBe(true)
    const text = [...ctx.lines, ...bad.lines, ...(no?.outcomes ?? []).map((o) => `${o.error?.message} ${o.error?.hint}`)].join('\n')
    for (const s of [SECRET_ID, SECRET_KEY, ...f.requests.map((r) => r.signature as string)]) expect(text).not.toContain(s)
  })
})

describe('dnspod: config', () => {
  const parse = (extra: Record<string, unknown>) => dnspod.parse({ ...keys({ url: 'x' }), base_url: undefined, ...extra }, 'domains[3]', { secret: () => {}, warn: () => {} })

  it('defaults to dnspod.tencentcloudapi.com', () => {
    expect(parse({}).settings.baseUrl).toBe('https://dnspod.tencentcloudapi.com')
  })

  it.each([
    [{ secret_id: 'AKID x' }, 'domains[3].secret_id: contains a space'],
    [{ secret_id: 'AKID/x' }, 'domains[3].secret_id: contains a space, "/"'],
    [{ secret_key: undefined }, 'domains[3].secret_key: is required'],
    [{ login_token: '1,abc' }, 'domains[3].login_token: unknown key'],
  ])('rejects %j', (extra, msg) => {
    expect(() => parse(extra)).toThrow(msg)
  })
})
