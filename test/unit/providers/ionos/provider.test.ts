import { describe, expect, it } from 'vitest'
import { ionos } from '../../../../src/providers/ionos/index.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { addresses } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'
import { debugCtx, errorOf, expectNoSecret, runEntry, V4, V6 } from '../api/support.js'
import { startIonos } from './fake.js'

const KEY = 'a1b2c3d4e5f6.FAKE-secret-with&#$%:+chars'
const ZID = '11af3414-ebba-11e9-8df5-66fbe8a334b4'
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ key: KEY, zone: 'example.com', records: ['home'], base_url: `${url}/dns`, ...extra })
const line = (r: { method: string; rawPath: string; search: string }): string => `${r.method} ${r.rawPath}${r.search ? `?${r.search}` : ''}`

describe('ionos', () => {
  it('finds the zone id, reads A/AAAA/CNAME once, and PUTs content with the record\'s own ttl, prio and disabled', async () => {
    const f = await startIonos(KEY)
    const ctx = debugCtx()
    const out = await runEntry(ionos, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map(line)).toEqual([
      'GET /dns/v1/zones',
      `GET /dns/v1/zones/${ZID}?recordType=A,AAAA,CNAME`,
      `PUT /dns/v1/zones/${ZID}/records/a0000000-0000-0000-0000-000000000002`,
      `PUT /dns/v1/zones/${ZID}/records/a0000000-0000-0000-0000-000000000003`,
    ])
    for (const r of f.requests) expect(r.headers['x-api-key']).toBe(KEY)
    expect(f.writes().map((r) => r.body)).toEqual([
      { content: V4, ttl: 600, prio: 0, disabled: false },
      { content: V6, ttl: 600, prio: 0, disabled: true },
    ])
    // The disabled flag survives: IONOS resets an omitted "disabled" to false.
    expect(f.records.find((r) => r.type === 'AAAA')).toMatchObject({ content: V6, disabled: true, ttl: 600 })
    expect(f.records.find((r) => r.name === 'www.example.com')).toMatchObject({ content: '192.0.2.10', ttl: 60 })
    expectNoSecret(ctx, out, KEY)
  })

  it('no change: nothing is written', async () => {
    const f = await startIonos(KEY)
    f.records[1]!.content = V4
    expect((await runEntry(ionos, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.writes()).toEqual([])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is the record named example.com (IONOS names are full names)', async (name) => {
    const f = await startIonos(KEY)
    expect((await runEntry(ionos, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.writes().map((r) => r.rawPath)).toEqual([`/dns/v1/zones/${ZID}/records/a0000000-0000-0000-0000-000000000001`])
  })

  it('creates only when asked: POST a list with the full name and the configured (else 3600) TTL', async () => {
    const f = await startIonos(KEY)
    const ctx = debugCtx()
    expect((await runEntry(ionos, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.writes()).toEqual([])
    expect((await runEntry(ionos, ctx, keys(f.url, { records: ['new'] }), { create: true }))[0]).toMatchObject({ status: 'created' })
    expect(f.writes().map((r) => [line(r), r.body])).toEqual([
      [`POST /dns/v1/zones/${ZID}/records`, [{ name: 'new.example.com', type: 'A', content: V4, ttl: 3600, prio: 0, disabled: false }]],
    ])
  })

  it('BC-11: a CNAME at the name is a conflict, never absent', async () => {
    const f = await startIonos(KEY)
    expect(errorOf((await runEntry(ionos, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0]).kind).toBe('conflict')
    expect(f.writes()).toEqual([])
  })

  it('the zone id is asked once per run, however many entries use it', async () => {
    const f = await startIonos(KEY)
    const ctx = debugCtx()
    const entries = [entryFor(ionos, ctx, keys(f.url), { index: 0 }), entryFor(ionos, ctx, keys(f.url, { records: ['www'] }), { index: 1 })]
    await reconcile(entries, addresses({ 4: V4 }), ctx, { dryRun: false, concurrency: 1 })
    expect(f.requests.filter((r) => r.rawPath === '/dns/v1/zones')).toHaveLength(1)
  })

  it('a zone the account does not hold is "not found", never absent', async () => {
    const f = await startIonos(KEY)
    const out = await runEntry(ionos, debugCtx(), keys(f.url, { zone: 'example.net' }), { create: true })
    expect(errorOf(out[0])).toMatchObject({ kind: 'notfound', message: 'ionos: no zone example.net in this account' })
    expect(f.writes()).toEqual([])
  })

  it.each([
    ['wrong key', 'unauthorized', 'auth', 'HTTP 401 from HOST: The customer is not authorized to do this operation.'],
    ['server error', 'server-error', 'transient', 'HTTP 500 from HOST: Internal server error.'],
  ])('BC-34: %s fails every record and writes nothing', async (_n, fixture, kind, msg) => {
    const f = await startIonos(KEY)
    f.inject({ method: 'GET', fixture })
    const out = await runEntry(ionos, debugCtx(), keys(f.url), { families: [4, 6], create: true })
    for (const o of out) expect(errorOf(o)).toMatchObject({ kind, message: `ionos: ${msg.replace('HOST', f.host)}` })
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['record-not-found', 'notfound'],
    ['invalid-record', 'invalid'],
  ])('%s on the PUT fails that record as %s', async (fixture, kind) => {
    const f = await startIonos(KEY)
    f.inject({ method: 'PUT', fixture })
    expect(errorOf((await runEntry(ionos, debugCtx(), keys(f.url)))[0]).kind).toBe(kind)
  })
})
