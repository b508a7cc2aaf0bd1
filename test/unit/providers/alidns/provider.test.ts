import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { alidns } from '../../../../src/providers/alidns/index.js'
import type { SignedSettings as ZoneSettings } from '../../../../src/providers/api/entry.js'
import type { Meta, ZoneRecord } from '../../../../src/providers/api/provider.js'

type ZoneMeta = Meta<ZoneRecord>
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { loadAlidnsFixture, startAlidns, type AliRecord, type FakeAlidns } from '../../../helpers/alidns-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'

// BC-28: both halves of the AccessKey pair with the characters that break naive encoders.
const KEY_ID = 'LTAI5t&#$%:+EXAMPLE'
const SECRET = 'sEcReT&#$%:+/= value'
const doc = (loadAlidnsFixture('describe-sub-domain-records').body as { DomainRecords: { Record: AliRecord[] } }).DomainRecords.Record
const BASE: AliRecord[] = [
  ...doc,
  { RR: 'home', Type: 'AAAA', Value: '2001:db8::1', TTL: 600 },
  { RR: '@', Type: 'A', Value: '198.51.100.10', TTL: 1200 },
  { RR: '*', Type: 'A', Value: '192.0.2.9' },
  { RR: 'office', Type: 'A', Value: '192.0.2.20', TTL: 3600, Line: 'unicom' },
  { RR: 'www', Type: 'CNAME', Value: 'home.example.com' },
  { RR: 'www2', Type: 'TXT', Value: 'v=spf1 -all' },
]

let servers: FakeAlidns[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function fake(records: AliRecord[] = BASE, pageCap?: number): Promise<FakeAlidns> {
  const s = await startAlidns({ accessKeyId: KEY_ID, accessKeySecret: SECRET, domains: { 'example.com': records.map((r) => ({ ...r })) }, ...(pageCap ? { pageCap } : {}) })
  servers.push(s)
  return s
}

const keys = (f: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  zone: 'example.com',
  records: ['home'],
  access_key_id: KEY_ID,
  access_key_secret: SECRET,
  base_url: f.url,
  ...extra,
})

function provider(f: { url: string }, ctx: Ctx, extra: Record<string, unknown> = {}, ttl?: number): Provider {
  const { settings } = alidns.parse(keys(f, extra), 'domains[0]', { secret: (v) => ctx.redactor.add(v), warn: () => {} })
  return alidns.create(settings, ttl === undefined ? {} : { ttl })
}

