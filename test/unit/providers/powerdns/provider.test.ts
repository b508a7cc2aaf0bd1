import { describe, expect, it } from 'vitest'
import { powerdns } from '../../../../src/providers/powerdns/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startPowerdns } from './fake.js'

const KEY = NASTY
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ api_key: KEY, zone: 'example.com', records: ['home'], base_url: url, ...extra })
const ZONE = '/api/v1/servers/localhost/zones/example.com.'

describe('powerdns', () => {
  it('reads the zone once, then PATCHes each RRset with REPLACE, its own TTL, and no comments (so they stay)', async () => {
    const f = await startPowerdns(KEY)
    const ctx = debugCtx()
    const out = await runEntry(powerdns, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual([`GET ${ZONE}`, `PATCH ${ZONE}`, `PATCH ${ZONE}`])
    for (const r of f.requests) expect(r.headers['x-api-key']).toBe(KEY)
    expect(f.writes().map((r) => r.body)).toEqual([
      { rrsets: [{ name: 'home.example.com.', type: 'A', ttl: 300, changetype: 'REPLACE', records: [{ content: V4, disabled: false }] }] },
      { rrsets: [{ name: 'home.example.com.', type: 'AAAA', ttl: 600, changetype: 'REPLACE', records: [{ content: V6, disabled: false }] }] },
    ])
    expect(f.rrsets.find((s) => s.name === 'home.example.com.' && s.type === 'A')).toMatchObject({ ttl: 300, comments: [{ content: 'the router' }] })
    expect(f.rrsets.find((s) => s.name === 'www.example.com.')!.records).toEqual([{ content: '192.0.2.10', disabled: false }])
    expectNoSecret(ctx, out, KEY)
  })

  it('no change: nothing is written', async () => {
    const f = await startPowerdns(KEY)
    f.rrsets.find((s) => s.name === 'home.example.com.' && s.type === 'A')!.records = [{ content: V4, disabled: false }]
    expect((await runEntry(powerdns, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.writes()).toEqual([])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is "example.com." (names need the trailing dot)', async (name) => {
    const f = await startPowerdns(KEY)
    expect((await runEntry(powerdns, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.writes()[0]!.body.rrsets[0]).toMatchObject({ name: 'example.com.', type: 'A', ttl: 7200 })
  })

  it('creates only when asked, REPLACE with the configured TTL (else 3600); server_id is honoured', async () => {
    const f = await startPowerdns(KEY, 'ns1')
    const ctx = debugCtx()
    expect((await runEntry(powerdns, ctx, keys(f.url, { records: ['new'], server_id: 'ns1' })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes()).toEqual([])
    expect((await runEntry(powerdns, ctx, keys(f.url, { records: ['new'], server_id: 'ns1' }), { create: true }))[0]).toMatchObject({ status: 'created' })
    expect(f.writes()[0]!.rawPath).toBe('/api/v1/servers/ns1/zones/example.com.')
    expect(f.writes()[0]!.body).toEqual({ rrsets: [{ name: 'new.example.com.', type: 'A', ttl: 3600, changetype: 'REPLACE', records: [{ content: V4, disabled: false }] }] })
  })

  it('BC-11: a CNAME at the name is a conflict', async () => {
    const f = await startPowerdns(KEY)
    expect(errorOf((await runEntry(powerdns, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0]).kind).toBe('conflict')
    expect(f.writes()).toEqual([])
  })

  it.each([
    ['wrong key', { api_key: 'wrong-key' }, 'auth', 'HTTP 401 from HOST: Unauthorized'],
    ['unknown zone', { zone: 'example.org' }, 'notfound', "HTTP 404 from HOST: Could not find domain 'example.org.'"],
  ])('BC-34: %s fails every record and writes nothing', async (_n, extra, kind, msg) => {
    const f = await startPowerdns(KEY)
    const out = await runEntry(powerdns, debugCtx(), keys(f.url, extra), { families: [4, 6], create: true })
    for (const o of out) expect(errorOf(o)).toMatchObject({ kind, message: `powerdns: ${msg.replace('HOST', f.host)}` })
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    [{ status: 401, raw: 'Unauthorized' }, 'auth', 'HTTP 401 from HOST: Unauthorized'],
    [{ status: 401, raw: '<html><body><h1>401 Unauthorized</h1></body></html>', headers: { 'content-type': 'text/html' } }, 'auth', 'HTTP 401 from HOST: unexpected text/html'],
    [{ status: 200, raw: '<html>login</html>', headers: { 'content-type': 'text/html' } }, 'protocol', 'unexpected text/html from HOST (HTTP 200)'],
  ])('a non-JSON answer %j is %s with a clear message', async (answer, kind, msg) => {
    const f = await startPowerdns(KEY)
    f.inject({ method: 'GET', answer })
    expect(errorOf((await runEntry(powerdns, debugCtx(), keys(f.url)))[0])).toMatchObject({ kind, message: `powerdns: ${msg.replace('HOST', f.host)}` })
  })

  it.each([
    ['unprocessable', 'invalid'],
    ['server-error', 'transient'],
  ])('%s on the PATCH fails the record as %s', async (fixture, kind) => {
    const f = await startPowerdns(KEY)
    f.inject({ method: 'PATCH', fixture })
    expect(errorOf((await runEntry(powerdns, debugCtx(), keys(f.url)))[0]).kind).toBe(kind)
  })

  it('parse: base_url is required (self-hosted), server_id defaults to localhost', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    expect(() => powerdns.parse({ api_key: 'k', zone: 'example.com', records: ['a'] }, 'domains[0]', ctx)).toThrow('domains[0].base_url: is required')
    expect(powerdns.parse({ api_key: 'k', zone: 'example.com', records: ['a'], base_url: 'http://127.0.0.1:8081/' }, 'domains[0]', ctx).settings).toMatchObject({
      base: 'http://127.0.0.1:8081',
      server: 'localhost',
    })
  })
})
