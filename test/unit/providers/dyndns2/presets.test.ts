import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dyndns2 } from '../../../../src/providers/dyndns2/index.js'
import { PRESETS, type Dyndns2Preset } from '../../../../src/providers/dyndns2/presets.js'
import type { Outcome } from '../../../../src/providers/types.js'
import { fixture, startDyndnsServer, type Answer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { A, AAAA, change, parseWith, pushCtx } from './support.js'

/**
 * One fixture test per preset (issue 10): success, no change and refused credentials, each
 * answered by the fake as the service's documentation says, with the exact request asserted.
 */

let f: FakeDyndns
beforeAll(async () => {
  f = await startDyndnsServer()
})
afterAll(async () => {
  await f.close()
})
beforeEach(() => {
  f.requests.length = 0
})

/** Which fixture file answers each case, per preset; null: the service has no such answer. */
const ANSWERS: Record<string, { good: string; nochg: string | null; badauth: string }> = {
  easydns: { good: 'easydns-noerror', nochg: null, badauth: 'easydns-noaccess' },
  freedns: { good: 'freedns-updated', nochg: 'freedns-nochg', badauth: 'freedns-badauth' },
  changeip: { good: 'changeip-good', nochg: 'nochg', badauth: 'badauth' },
}
const answers = (p: Dyndns2Preset) => ANSWERS[p.name] ?? { good: 'good', nochg: 'nochg', badauth: 'badauth' }

function pathOf(url: string): string {
  return new URL(url).pathname
}

async function run(p: Dyndns2Preset, answer: Answer, changes = [change(A('home.example.com'), '192.0.2.10')]): Promise<Outcome[]> {
  f.route('*', answer)
  const ctx = pushCtx()
  const keys: Record<string, unknown> = { preset: p.name, server: f.url, hostname: 'home.example.com', password: 'fake-pass' }
  if (p.auth === 'basic' && !p.userIsHost) keys.username = 'fake-user'
  const { settings } = parseWith(dyndns2, keys, ctx)
  return dyndns2.create(settings, {}).write(changes, ctx)
}

describe('dyndns2 preset table', () => {
  it('names are unique and every row names its documentation page', () => {
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length)
    for (const p of PRESETS) {
      expect(p.docs, p.name).toMatch(/^https:\/\//)
      expect(p.url, p.name).toMatch(/^https:\/\//)
      expect(p.verified.length, p.name).toBeGreaterThan(20)
      expect(p.maxHosts, p.name).toBeGreaterThanOrEqual(1)
    }
  })

  it('has at least the services the providers issue names', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(expect.arrayContaining(['dyn', 'noip', 'dynu', 'he', 'ovh', 'strato', 'nsupdate.info', 'dnsomatic', 'changeip', 'freedns', 'spdyn', 'easydns']))
  })

  it('each IPv6 style carries what it needs', () => {
    for (const p of PRESETS) {
      if (p.ipv6 === 'param') expect(p.v6Param, p.name).toBeTruthy()
      if (p.ipv6 === 'host') expect(p.url6, p.name).toMatch(/^https:\/\//)
      if (p.keep !== undefined) expect(p.ipv6, p.name).toBe('param')
      for (const x of p.extraCodes ?? []) expect(() => new RegExp(x.match, 'i'), `${p.name} ${x.match}`).not.toThrow()
    }
  })
})

describe.each(PRESETS.map((p) => [p.name, p] as const))('preset %s', (_name, p) => {
  it('success: the exact request, and the outcome updated', async () => {
    const [o] = await run(p, fixture('dyndns2', answers(p).good))
    expect(o?.status).toBe('updated')
    expect(f.requests).toHaveLength(1)
    const r = f.requests[0]!
    expect(r.method).toBe(p.method)
    expect(r.path).toBe(pathOf(p.url))
    const params = r.method === 'POST' ? (r.form ?? []) : r.query
    expect(params[0]).toEqual(['hostname', 'home.example.com'])
    expect(params).toContainEqual(['myip', '192.0.2.10'])
    for (const [k, v] of p.extraParams ?? []) expect(params).toContainEqual([k, v])
    if (p.auth === 'basic') {
      expect(r.basic).toEqual({ user: p.userIsHost ? 'home.example.com' : 'fake-user', password: 'fake-pass' })
      expect(params.some(([k]) => k === 'password')).toBe(false)
    } else {
      expect(r.headers.authorization).toBeUndefined()
      expect(params).toContainEqual(['password', 'fake-pass'])
    }
  })

  it('no change: the outcome unchanged (or, without such a word, no nochg fixture)', async () => {
    const name = answers(p).nochg
    if (name === null) {
      expect(p.extraCodes?.some((x) => x.kind === 'nochg') ?? false).toBe(false)
      return
    }
    const [o] = await run(p, fixture('dyndns2', name))
    expect(o?.status).toBe('unchanged')
  })

  it('refused credentials: failed, kind auth, not retried', async () => {
    const [o] = await run(p, fixture('dyndns2', answers(p).badauth))
    expect(o?.status).toBe('failed')
    expect(o?.error).toMatchObject({ kind: 'auth', retryable: false })
  })

  it(`IPv6 (${p.ipv6}): ${p.ipv6 === 'comma' || p.ipv6 === 'param' ? 'one request for both families' : p.ipv6 === 'none' ? 'refused' : 'one request per family'}`, async () => {
    const out = await run(p, fixture('dyndns2', answers(p).good), [change(A('home.example.com'), '192.0.2.10'), change(AAAA('home.example.com'), '2001:db8::10')])
    switch (p.ipv6) {
      case 'comma':
        expect(f.requests).toHaveLength(1)
        expect(f.requests[0]?.q.myip).toBe('192.0.2.10,2001:db8::10')
        break
      case 'param':
        expect(f.requests).toHaveLength(1)
        expect(f.requests[0]?.q[p.v6Param ?? '']).toBe('2001:db8::10')
        break
      case 'none':
        expect(f.requests).toHaveLength(1)
        expect(out[1]?.error?.kind).toBe('config')
        break
      default:
        expect(f.requests).toHaveLength(2)
        expect((f.requests[1]?.form ?? f.requests[1]?.query ?? []).find(([k]) => k === 'myip')?.[1]).toBe('2001:db8::10')
    }
    if (p.ipv6 !== 'none') expect(out[1]?.status).toBe('updated')
  })
})
