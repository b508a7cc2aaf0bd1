import { afterEach, describe, expect, it } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import { route53 } from '../../../../src/providers/route53/index.js'
import type { SignedSettings as ZoneSettings } from '../../../../src/providers/api/entry.js'
import type { Meta, ZoneRecord } from '../../../../src/providers/api/provider.js'

type ZoneMeta = Meta<ZoneRecord>
import type { Change, Current, Provider, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { startRoute53, type FakeRoute53, type R53Rrset } from '../../../helpers/route53-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'

const ZONE_ID = 'Z0123456789ABCDEFGHIJ'
const KEY_ID = 'AKIAEDGEDDNSEXAMPLE1'
// BC-28: a secret with the characters that break naive encoders.
const SECRET = 'wJalrXUt&#$%:+/nFEMI+K7MDENG=bPxRfiCYEXAMPLEKEY'
const BASE: R53Rrset[] = [
  { name: 'example.com', type: 'A', ttl: 3600, values: ['198.51.100.10'] },
  { name: 'example.com', type: 'MX', ttl: 300, values: ['10 mail.example.com.'] },
  { name: 'home.example.com', type: 'A', ttl: 600, values: ['192.0.2.1'] },
  { name: 'home.example.com', type: 'AAAA', ttl: 600, values: ['2001:db8::1'] },
  { name: '*.example.com', type: 'A', ttl: 60, values: ['192.0.2.9'] },
  { name: 'multi.example.com', type: 'A', ttl: 300, values: ['192.0.2.5', '192.0.2.6'] },
  { name: 'www.example.com', type: 'CNAME', ttl: 300, values: ['home.example.com'] },
  { name: 'lb.example.com', type: 'A', alias: 'dualstack.lb-1.us-east-1.elb.amazonaws.com.' },
  { name: 'geo.example.com', type: 'A', ttl: 60, values: ['192.0.2.7'], setIdentifier: 'eu' },
  { name: 'zzz.example.com', type: 'A', ttl: 300, values: ['192.0.2.8'] },
]

let servers: FakeRoute53[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})

async function fake(opts: { sessionToken?: string; sets?: R53Rrset[] } = {}): Promise<FakeRoute53> {
  const s = await startRoute53({ accessKeyId: KEY_ID, secretAccessKey: SECRET, zones: { [ZONE_ID]: opts.sets ?? BASE }, ...(opts.sessionToken ? { sessionToken: opts.sessionToken } : {}) })
  servers.push(s)
  return s
}

const keys = (f: { url: string }, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  hosted_zone_id: ZONE_ID,
  zone: 'example.com',
  records: ['home'],
  access_key_id: KEY_ID,
  secret_access_key: SECRET,
  base_url: f.url,
  ...extra,
})

function provider(f: { url: string }, ctx: Ctx, extra: Record<string, unknown> = {}, ttl?: number): Provider {
  const { settings } = route53.parse(keys(f, extra), 'domains[0]', { secret: (v) => ctx.redactor.add(v), warn: () => {} })
  return route53.create({ ...settings, minGapMs: 0 }, ttl === undefined ? {} : { ttl })
}

