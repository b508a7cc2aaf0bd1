import { describe, expect, it } from 'vitest'
import { EdgeError } from '../../../../src/errors.js'
import type { HttpResponse } from '../../../../src/net/http.js'
import { call, flat, holdOff, listOf, RATELIMIT_HOLD_SEC, type Api } from '../../../../src/providers/api/call.js'
import { apiProvider, once } from '../../../../src/providers/api/provider.js'
import { startJsonApi } from '../../../helpers/json-api-server.js'
import { makeCtx } from '../../reconcile/support.js'
import { errorOf, track } from './support.js'

const NOW = Date.UTC(2024, 5, 1)
const res = (headers: Record<string, string>): HttpResponse => ({ status: 429, headers, body: '', contentType: '', host: 'h' })

describe('api/call', () => {
  it.each([
    [{ 'retry-after': '17' }, 17],
    [{ 'retry-after': new Date(NOW + 120_000).toUTCString() }, 120],
    [{ 'ratelimit-reset': String(NOW / 1000 + 90) }, 90],
    [{ 'x-rate-limit-reset': String(NOW / 1000 + 5) }, 5],
    [{ 'x-ratelimit-reset': String(NOW / 1000 - 5) }, 1],
    [{ 'ratelimit-reset': '30' }, RATELIMIT_HOLD_SEC],
    [{}, RATELIMIT_HOLD_SEC],
  ])('BC-06: a 429 with %j holds off %i s', (headers, sec) => {
    expect(holdOff(res(headers), NOW)).toBe(sec)
  })

  it.each([
    [{ items: [1] }, 'items', [1]],
    [[2], undefined, [2]],
  ])('listOf(%j, %s) is the list', (b, key, want) => {
    expect(listOf({ name: 'x', base: '', text: () => '' }, b, key)).toEqual(want)
  })

  it.each([[{}], [null], [{ items: {} }], ['text']])('BC-34: listOf(%j) is a protocol error, never an empty list', (b) => {
    expect(() => listOf({ name: 'x', base: '', text: () => '' }, b, 'items')).toThrow('x: answer has no items')
  })

  it('flat joins nested texts and drops empty ones', () => {
    expect(flat(['a ', [undefined, 'b'], '', 3])).toBe('a; b')
    expect(flat(undefined)).toBe('')
  })

  it.each([
    [400, 'invalid'],
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'notfound'],
    [409, 'conflict'],
    [412, 'transient'],
    [422, 'invalid'],
    [429, 'ratelimit'],
    [500, 'transient'],
    [503, 'transient'],
    [301, 'protocol'],
  ])('HTTP %i is %s', async (status, kind) => {
    const f = track(await startJsonApi('none', () => ({ status, body: { msg: 'no' } })))
    const api: Api = { name: 'x', base: f.url, text: (b) => b.msg }
    await expect(call(makeCtx(), api, { path: '/a' })).rejects.toMatchObject({ kind, message: `x: HTTP ${status} from ${f.host}: no` })
  })

  it('a connection refused is a transient error named after the API', async () => {
    const f = track(await startJsonApi('none', () => ({ status: 200 })))
    const base = f.url
    await f.close()
    await expect(call(makeCtx(), { name: 'x', base, text: () => '' }, { path: '/' })).rejects.toMatchObject({ kind: 'transient', message: expect.stringMatching(/^x: /) })
  })

  it('once: one call per run and key, the failure remembered too', async () => {
    const ctx = makeCtx()
    let n = 0
    const fn = async (): Promise<number> => ++n
    expect(await Promise.all([once(ctx, 'k', fn), once(ctx, 'k', fn), once(ctx, 'j', fn)])).toEqual([1, 1, 2])
    expect(await once(makeCtx(), 'k', fn)).toBe(3)
    const bad = (): Promise<never> => Promise.reject(new Error('boom'))
    await expect(once(ctx, 'bad', bad)).rejects.toThrow('boom')
    await expect(once(ctx, 'bad', async () => 1)).rejects.toThrow('boom')
  })

  it('the write loop: after refused credentials the remaining changes fail unsent; an invalid record stops nothing', async () => {
    const sent: string[] = []
    const p = apiProvider('x', {
      list: async () => [],
      update: async () => undefined,
      create: async (ref) => {
        sent.push(ref.fqdn)
        if (ref.fqdn === 'bad.example.com') throw new EdgeError('invalid', 'x: bad')
        if (ref.fqdn === 'auth.example.com') throw new EdgeError('auth', 'x: refused')
      },
    })
    const ref = (n: string) => ({ fqdn: `${n}.example.com`, type: 'A' as const })
    const changes = ['bad', 'ok', 'auth', 'later'].map((n) => ({ ref: ref(n), value: '192.0.2.1', current: { kind: 'absent' as const }, create: true }))
    const out = await p.write(changes, makeCtx())
    expect(out.map((o) => o.status)).toEqual(['failed', 'created', 'failed', 'failed'])
    expect(errorOf(out[3]).message).toBe('x: refused')
    expect(sent).toEqual(['bad.example.com', 'ok.example.com', 'auth.example.com'])
  })
})
