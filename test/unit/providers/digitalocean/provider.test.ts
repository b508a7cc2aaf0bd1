import { describe, expect, it } from 'vitest'
import { digitalocean, DO_BASE } from '../../../../src/providers/digitalocean/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startDo, type DoRecord } from './fake.js'

const TOKEN = 'dop_v1_FAKE0123456789abcdef'
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ token: TOKEN, zone: 'example.com', records: ['home'], base_url: url, ...extra })
const line = (r: { method: string; rawPath: string; search: string }): string => `${r.method} ${r.rawPath}${r.search ? `?${r.search}` : ''}`

describe('digitalocean', () => {
  it('updates A and AAAA with PATCH {type, data} after one read of the name; TTL and siblings stay', async () => {
    const f = await startDo(TOKEN)
    const ctx = debugCtx()
    const out = await runEntry(digitalocean, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.value, o.previous])).toEqual([
      ['updated', V4, ['192.0.2.1']],
      ['updated', V6, ['2001:db8::1']],
    ])
    expect(f.requests.map(line)).toEqual([
      'GET /v2/domains/example.com/records?name=home.example.com&per_page=200&page=1',
      'PATCH /v2/domains/example.com/records/3352892',
      'PATCH /v2/domains/example.com/records/3352893',
    ])
    for (const r of f.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(f.writes().map((r) => r.body)).toEqual([
      { type: 'A', data: V4 },
      { type: 'AAAA', data: V6 },
    ])
    const byId = (id: number): DoRecord | undefined => f.records.find((r) => r.id === id)
    expect(byId(3352892)).toMatchObject({ name: 'home', data: V4, ttl: 3600 })
    expect(byId(3352894)).toMatchObject({ type: 'TXT', data: 'v=spf1 -all' })
    expect(byId(3352895)).toMatchObject({ name: 'www', data: '192.0.2.10', ttl: 600 })
  })

  it('no change: the record already holds the address, so nothing is written', async () => {
    const f = await startDo(TOKEN)
    f.records.find((r) => r.id === 3352892)!.data = V4
    const ctx = debugCtx()
    const out = await runEntry(digitalocean, ctx, keys(f.url))
    expect(out[0]).toMatchObject({ status: 'unchanged', value: V4 })
    expect(f.writes()).toEqual([])
    expect(f.requests).toHaveLength(1)
  })

  it.each([['@'], [''], ['example.com'], ['example.com.']])('BC-22: record %j is the apex: filter name=example.com, PATCH its id', async (name) => {
    const f = await startDo(TOKEN)
    const out = await runEntry(digitalocean, debugCtx(), keys(f.url, { records: [name] }))
    expect(out[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.requests.map(line)).toEqual(['GET /v2/domains/example.com/records?name=example.com&per_page=200&page=1', 'PATCH /v2/domains/example.com/records/28448432'])
  })

  it('creates only when the entry says create: POST {type, name, data, ttl}; "@" for the apex', async () => {
    const f = await startDo(TOKEN)
    const ctx = debugCtx()
    expect((await runEntry(digitalocean, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes()).toEqual([])
    const out = await runEntry(digitalocean, ctx, keys(f.url, { records: ['new', 'sub.new'] }), { create: true, ttl: 300 })
    expect(out.map((o) => o.status)).toEqual(['created', 'created'])
    expect(f.writes().map((r) => [r.method, r.rawPath, r.body])).toEqual([
      ['POST', '/v2/domains/example.com/records', { type: 'A', name: 'new', data: V4, ttl: 300 }],
      ['POST', '/v2/domains/example.com/records', { type: 'A', name: 'sub.new', data: V4, ttl: 300 }],
    ])
    f.records.splice(0, f.records.length)
    await runEntry(digitalocean, ctx, keys(f.url, { records: ['@'] }), { create: true })
    expect(f.writes().at(-1)!.body).toEqual({ type: 'A', name: '@', data: V4 })
  })

  it('pagination: the A record on the second page is found (filters kept on every page, not the links)', async () => {
    const seed: DoRecord[] = Array.from({ length: 250 }, (_, i) => ({ id: i + 1, type: 'TXT', name: 'home', data: `t${i}`, ttl: 60 }))
    seed.push({ id: 999, type: 'A', name: 'home', data: '192.0.2.1', ttl: 3600 })
    const f = await startDo(TOKEN, seed)
    const out = await runEntry(digitalocean, debugCtx(), keys(f.url))
    expect(out[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.1'] })
    expect(f.requests.map(line)).toEqual([
      'GET /v2/domains/example.com/records?name=home.example.com&per_page=200&page=1',
      'GET /v2/domains/example.com/records?name=home.example.com&per_page=200&page=2',
      'PATCH /v2/domains/example.com/records/999',
    ])
  })

  it('BC-11: a CNAME at the name is a conflict, never absent; nothing is written', async () => {
    const f = await startDo(TOKEN)
    const e = errorOf((await runEntry(digitalocean, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0])
    expect(e.kind).toBe('conflict')
    expect(e.message).toMatch(/^digitalocean: shop\.example\.com is a CNAME \(to shops\.example\.net\.\)/)
    expect(f.writes()).toEqual([])
  })

  it.each([
    ['wrong token', {}, 'unauthorized', 'auth', 'HTTP 401 from HOST: Unable to authenticate you'],
    ['unknown zone', { zone: 'example.org' }, 'not-found', 'notfound', 'HTTP 404 from HOST: The resource you were accessing could not be found.'],
    ['server error', {}, 'server-error', 'transient', 'HTTP 500 from HOST: Unexpected server-side error'],
    ['rate limit', {}, 'too-many-requests', 'ratelimit', 'HTTP 429 from HOST: API Rate limit exceeded.'],
  ])('BC-34: %s on the read fails the records, writes nothing', async (_n, extra, fixture, kind, msg) => {
    const f = await startDo(TOKEN)
    if (fixture !== 'unauthorized' && fixture !== 'not-found') f.inject({ method: 'GET', fixture })
    const k = fixture === 'unauthorized' ? { ...keys(f.url), token: 'dop_v1_WRONG' } : keys(f.url, extra)
    const out = await runEntry(digitalocean, debugCtx(), k, { families: [4, 6], create: true })
    for (const o of out) {
      const e = errorOf(o)
      expect(e.kind).toBe(kind)
      expect(e.message).toBe(`digitalocean: ${msg.replace('HOST', f.host)}`)
    }
    expect(f.requests).toHaveLength(1)
    if (kind === 'ratelimit') expect(errorOf(out[0]).retryAfterSec).toBe(90)
  })

  it('BC-34: a 200 without domain_records is a protocol error, never "absent": nothing is created', async () => {
    const f = await startDo(TOKEN)
    f.inject({ method: 'GET', answer: { status: 200, body: { message: 'maintenance' } } })
    const e = errorOf((await runEntry(digitalocean, debugCtx(), keys(f.url, { records: ['new'] }), { create: true }))[0])
    expect(e).toMatchObject({ kind: 'protocol', message: 'digitalocean: answer has no domain_records' })
    expect(f.writes()).toEqual([])
  })

  it.each([
    ['forbidden', 'forbidden'],
    ['unprocessable', 'invalid'],
  ])('a %s answer to the PATCH fails the record as %s', async (fixture, kind) => {
    const f = await startDo(TOKEN)
    f.inject({ method: 'PATCH', fixture })
    const e = errorOf((await runEntry(digitalocean, debugCtx(), keys(f.url)))[0])
    expect(e).toMatchObject({ kind, retryable: false })
  })

  it('BC-28: a token with &#$%:+ goes byte for byte into the header and never into a log line or error', async () => {
    const f = await startDo(NASTY)
    f.inject({ method: 'PATCH', answer: { status: 500, body: { id: 'server_error', message: `token ${NASTY} rejected` } } })
    const ctx = debugCtx()
    const out = await runEntry(digitalocean, ctx, keys(f.url, { token: NASTY }))
    expect(f.requests[0]!.headers.authorization).toBe(`Bearer ${NASTY}`)
    expect(errorOf(out[0]).message).toBe(`digitalocean: HTTP 500 from ${f.host}: token *** rejected`)
    expect(ctx.lines.some((l) => l.startsWith('debug: digitalocean: GET /v2/domains/example.com/records?'))).toBe(true)
    expectNoSecret(ctx, out, NASTY)
  })

  it('parse: keys, defaults and errors that name the key', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    const p = digitalocean.parse({ token: TOKEN, zone: 'Example.COM.', records: ['home', '@'] }, 'domains[0]', ctx)
    expect(p.settings).toEqual({ zone: 'example.com', names: ['home.example.com', 'example.com'], base: DO_BASE, token: TOKEN })
    expect(p.account).toMatch(/^digitalocean:api\.digitalocean\.com:[0-9a-f]{8}$/)
    expect(() => digitalocean.parse({ zone: 'example.com', records: ['a'] }, 'domains[0]', ctx)).toThrow('domains[0].token: is required')
    expect(() => digitalocean.parse({ token: 'a b c', zone: 'example.com', records: ['a'] }, 'domains[0]', ctx)).toThrow(/domains\[0\]\.token: contains spaces/)
    expect(() => digitalocean.parse({ token: TOKEN, zone: 'example.com', records: ['a'], domain: 'x' }, 'domains[0]', ctx)).toThrow(/domains\[0\]\.domain: unknown key/)
  })
})
