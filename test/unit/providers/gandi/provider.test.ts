import { describe, expect, it } from 'vitest'
import { gandi, GANDI_BASE } from '../../../../src/providers/gandi/index.js'
import { debugCtx, errorOf, expectNoSecret, NASTY, runEntry, V4, V6 } from '../api/support.js'
import { startGandi } from './fake.js'

const TOKEN = 'gandi-pat-FAKE-0123456789abcdef'
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ token: TOKEN, zone: 'example.com', records: ['home'], base_url: `${url}/v5/livedns`, ...extra })
const line = (r: { method: string; rawPath: string }): string => `${r.method} ${r.rawPath}`

describe('gandi (LiveDNS v5)', () => {
  it('one read per name, then PUT each RRset with the new value and its own TTL; siblings stay', async () => {
    const f = await startGandi(TOKEN)
    const out = await runEntry(gandi, debugCtx(), keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map(line)).toEqual([
      'GET /v5/livedns/domains/example.com/records/home',
      'PUT /v5/livedns/domains/example.com/records/home/A',
      'PUT /v5/livedns/domains/example.com/records/home/AAAA',
    ])
    for (const r of f.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`)
    expect(f.writes().map((r) => r.body)).toEqual([
      { rrset_values: [V4], rrset_ttl: 3600 },
      { rrset_values: [V6], rrset_ttl: 1800 },
    ])
    expect(f.sets.find((s) => s.rrset_name === 'home' && s.rrset_type === 'TXT')!.rrset_values).toEqual(['"v=spf1 -all"'])
    expect(f.sets.find((s) => s.rrset_name === 'www')).toMatchObject({ rrset_ttl: 600, rrset_values: ['192.0.2.10'] })
  })

  it('no change: nothing is written', async () => {
    const f = await startGandi(TOKEN)
    f.sets[0]!.rrset_values = [V4]
    expect((await runEntry(gandi, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.writes()).toEqual([])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is the name "@"', async (name) => {
    const f = await startGandi(TOKEN)
    expect((await runEntry(gandi, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.requests.map(line)).toEqual(['GET /v5/livedns/domains/example.com/records/@', 'PUT /v5/livedns/domains/example.com/records/@/A'])
    expect(f.writes()[0]!.body).toEqual({ rrset_values: [V4], rrset_ttl: 7200 })
  })

  it('an empty list is absent: created with POST only when asked', async () => {
    const f = await startGandi(TOKEN)
    const ctx = debugCtx()
    expect((await runEntry(gandi, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes()).toEqual([])
    expect((await runEntry(gandi, ctx, keys(f.url, { records: ['new'] }), { create: true, ttl: 300 }))[0]).toMatchObject({ status: 'created' })
    expect(f.writes().map((r) => [line(r), r.body])).toEqual([['POST /v5/livedns/domains/example.com/records/new/A', { rrset_values: [V4], rrset_ttl: 300 }]])
  })

  it('BC-11: a CNAME at the name is a conflict', async () => {
    const f = await startGandi(TOKEN)
    expect(errorOf((await runEntry(gandi, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0]).kind).toBe('conflict')
    expect(f.writes()).toEqual([])
  })

  it.each([
    ['wrong token', 'unauthorized', 'auth', /^gandi: HTTP 401 from HOST: The server could not verify that you authorized/],
    ['domain not in LiveDNS', 'not-found', 'notfound', /^gandi: HTTP 404 from HOST: The resource could not be found\.$/],
    ['forbidden', 'forbidden', 'forbidden', /^gandi: HTTP 403 from HOST: Access was denied to this resource\.$/],
    ['server error', 'server-error', 'transient', /^gandi: HTTP 500 from HOST: Internal Server Error$/],
  ])('BC-34: %s on the read fails the records, never absent', async (_n, fixture, kind, msg) => {
    const f = await startGandi(TOKEN)
    f.inject({ method: 'GET', fixture })
    const out = await runEntry(gandi, debugCtx(), keys(f.url), { create: true })
    const e = errorOf(out[0])
    expect(e.kind).toBe(kind)
    expect(e.message).toMatch(new RegExp(msg.source.replace('HOST', f.host.replace(/\./g, '\\.'))))
    expect(f.writes()).toEqual([])
  })

  it('a 400 names the field and its description', async () => {
    const f = await startGandi(TOKEN)
    f.inject({ method: 'PUT', fixture: 'bad-ttl' })
    const e = errorOf((await runEntry(gandi, debugCtx(), keys(f.url)))[0])
    expect(e).toMatchObject({ kind: 'invalid', message: `gandi: HTTP 400 from ${f.host}: Bad Request; rrset_ttl: 300 is the minimum value` })
  })

  it('BC-28: the token stays in the Authorization header, out of every log line', async () => {
    const f = await startGandi(NASTY)
    const ctx = debugCtx()
    const out = await runEntry(gandi, ctx, keys(f.url, { token: NASTY }))
    expect(out[0]!.status).toBe('updated')
    expect(f.requests[0]!.headers.authorization).toBe(`Bearer ${NASTY}`)
    expectNoSecret(ctx, out, NASTY)
  })

  it('parse: default base URL; TTL bounds are LiveDNS\'s', () => {
    const p = gandi.parse({ token: TOKEN, zone: 'example.com', records: ['home'] }, 'domains[0]', { secret: () => {}, warn: () => {} })
    expect(p.settings.base).toBe(GANDI_BASE)
    expect(gandi.ttl).toEqual({ min: 300, max: 2592000 })
  })
})
