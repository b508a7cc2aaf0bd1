import { describe, expect, it } from 'vitest'
import { cloudns } from '../../../../src/providers/cloudns/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startCloudns } from './fake.js'

const PASS = NASTY
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ auth_id: 12345, password: PASS, zone: 'example.com', records: ['home'], base_url: url, ...extra })
const auth = { 'auth-id': '12345', 'auth-password': PASS }

describe('cloudns', () => {
  it('POSTs form bodies with the credentials (never a query string); mod-record keeps the record\'s TTL', async () => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    const ctx = debugCtx()
    const out = await runEntry(cloudns, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map((r) => [r.method, r.rawPath, r.search, r.headers['content-type'], r.body])).toEqual([
      ['POST', '/dns/records.json', '', 'application/x-www-form-urlencoded', { ...auth, 'domain-name': 'example.com', host: 'home' }],
      ['POST', '/dns/mod-record.json', '', 'application/x-www-form-urlencoded', { ...auth, 'domain-name': 'example.com', 'record-id': '1002', host: 'home', record: V4, ttl: '300' }],
      ['POST', '/dns/mod-record.json', '', 'application/x-www-form-urlencoded', { ...auth, 'domain-name': 'example.com', 'record-id': '1003', host: 'home', record: V6, ttl: '900' }],
    ])
    // BC-28: the password arrives byte for byte in the form, and never in a log line.
    expect(f.requests[0]!.text).toContain(`auth-password=${encodeURIComponent(PASS).replace(/%20/g, '+')}`)
    expectNoSecret(ctx, out, PASS)
    expect(f.records.find((r) => r.id === '1004')).toMatchObject({ record: 'v=spf1 -all' })
    expect(f.records.find((r) => r.id === '1005')).toMatchObject({ record: '192.0.2.10', ttl: '60' })
  })

  it.each([
    [{ sub_auth_id: '777' }, { 'sub-auth-id': '777' }],
    [{ sub_auth_user: 'ddns-user' }, { 'sub-auth-user': 'ddns-user' }],
  ])('a sub-user authenticates with %j', async (who, form) => {
    const f = await startCloudns(form, PASS)
    const out = await runEntry(cloudns, debugCtx(), { ...keys(f.url), auth_id: undefined, ...who })
    expect(out[0]!.status).toBe('updated')
    expect(f.requests[0]!.body).toMatchObject(form)
    expect(f.requests[0]!.body['auth-id']).toBeUndefined()
  })

  it('no change: nothing is written', async () => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    f.records.find((r) => r.id === '1002')!.record = V4
    expect((await runEntry(cloudns, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.requests).toHaveLength(1)
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is host "" (the apex)', async (name) => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    expect((await runEntry(cloudns, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.requests.map((r) => [r.rawPath, r.body.host, r.body['record-id']])).toEqual([
      ['/dns/records.json', '', undefined],
      ['/dns/mod-record.json', '', '1001'],
    ])
  })

  it('creates only when asked, with the configured TTL rounded up to one ClouDNS accepts', async () => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    const ctx = debugCtx()
    expect((await runEntry(cloudns, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.requests.map((r) => r.rawPath)).toEqual(['/dns/records.json'])
    expect((await runEntry(cloudns, ctx, keys(f.url, { records: ['new'] }), { create: true, ttl: 120 }))[0]).toMatchObject({ status: 'created' })
    expect(f.requests.at(-1)!.body).toEqual({ ...auth, 'domain-name': 'example.com', 'record-type': 'A', host: 'new', record: V4, ttl: '300' })
  })

  it('BC-11: a CNAME at the name is a conflict', async () => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    expect(errorOf((await runEntry(cloudns, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0]).kind).toBe('conflict')
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['wrong password', { password: 'wrong-password' }, 'auth', 'cloudns: Invalid authentication, incorrect auth-id or auth-password.'],
    ['unknown zone', { zone: 'example.org' }, 'notfound', 'cloudns: Missing domain-name'],
  ])('BC-01-like: %s comes as HTTP 200 "Failed" and fails every record, never absent', async (_n, extra, kind, message) => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    const out = await runEntry(cloudns, debugCtx(), keys(f.url, extra), { families: [4, 6], create: true })
    for (const o of out) expect(errorOf(o)).toMatchObject({ kind, message })
    expect(f.requests).toHaveLength(1)
  })

  it('a "Failed" answer to a write is an invalid record, and the next record is still sent', async () => {
    const f = await startCloudns({ 'auth-id': '12345' }, PASS)
    f.inject({ path: '/dns/mod-record.json', fixture: 'invalid-ttl' })
    const out = await runEntry(cloudns, debugCtx(), keys(f.url), { families: [4, 6] })
    expect(errorOf(out[0])).toMatchObject({ kind: 'invalid', message: 'cloudns: Invalid TTL. Choose from the list of the values we support.' })
    expect(out[1]!.status).toBe('updated')
  })

  it('parse: exactly one of auth_id, sub_auth_id, sub_auth_user', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    const base = { password: 'p', zone: 'example.com', records: ['a'] }
    expect(() => cloudns.parse(base, 'domains[0]', ctx)).toThrow('domains[0].auth_id: set exactly one of auth_id, sub_auth_id, sub_auth_user')
    expect(() => cloudns.parse({ ...base, auth_id: '1', sub_auth_id: '2' }, 'domains[0]', ctx)).toThrow(/domains\[0\]\.sub_auth_id: set exactly one/)
    expect(cloudns.parse({ ...base, auth_id: 42 }, 'domains[0]', ctx).settings.auth).toEqual({ 'auth-id': '42', 'auth-password': 'p' })
  })
})