const ref = (fqdn: string, type: 'A' | 'AAAA' = 'A'): RecordRef => ({ fqdn, type, zone: 'example.com' })
const change = (r: RecordRef, value: string, current: Current, create = false): Change => ({ ref: r, value, current, create })
const errorOf = (c: Current | undefined): EdgeError => {
  expect(c?.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}

describe('alidns: read (DescribeSubDomainRecords)', () => {
  it('signs a GET with the common parameters, the full name as SubDomain and the zone as DomainName', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['office'] }).read([ref('office.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.20'], via: 'api' })
    expect((cur as { meta: ZoneMeta }).meta.records).toEqual([{ id: expect.any(String), values: ['192.0.2.20'], ttl: 3600, keep: { Line: 'unicom' } }])
    const [r] = f.requests
    const { Signature, SignatureNonce, ...rest } = r?.query ?? {}
    expect(rest).toEqual({
      Action: 'DescribeSubDomainRecords',
      Format: 'JSON',
      Version: '2015-01-09',
      AccessKeyId: KEY_ID,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      Timestamp: '2024-06-01T00:00:00Z',
      SubDomain: 'office.example.com',
      DomainName: 'example.com',
      PageSize: '100',
      PageNumber: '1',
    })
    expect(SignatureNonce).toMatch(/^[0-9a-f-]{36}$/)
    expect(Signature).toMatch(/^[A-Za-z0-9+/]{27}=$/)
    // Sent exactly as signed: sorted, RFC 3986 (no "+" for a space, "%3A" in the time).
    expect(r?.rawQuery).toMatch(/^AccessKeyId=LTAI5t%26%23%24%25%3A%2BEXAMPLE&Action=DescribeSubDomainRecords&DomainName=example\.com&Format=JSON&PageNumber=1&PageSize=100&Signature=/)
    expect(r?.rawQuery).toContain('Timestamp=2024-06-01T00%3A00%3A00Z')
  })

  it('records on two lines are two values (the planner decides; a write would be a conflict)', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx)
    const [cur] = await p.read([ref('home.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1', '192.0.2.1'] })
    const [o] = await p.write([change(ref('home.example.com'), '203.0.113.1', cur as Current)], ctx)
    expect(o?.error?.kind).toBe('conflict')
    expect(f.writes()).toHaveLength(0)
  })

  it('follows every page (the service may give fewer than PageSize)', async () => {
    const lines = ['default', 'telecom', 'unicom', 'mobile', 'oversea']
    const f = await fake(
      lines.map((Line, i) => ({ RR: 'multi', Type: 'A', Value: `192.0.2.${i + 1}`, Line })),
      2,
    )
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['multi'] }).read([ref('multi.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'] })
    expect(f.requests.map((r) => r.query.PageNumber)).toEqual(['1', '2', '3'])
  })

  it('BC-22: the apex is asked with SubDomain = the zone and read as RR "@"', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['@'] }).read([ref('example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['198.51.100.10'] })
    expect(f.requests[0]?.query.SubDomain).toBe('example.com')
  })

  it.each([
    ['a name with only other types', 'www2.example.com', 'absent'],
    ['a name with nothing', 'nothing.example.com', 'absent'],
    ['the wildcard', '*.example.com', 'present'],
  ])('%s', async (_w, fqdn, kind) => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: [fqdn] }).read([ref(fqdn)], ctx)
    expect(cur?.kind).toBe(kind)
  })

  it('BC-11: a CNAME at the name is a conflict', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['www'] }).read([ref('www.example.com')], ctx)
    expect(errorOf(cur)).toMatchObject({ kind: 'conflict', message: 'alidns: www.example.com has a CNAME record; an A record cannot exist beside it' })
  })
})

describe('alidns: errors', () => {
  it('a wrong secret is SignatureDoesNotMatch → auth; the echoed string to sign never reaches the message', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [a, b] = await provider(f, ctx, { access_key_secret: 'wrong' }).read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    const e = errorOf(a)
    expect(e.kind).toBe('auth')
    expect(e.message).toBe(`alidns: HTTP 400 from ${f.host}: SignatureDoesNotMatch: Specified signature is not matched with our calculation.`)
    expect(e.hint).toMatch(/access_key_secret/)
    expect(errorOf(b)).toBe(e)
    expect(f.requests).toHaveLength(1)
  })

  it('an unknown AccessKeyId is 404 InvalidAccessKeyId.NotFound → auth', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { access_key_id: 'LTAI5tUNKNOWN' }).read([ref('home.example.com')], ctx)
    expect(errorOf(cur)).toMatchObject({ kind: 'auth', code: 'InvalidAccessKeyId.NotFound' })
  })

  it('a domain not in the account is notfound and names zone', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = alidns.create(alidns.parse(keys(f, { zone: 'example.org', records: ['home'] }), 'domains[0]', { secret: () => {}, warn: () => {} }).settings, {})
    const [cur] = await p.read([{ fqdn: 'home.example.org', type: 'A', zone: 'example.org' }], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe('notfound')
    expect(e.code).toBe('InvalidDomainName.NoExist')
    expect(e.hint).toMatch(/check zone/)
  })

  it.each([
    ['throttling-user', 'ratelimit'],
    ['forbidden-ram', 'forbidden'],
    ['invalid-timestamp-expired', 'clock'],
    ['internal-error', 'transient'],
    ['signature-nonce-used', 'transient'],
    ['invalid-access-key-id-not-found', 'auth'],
  ] as const)('documented answer %s → %s', async (fixture, kind) => {
    const f = await fake()
    f.inject({ fixture })
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('home.example.com')], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe(kind)
    expect(e.message).toContain((loadAlidnsFixture(fixture).body as { Code: string }).Code)
    if (kind === 'ratelimit') expect(e.retryAfterSec).toBe(60)
  })
})