const ref = (fqdn: string, type: 'A' | 'AAAA' = 'A'): RecordRef => ({ fqdn, type, zone: 'example.com' })
const errorOf = (c: Current | undefined): EdgeError => {
  expect(c?.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}
const change = (r: RecordRef, value: string, current: Current, create = false): Change => ({ ref: r, value, current, create })

describe('route53: read (ListResourceRecordSets)', () => {
  it('GETs the rrset listing from the name and type, one item, SigV4-signed for us-east-1/route53, and keeps the TTL', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('home.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: 'api' })
    expect((cur as { meta: ZoneMeta }).meta.records).toEqual([{ id: 'home.example.com.', values: ['192.0.2.1'], ttl: 600 }])
    const [r] = f.requests
    expect(r?.method).toBe('GET')
    expect(r?.path).toBe(`/2013-04-01/hostedzone/${ZONE_ID}/rrset`)
    expect(r?.query).toEqual({ maxitems: '1', name: 'home.example.com.', type: 'A' })
    expect(r?.headers['x-amz-date']).toBe('20240601T000000Z')
    expect(r?.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${KEY_ID}/20240601/us-east-1/route53/aws4_request, SignedHeaders=host;x-amz-date, Signature=[0-9a-f]{64}$`))
    expect(r?.body).toBe('')
  })

  it.each([
    ['the next name (nothing at home2)', 'home2.example.com', 'A'],
    ['another type at the name (AAAA asked where only A is)', 'multi.example.com', 'AAAA'],
    ['the end of the zone', 'zzzz.example.com', 'A'],
  ] as const)('the listing is a start point, not a filter: %s is absent', async (_why, fqdn, type) => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref(fqdn, type)], ctx)
    expect(cur).toMatchObject({ kind: 'absent', via: 'api' })
  })

  it('BC-22: the apex is the zone name with a trailing dot', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['@'] }).read([ref('example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['198.51.100.10'] })
    expect(f.requests[0]?.query.name).toBe('example.com.')
  })

  it('reads the wildcard Route 53 lists as \\052', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { records: ['*'] }).read([ref('*.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.9'] })
    expect(f.requests[0]?.query.name).toBe('*.example.com.')
  })

  it('an RRset of several values is present with all of them', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('multi.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.5', '192.0.2.6'] })
  })

  it.each([
    ['www.example.com', /has a CNAME record/],
    ['lb.example.com', /is an alias record/],
    ['geo.example.com', /is a routing-policy \(SetIdentifier\) record/],
  ])('BC-11: %s is a conflict, never written', async (fqdn, msg) => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref(fqdn)], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe('conflict')
    expect(e.message).toMatch(msg)
  })

  it('parses the documented ListResourceRecordSets example (TTL, values, a truncated listing)', async () => {
    const f = await fake()
    f.inject({ fixture: 'list-example' })
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('home.example.com')], ctx)
    expect(cur).toMatchObject({ kind: 'present', values: ['192.0.2.1'], meta: { records: [{ ttl: 600 }] } })
  })

  it('a signed request with a session token carries and signs x-amz-security-token', async () => {
    const token = 'FwoGZXIvYXdzEBYaD&#$%:+tokenEXAMPLE=='
    const f = await fake({ sessionToken: token })
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { session_token: token }).read([ref('home.example.com')], ctx)
    expect(cur?.kind).toBe('present')
    expect(f.requests[0]?.headers['x-amz-security-token']).toBe(token)
    expect(f.requests[0]?.headers.authorization).toContain('SignedHeaders=host;x-amz-date;x-amz-security-token,')
  })
})

describe('route53: errors', () => {
  it.each([
    ['a wrong secret (the fake recomputes the signature)', { secret_access_key: 'not-the-secret' }, 'auth', 'SignatureDoesNotMatch'],
    ['an unknown access key id', { access_key_id: 'AKIAUNKNOWN000000000' }, 'auth', 'InvalidClientTokenId'],
    ['a missing session token where one is needed', {}, 'auth', 'InvalidClientTokenId'],
  ] as const)('%s is an auth error and stops the entry', async (_what, extra, kind, code) => {
    const f = await fake(_what.includes('session') ? { sessionToken: 'tok-EXAMPLE-123' } : {})
    const ctx = makeCtx()
    const [a, b] = await provider(f, ctx, extra).read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    const e = errorOf(a)
    expect(e.kind).toBe(kind)
    expect(e.code).toBe(code)
    expect(e.message).toMatch(new RegExp(`^route53: HTTP 403 from ${f.host.replace('.', '\\.')}: ${code}: `))
    expect(e.hint).toMatch(/access_key_id/)
    expect(errorOf(b)).toBe(e)
    expect(f.requests).toHaveLength(1)
  })

  it('NoSuchHostedZone (zone not found) is notfound and names hosted_zone_id', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx, { hosted_zone_id: 'Z999NOSUCHZONE' }).read([ref('home.example.com')], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe('notfound')
    expect(e.message).toBe(`route53: HTTP 404 from ${f.host}: NoSuchHostedZone: No hosted zone found with ID: Z999NOSUCHZONE`)
    expect(e.hint).toMatch(/hosted_zone_id/)
  })

  it.each([
    ['throttling', 'ratelimit', 'Throttling: Rate exceeded'],
    ['prior-request-not-complete', 'ratelimit', 'PriorRequestNotComplete'],
    ['signature-expired', 'clock', 'Signature expired'],
    ['access-denied', 'forbidden', 'is not authorized to perform: route53:ChangeResourceRecordSets'],
    ['no-such-hosted-zone', 'notfound', 'NoSuchHostedZone'],
    ['invalid-client-token-id', 'auth', 'InvalidClientTokenId'],
    ['service-unavailable', 'transient', 'ServiceUnavailable'],
    ['html-502', 'transient', 'HTTP 502'],
  ] as const)('documented answer %s → %s', async (fixture, kind, text) => {
    const f = await fake()
    f.inject({ fixture })
    const ctx = makeCtx()
    const [cur] = await provider(f, ctx).read([ref('home.example.com')], ctx)
    const e = errorOf(cur)
    expect(e.kind).toBe(kind)
    expect(e.message).toContain(text)
    if (kind === 'ratelimit') expect(e.retryAfterSec).toBe(60)
    if (kind === 'clock') expect(e.hint).toMatch(/clock/)
  })

  it('InvalidChangeBatch (its own XML root) is invalid with the service\'s message, and stops nothing', async () => {
    const f = await fake()
    f.inject({ method: 'POST', fixture: 'invalid-change-batch' })
    const ctx = makeCtx()
    const p = provider(f, ctx)
    const [a, b] = await p.read([ref('home.example.com'), ref('home.example.com', 'AAAA')], ctx)
    const out = await p.write([change(ref('home.example.com'), '203.0.113.7', a as Current), change(ref('home.example.com', 'AAAA'), '2001:db8::7', b as Current)], ctx)
    expect(out[0]?.status).toBe('failed')
    expect(out[0]?.error?.kind).toBe('invalid')
    expect(out[0]?.error?.message).toContain("InvalidChangeBatch: Tried to create resource record set [name='home.example.com.', type='A'] but it already exists")
    expect(out[1]?.status).toBe('updated')
  })
})

describe('route53: write (ChangeResourceRecordSets)', () => {
  it('UPSERTs the one RRset with the new value and the TTL it had, in schema order', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['@'] })
    const [cur] = await p.read([ref('example.com')], ctx)
    const [o] = await p.write([change(ref('example.com'), '203.0.113.7', cur as Current)], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '203.0.113.7', previous: ['198.51.100.10'] })
    const [w] = f.writes()
    expect(w?.path).toBe(`/2013-04-01/hostedzone/${ZONE_ID}/rrset/`)
    expect(w?.headers['content-type']).toBe('text/xml')
    expect(w?.headers.authorization).toContain('SignedHeaders=content-type;host;x-amz-date,')
    expect(w?.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change>' +
        '<Action>UPSERT</Action><ResourceRecordSet><Name>example.com.</Name><Type>A</Type><TTL>3600</TTL>' +
        '<ResourceRecords><ResourceRecord><Value>203.0.113.7</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>' +
        '</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>',
    )
    expect(f.rrsets(ZONE_ID).find((s) => s.name === 'example.com.' && s.type === 'A')).toEqual({ name: 'example.com.', type: 'A', ttl: 3600, values: ['203.0.113.7'] })
  })

  it('CREATEs a missing record with the configured TTL, or 300', async () => {
    const f = await fake()
    const ctx = makeCtx()
    for (const [ttl, name, want] of [[undefined, 'new1', 300], [120, 'new2', 120]] as const) {
      const p = provider(f, ctx, { records: [name] }, ttl)
      const [cur] = await p.read([ref(`${name}.example.com`)], ctx)
      expect(cur?.kind).toBe('absent')
      const [o] = await p.write([change(ref(`${name}.example.com`), '203.0.113.8', cur as Current, true)], ctx)
      expect(o?.status).toBe('created')
      expect(f.writes().at(-1)?.body).toContain(`<Action>CREATE</Action><ResourceRecordSet><Name>${name}.example.com.</Name><Type>A</Type><TTL>${want}</TTL>`)
    }
  })

  it('a missing record without create is missing and nothing is sent', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['nope'] })
    const [cur] = await p.read([ref('nope.example.com')], ctx)
    const [o] = await p.write([change(ref('nope.example.com'), '203.0.113.8', cur as Current)], ctx)
    expect(o?.status).toBe('missing')
    expect(f.writes()).toHaveLength(0)
  })

  it('an RRset of two values is never collapsed to one (conflict, nothing sent)', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const p = provider(f, ctx, { records: ['multi'] })
    const [cur] = await p.read([ref('multi.example.com')], ctx)
    const [o] = await p.write([change(ref('multi.example.com'), '203.0.113.8', cur as Current)], ctx)
    expect(o?.error?.kind).toBe('conflict')
    expect(f.writes()).toHaveLength(0)
  })
})

describe('route53: through the reconciler', () => {
  const entry = (f: FakeRoute53, ctx: Ctx, extra: Record<string, unknown> = {}, families: (4 | 6)[] = [4, 6]) =>
    entryFor(route53, ctx, keys(f, extra), { families, settings: (s: ZoneSettings) => ({ ...s, minGapMs: 0 }) })

  it('BC-12: an equal value sends no change batch; a new one sends exactly one UPSERT', async () => {
    const f = await fake()
    const ctx = makeCtx()
    const [res] = await reconcile([entry(f, ctx)], addresses({ 4: '203.0.113.9', 6: '2001:db8::1' }), ctx, { dryRun: false })
    expect(res?.outcomes.map((o) => o.status)).toEqual(['updated', 'unchanged'])
    expect(f.writes()).toHaveLength(1)
    expect(f.writes()[0]?.body).toContain('<Type>A</Type><TTL>600</TTL>')
    const before = f.requests.length
    const [again] = await reconcile([entry(f, ctx)], addresses({ 4: '203.0.113.9', 6: '2001:db8::1' }), ctx, { dryRun: false })
    expect(again?.outcomes.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    expect(f.requests.slice(before).every((r) => r.method === 'GET')).toBe(true)
  })

  it('BC-34: a failed lookup writes nothing even with create = true; a known absence creates exactly once', async () => {
    const f = await fake()
    f.inject({ method: 'GET', fixture: 'service-unavailable' })
    const ctx = makeCtx()
    const e = entryFor(route53, ctx, keys(f, { records: ['fresh'] }), { create: true, settings: (s: ZoneSettings) => ({ ...s, minGapMs: 0 }) })
    const [failed] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(failed?.outcomes[0]).toMatchObject({ status: 'failed', error: { kind: 'transient' } })
    expect(f.writes()).toHaveLength(0)
    const [made] = await reconcile([e], addresses({ 4: '203.0.113.9' }), ctx, { dryRun: false })
    expect(made?.outcomes[0]?.status).toBe('created')
    expect(f.writes()).toHaveLength(1)
  })

  it('BC-28: at debug level no key id, secret, token or signature reaches a log line or an error', async () => {
    const token = 'IQoJb3JpZ2luX2VjEMr&#$%:+SESSIONtoken=='
    const f = await fake({ sessionToken: token })
    const ctx = makeCtx({ level: 'debug' })
    const [ok] = await reconcile([entry(f, ctx, { session_token: token })], addresses({ 4: '203.0.113.9', 6: '2001:db8::9' }), ctx, { dryRun: false })
    expect(ok?.outcomes.map((o) => o.status)).toEqual(['updated', 'updated'])
    const bad = makeCtx({ level: 'debug' })
    const [no] = await reconcile([entry(f, bad, { session_token: token, secret_access_key: `${SECRET}x` })], addresses({ 4: '203.0.113.9' }), bad, { dryRun: false })
    expect(no?.outcomes[0]?.error?.kind).toBe('auth')
    const text = [...ctx.lines, ...bad.lines, ...(no?.outcomes.map((o) => `${o.error?.message} ${o.error?.hint}`) ?? [])].join('\n')
    expect(ctx.lines.some((l) => l.startsWith('debug: route53: GET ListResourceRecordSets: HTTP 200'))).toBe(true)
    const sigs = f.requests.map((r) => r.signature).filter(Boolean) as string[]
    expect(sigs.length).toBeGreaterThan(2)
    for (const s of [KEY_ID, SECRET, token, ...sigs]) expect(text).not.toContain(s)
  })
})

describe('route53: config', () => {
  const parse = (extra: Record<string, unknown>) => route53.parse({ ...keys({ url: 'https://route53.amazonaws.com' }), base_url: undefined, ...extra }, 'domains[2]', { secret: () => {}, warn: () => {} })

  it('takes the console\'s /hostedzone/ form of the id, relative and full names, and the default endpoint', () => {
    const p = parse({ hosted_zone_id: '/hostedzone/Z0123456789ABCDEFGHIJ', records: ['@', 'home', 'vpn.example.com', '*'] })
    expect(p.settings.extra.hosted_zone_id).toBe(ZONE_ID)
    expect(p.names).toEqual(['example.com', 'home.example.com', 'vpn.example.com', '*.example.com'])
    expect(p.settings.baseUrl).toBe('https://route53.amazonaws.com')
    expect(p.account).toMatch(/^route53:route53\.amazonaws\.com:[0-9a-f]{8}$/)
    expect(p.account).not.toContain(KEY_ID)
  })

  it.each([
    [{ hosted_zone_id: 'Z12/../x' }, 'domains[2].hosted_zone_id: is not a hosted zone id'],
    [{ access_key_id: 'AKIA EXAMPLE' }, 'domains[2].access_key_id: contains a space'],
    [{ secret_access_key: undefined }, 'domains[2].secret_access_key: is required'],
    [{ region: 'eu-west-1' }, 'domains[2].region: unknown key'],
    [{ records: ['home.other.org.'] }, 'domains[2].records[0]'],
  ])('rejects %j', (extra, msg) => {
    expect(() => parse(extra)).toThrow(msg)
  })

  it('registers every credential, the key id too, as a secret', () => {
    const seen: string[] = []
    route53.parse(keys({ url: 'http://x' }, { session_token: 'tok-123' }), 'domains[0]', { secret: (v) => seen.push(v), warn: () => {} })
    expect(seen).toEqual(expect.arrayContaining([KEY_ID, SECRET, 'tok-123']))
  })
})
