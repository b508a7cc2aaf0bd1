import { describe, expect, it } from 'vitest'
import { azure, AZURE_BASE, AZURE_LOGIN } from '../../../../src/providers/azure/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startAzure } from './fake.js'

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const SECRET = NASTY
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  tenant_id: TENANT,
  client_id: 'app-id',
  client_secret: SECRET,
  subscription_id: 'sub-1',
  resource_group: 'dns-rg',
  zone: 'example.com',
  records: ['home'],
  base_url: url,
  login_url: url,
  ...extra,
})
const RS = '/subscriptions/sub-1/resourceGroups/dns-rg/providers/Microsoft.Network/dnsZones/example.com'
const line = (r: { method: string; rawPath: string; search: string }): string => `${r.method} ${r.rawPath}${r.search ? `?${r.search}` : ''}`

describe('azure', () => {
  it('one client-credentials token, a GET per record set, then PATCH with If-Match and only the records', async () => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    const ctx = debugCtx()
    const out = await runEntry(azure, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map(line)).toEqual([
      `POST /${TENANT}/oauth2/v2.0/token`,
      `GET ${RS}/A/home?api-version=2018-05-01`,
      `GET ${RS}/AAAA/home?api-version=2018-05-01`,
      `PATCH ${RS}/A/home?api-version=2018-05-01`,
      `PATCH ${RS}/AAAA/home?api-version=2018-05-01`,
    ])
    expect(f.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(f.requests[0]!.body).toEqual({ grant_type: 'client_credentials', client_id: 'app-id', client_secret: SECRET, scope: `${f.url}/.default` })
    expect(f.requests[0]!.headers.authorization).toBeUndefined()
    for (const r of f.requests.slice(1)) expect(r.headers.authorization).toBe(`Bearer ${f.token}`)
    expect(f.writes().slice(1).map((r) => [r.headers['if-match'], r.body])).toEqual([
      ['00000000-0000-0000-0000-0000000000a1', { properties: { ARecords: [{ ipv4Address: V4 }] } }],
      ['e-home6', { properties: { AAAARecords: [{ ipv6Address: V6 }] } }],
    ])
    expect(f.sets.get('A/home')).toMatchObject({ TTL: 300, values: [V4], metadata: { owner: 'edge' } })
    expect(f.sets.get('A/www')).toMatchObject({ TTL: 60, values: ['192.0.2.10'] })
    // BC-28: the client secret goes only into the token request's form; neither it nor the token reaches a log line.
    expect(f.requests.slice(1).every((r) => !r.text.includes('Tk&c'))).toBe(true)
    expectNoSecret(ctx, out, SECRET)
    expectNoSecret(ctx, out, f.token)
  })

  it('no change: nothing is written', async () => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    f.sets.get('A/home')!.values = [V4]
    expect((await runEntry(azure, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.writes().map((r) => r.method)).toEqual(['POST'])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is the record set "@"', async (name) => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    expect((await runEntry(azure, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.writes().at(-1)!.rawPath).toBe(`${RS}/A/@`)
  })

  it('404 NotFound is absent: created only when asked, with PUT, If-None-Match: * and the TTL', async () => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    const ctx = debugCtx()
    expect((await runEntry(azure, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes().map((r) => r.method)).toEqual(['POST'])
    expect((await runEntry(azure, ctx, keys(f.url, { records: ['new'] }), { create: true, ttl: 120 }))[0]).toMatchObject({ status: 'created' })
    const put = f.writes().at(-1)!
    expect([line(put), put.headers['if-none-match'], put.body]).toEqual([`PUT ${RS}/A/new?api-version=2018-05-01`, '*', { properties: { TTL: 120, ARecords: [{ ipv4Address: V4 }] } }])
  })

  it('an empty record set is updated (If-Match), not created', async () => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    f.sets.set('A/empty', { TTL: 300, values: [], etag: 'e-empty' })
    const out = await runEntry(azure, debugCtx(), keys(f.url, { records: ['empty'] }), { create: true })
    expect(out[0]).toMatchObject({ status: 'updated' })
    expect(f.writes().at(-1)!.headers['if-match']).toBe('e-empty')
    expect(f.sets.get('A/empty')).toMatchObject({ TTL: 300, values: [V4] })
  })

  it.each([
    ['wrong secret', { client_secret: 'wrong-secret' }, 'auth', /^azure: HTTP 401 from HOST: AADSTS7000215: Invalid client secret provided/],
    ['unknown tenant', { tenant_id: 'contoso-typo.example' }, 'auth', /^azure: HTTP 400 from HOST: AADSTS90002: Tenant 'contoso-typo\.example' not found/],
    ['unknown zone', { zone: 'example.org' }, 'notfound', /^azure: HTTP 404 from HOST: Can not perform requested operation on nested resource\. Parent resource 'example\.org' not found\.$/],
    ['unknown resource group', { resource_group: 'dns-rg-typo' }, 'notfound', /^azure: HTTP 404 from HOST: Resource group 'dns-rg-typo' could not be found\.$/],
  ])('BC-34: %s fails every record, never absent, nothing written', async (_n, extra, kind, msg) => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    const out = await runEntry(azure, debugCtx(), keys(f.url, extra), { families: [4, 6], create: true })
    for (const o of out) {
      const e = errorOf(o)
      expect(e.kind).toBe(kind)
      expect(e.message).toMatch(new RegExp(msg.source.replace('HOST', f.host.replace(/\./g, '\\.'))))
    }
    expect(f.requests.filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([])
  })

  it.each([
    ['authorization-failed', 'forbidden'],
    ['precondition-failed', 'transient'],
    ['throttled', 'ratelimit'],
  ])('%s on the PATCH fails the record as %s', async (fixture, kind) => {
    const f = await startAzure(TENANT, 'app-id', SECRET)
    f.inject({ method: 'PATCH', fixture })
    const e = errorOf((await runEntry(azure, debugCtx(), keys(f.url)))[0])
    expect(e.kind).toBe(kind)
    if (kind === 'ratelimit') expect(e.retryAfterSec).toBe(17)
  })

  it('parse: defaults, and the tenant is checked before any call', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    const s = azure.parse({ ...keys('x'), base_url: undefined, login_url: undefined }, 'domains[0]', ctx).settings
    expect(s).toMatchObject({ base: AZURE_BASE, login: AZURE_LOGIN, subscription: 'sub-1', group: 'dns-rg' })
    expect(() => azure.parse({ ...keys('http://x'), tenant_id: 'a/b' }, 'domains[0]', ctx)).toThrow('domains[0].tenant_id: is not a tenant id or domain')
    expect(() => azure.parse({ ...keys('http://x'), resource_group: undefined }, 'domains[0]', ctx)).toThrow('domains[0].resource_group: is required')
  })
})