describe('alidns: write', () => {
  it('UpdateDomainRecord sends RecordId, RR, Type, Value and the TTL and Line read (else they reset to 600 and "default")', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['office'] })
    const [cur] = await p.read([ref('office.example.com')], ctx)
    const [o] = await p.write([change(ref('office.example.com'), '203.0.113.5', cur as Current)], ctx)
    expect(o).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    const w = f.writes()[0]?.query
    expect(w).toMatchObject({ Action: 'UpdateDomainRecord', RR: 'office', Type: 'A', Value: '203.0.113.5', TTL: '3600', Line: 'unicom' })
    expect(w?.RecordId).toBe((cur as { meta: ZoneMeta }).meta.records[0]?.id)
    expect(f.records('example.com').find((r) => r.RR === 'office')).toMatchObject({ Value: '203.0.113.5', TTL: 3600, Line: 'unicom' })
  })

  it('BC-22: the apex is written as RR "@"', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: [''] })
    const [cur] = await p.read([ref('example.com')], ctx)
    await p.write([change(ref('example.com'), '203.0.113.5', cur as Current)], ctx)
    expect(f.writes()[0]?.query).toMatchObject({ RR: '@', TTL: '1200' })
  })

  it('DomainRecordDuplicate (the value it already has) is "no change", not an error', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['office'] })
    const [cur] = await p.read([ref('office.example.com')], ctx)
    const [o] = await p.write([change(ref('office.example.com'), '192.0.2.20', cur as Current)], ctx)
    expect(o).toMatchObject({ status: 'unchanged', value: '192.0.2.20' })
    expect(o?.error).toBeUndefined()
    expect(f.writes()).toHaveLength(1)
  })

  it('AddDomainRecord with the configured TTL, or none (the service default); a duplicate add is unchanged', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p1 = provider(f, ctx, { records: ['new'] }, 900)
    const [a] = await p1.read([ref('new.example.com')], ctx)
    expect(a?.kind).toBe('absent')
    expect((await p1.write([change(ref('new.example.com'), '203.0.113.6', a as Current, true)], ctx))[0]?.status).toBe('created')
    expect(f.writes()[0]?.query).toMatchObject({ Action: 'AddDomainRecord', DomainName: 'example.com', RR: 'new', Type: 'A', Value: '203.0.113.6', TTL: '900' })
    const p2 = provider(f, ctx, { records: ['new6'] })
    const [b] = await p2.read([ref('new6.example.com', 'AAAA')], ctx)
    await p2.write([change(ref('new6.example.com', 'AAAA'), '2001:db8::6', b as Current, true)], ctx)
    expect(f.writes()[1]?.query).not.toHaveProperty('TTL')
    const [again] = await p1.write([change(ref('new.example.com'), '203.0.113.6', a as Current, true)], ctx)
    expect(again?.status).toBe('unchanged')
  })

  it('a missing record without create is missing and nothing is sent', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['nothing'] })
    const [cur] = await p.read([ref('nothing.example.com')], ctx)
    expect((await p.write([change(ref('nothing.example.com'), '203.0.113.6', cur as Current)], ctx))[0]?.status).toBe('missing')
    expect(f.writes()).toHaveLength(0)
  })
})

