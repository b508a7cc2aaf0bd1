import { describe, expect, it } from 'vitest'
import { hetzner, HETZNER_BASE } from '../../../../src/providers/hetzner/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startHetzner } from './fake.js'

const TOKEN = 'hz-FAKE-token-0123456789abcdefABCDEF'
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ token: TOKEN, zone: 'example.com', records: ['home'], base_url: `${url}/v1`, ...extra })
const line = (r: { method: string; rawPath: string; search: string }): string => `${r.method} ${r.rawPath}${r.search ? `?${r.search}` : ''}`

describe('hetzner (Cloud API)', () => {
  it('sets the records of the A and AAAA RRsets, keeping the comment; TTL, labels and siblings stay', async () => {
    const f = await startHetzner(TOKEN)
    const out = await runEntry(hetzner, debugCtx(), keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.value, o.previous])).toEqual([
      ['updated', V4, ['192.0.2.1']],
      ['updated', V6, ['2001:db8::1']],
    ])
    expect(f.requests.map(line)).toEqual([
      'GET /v1/zones/example.com/rrsets?name=home&per_page=50',
      'POST /v1/zones/example.com/rrsets/home/A/actions/set_records',
      'POST /v1/zones/example.com/rrsets/home/AAAA/actions/set_records',
    ])
    for (const r of f.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(f.writes().map((r) => r.body)).toEqual([{ records: [{ value: V4, comment: 'router' }] }, { records: [{ value: V6 }] }])
    const set = (n: string, t: string) => f.rrsets.find((s) => s.name === n && s.type === t)
    expect(set('home', 'A')).toMatchObject({ ttl: 3600, labels: { owner: 'edge' }, records: [{ value: V4, comment: 'router' }] })
    expect(set('home', 'TXT')!.records).toEqual([{ value: '"v=spf1 -all"' }])
    expect(set('www', 'A')).toMatchObject({ ttl: 600, records: [{ value: '192.0.2.10' }] })
  })

  it('no change: nothing is written', async () => {
    const f = await startHetzner(TOKEN)
    f.rrsets.find((s) => s.name === 'home' && s.type === 'A')!.records = [{ value: V4 }]
    const out = await runEntry(hetzner, debugCtx(), keys(f.url))
    expect(out[0]).toMatchObject({ status: 'unchanged' })
    expect(f.writes()).toEqual([])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is the RRset "@"', async (name) => {
    const f = await startHetzner(TOKEN)
    const out = await runEntry(hetzner, debugCtx(), keys(f.url, { records: [name] }))
    expect(out[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.requests.map(line)).toEqual(['GET /v1/zones/example.com/rrsets?name=@&per_page=50', 'POST /v1/zones/example.com/rrsets/@/A/actions/set_records'])
  })

  it('creates only when asked: POST rrsets {name, type, records, ttl}', async () => {
    const f = await startHetzner(TOKEN)
    const ctx = debugCtx()
    expect((await runEntry(hetzner, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes()).toEqual([])
    expect((await runEntry(hetzner, ctx, keys(f.url, { records: ['new'] }), { create: true, ttl: 120 }))[0]).toMatchObject({ status: 'created' })
    expect(f.writes().map((r) => [r.method, r.rawPath, r.body])).toEqual([['POST', '/v1/zones/example.com/rrsets', { name: 'new', type: 'A', records: [{ value: V4 }], ttl: 120 }]])
    await runEntry(hetzner, ctx, keys(f.url, { records: ['new2'] }), { create: true })
    expect(f.writes().at(-1)!.body).toEqual({ name: 'new2', type: 'A', records: [{ value: V4 }] })
  })

  it('BC-11: a CNAME RRset at the name is a conflict', async () => {
    const f = await startHetzner(TOKEN)
    const e = errorOf((await runEntry(hetzner, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0])
    expect(e.kind).toBe('conflict')
    expect(f.writes()).toEqual([])
  })

  it('an action already in error fails the record as the provider\'s failure', async () => {
    const f = await startHetzner(TOKEN)
    f.inject({ method: 'POST', fixture: 'action-error' })
    const e = errorOf((await runEntry(hetzner, debugCtx(), keys(f.url)))[0])
    expect(e).toMatchObject({ kind: 'provider', message: 'hetzner: action 14 failed: Action failed' })
  })

  it.each([
    ['wrong token', 'unauthorized', 'auth', 'HTTP 401 from HOST: unable to authenticate'],
    ['unknown zone', 'zone-not-found', 'notfound', 'HTTP 404 from HOST: zone not found'],
    ['rate limit', 'rate-limit', 'ratelimit', 'HTTP 429 from HOST: limit of 3600 requests per hour reached'],
    ['outage', 'unavailable', 'transient', 'HTTP 503 from HOST: service unavailable'],
  ])('BC-34: %s on the read fails every record and writes nothing', async (_n, fixture, kind, msg) => {
    const f = await startHetzner(TOKEN)
    f.inject({ method: 'GET', fixture })
    const out = await runEntry(hetzner, debugCtx(), keys(f.url), { families: [4, 6], create: true })
    for (const o of out) expect(errorOf(o)).toMatchObject({ kind, message: `hetzner: ${msg.replace('HOST', f.host)}` })
    if (kind === 'ratelimit') expect(errorOf(out[0]).retryAfterSec).toBe(45)
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['forbidden', 'forbidden'],
    ['incorrect-zone-mode', 'invalid'],
  ])('%s on set_records fails the record as %s, and a forbidden stops the rest', async (fixture, kind) => {
    const f = await startHetzner(TOKEN)
    f.inject({ method: 'POST', fixture, times: 2 })
    const out = await runEntry(hetzner, debugCtx(), keys(f.url), { families: [4, 6] })
    expect(errorOf(out[0]).kind).toBe(kind)
    expect(f.writes()).toHaveLength(kind === 'forbidden' ? 1 : 2)
  })

  it('BC-28: the token goes only into the Authorization header and never into a log line', async () => {
    const f = await startHetzner(NASTY)
    const ctx = debugCtx()
    const out = await runEntry(hetzner, ctx, keys(f.url, { token: NASTY }))
    expect(out[0]!.status).toBe('updated')
    expect(f.requests[0]!.headers.authorization).toBe(`Bearer ${NASTY}`)
    expect(f.requests.every((r) => !r.search.includes('Tk') && !r.text.includes('Tk'))).toBe(true)
    expectNoSecret(ctx, out, NASTY)
  })

  it('parse: default base URL, account, and the old DNS Console key name is refused', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    const p = hetzner.parse({ token: TOKEN, zone: 'example.com', records: ['*'] }, 'domains[0]', ctx)
    expect(p.settings).toMatchObject({ base: HETZNER_BASE, names: ['*.example.com'] })
    expect(p.account).toMatch(/^hetzner:api\.hetzner\.cloud:[0-9a-f]{8}$/)
    expect(() => hetzner.parse({ api_key: 'x', zone: 'example.com', records: ['a'] }, 'domains[0]', ctx)).toThrow(/domains\[0\]\.api_key: unknown key/)
  })
})