describe('alidns: through the reconciler', () => {
  const entry = (f: FakeAlidns, ctx: Ctx, extra: Record<string, unknown> = {}) => entryFor(alidns, ctx, keys(f, extra), { families: [4, 6], settings: (s: ZoneSettings) => s })

  it('BC-12: an equal value sends nothing; a forced keep-alive gets DomainRecordDuplicate and stays "unchanged"', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [res] = await reconcile([entry(f, ctx, { records: ['office'] })], addresses({ 4: '192.0.2.20' }), ctx, { dryRun: false })
    expect(res?.outcomes.map((o) => o.status)).toEqual(['unchanged', 'skipped'])
    expect(f.writes()).toHaveLength(0)
    const [forced] = await reconcile([entry(f, ctx, { records: ['office'] })], addresses({ 4: '192.0.2.20' }), ctx, { dryRun: false, forceWrite: () => true })
    expect(forced?.outcomes[0]?.status).toBe('unchanged')
    expect(f.writes()).toHaveLength(1)
  })

  it('BC-34: a failed lookup writes nothing even with create = true; a known absence creates exactly once', async () => {
    const f = await fake()
    f.inject({ action: 'DescribeSubDomainRecords', fixture: 'internal-error' })
    const ctx = makeCtx()
    const e = entryFor(alidns, ctx, keys(f, { records: ['fresh'] }), { create: true })
    const [failed] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(failed?.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'transient' } })
    expect(f.writes()).toHaveLength(0)
    const [made] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(made?.outcomes[0]?.status).toBe('created')
    expect(f.writes()).toHaveLength(1)
  })

  it('BC-28: at debug level neither key half nor any signature reaches a log line or an error', async () => {
    const f = await fake()
    const ctx = makeCtx({ level: 'debug' })
    const [ok] = await reconcile([entry(f, ctx, { records: ['office', 'home'] })], addresses({ 4: '203.0.113.9', 6: '2001:db8::9' }), ctx, { dryRun: false })
    expect(ok?.outcomes.map((o) => o.status)).toEqual(['updated', 'missing', 'failed', 'updated'])
    const bad = makeCtx({ level: 'debug' })
    const [no] = await reconcile([entry(f, bad, { access_key_secret: `${SECRET}x` })], addresses({ 4: '203.0.113.9' }), bad, { dryRun: false })
    expect(no?.outcomes[0]?.error?.code).toBe('SignatureDoesNotMatch')
    const text = [...ctx.lines, ...bad.lines, ...[...(ok?.outcomes ?? []), ...(no?.outcomes ?? [])].map((o) => `${o.error?.message} ${o.error?.hint}`)].join('\n')
    expect(ctx.lines.some((l) => l.startsWith('debug: alidns: DescribeSubDomainRecords: HTTP 200, '))).toBe(true)
    const sigs = f.requests.map((r) => r.query.Signature as string)
    for (const s of [KEY_ID, SECRET, encodeURIComponent(KEY_ID), ...sigs]) expect(text).not.toContain(s)
  })
})

describe('alidns: config', () => {
  const parse = (extra: Record<string, unknown>) => alidns.parse({ ...keys({ url: 'x' }), base_url: undefined, ...extra }, 'domains[1]', { secret: () => {}, warn: () => {} })

  it('defaults to alidns.aliyuncs.com and takes relative and full names', () => {
    const p = parse({ records: ['@', 'a.b', 'vpn.example.com.'] })
    expect(p.settings.baseUrl).toBe('https://alidns.aliyuncs.com')
    expect(p.names).toEqual(['example.com', 'a.b.example.com', 'vpn.example.com'])
  })

  it.each([
    [{ access_key_secret: '' }, 'domains[1].access_key_secret: is empty'],
    [{ zone: 'com' }, 'domains[1].zone: is not a domain name'],
    [{ region: 'cn-hangzhou' }, 'domains[1].region: unknown key'],
  ])('rejects %j', (extra, msg) => {
    expect(() => parse(extra)).toThrow(msg)
  })
})
