import { afterEach, describe, expect, it } from 'vitest'
import { desec, type DesecSettings } from '../../../../src/providers/desec/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { desecService, fixture, RecordStore, startDyndnsServer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { A, AAAA, change, NASTY, NASTY_ENCODED, parseWith, pushCtx } from '../dyndns2/support.js'

let fakes: FakeDyndns[] = []
afterEach(async () => {
  await Promise.all(fakes.map((f) => f.close()))
  fakes = []
})

async function fake(...args: Parameters<typeof startDyndnsServer>): Promise<FakeDyndns> {
  const f = await startDyndnsServer(...args)
  fakes.push(f)
  return f
}

const TOKEN = 'i-T3b1h_OI-FAKE-ab8tRS98stGtURe'
const HOST = 'home.example.dedyn.io'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(desec, { token: TOKEN, hostname: HOST, base_url: f.url, ...keys }, ctx)
  return desec.create(settings as DesecSettings, {})
}

describe('desec: the request (https://desec.readthedocs.io/en/latest/dyndns/update-api.html)', () => {
  it('BC-06: one combined request ?hostname=&myipv4=&myipv6=, Basic auth (user = host, password = token)', async () => {
    const f = await fake({ '/': fixture('desec', 'good') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(f.requests).toHaveLength(1)
    const r = f.requests[0]!
    expect(`${r.method} ${r.path}`).toBe('GET /')
    expect(r.query).toEqual([
      ['hostname', HOST],
      ['myipv4', '192.0.2.10'],
      ['myipv6', '2001:db8::10'],
    ])
    expect(r.basic).toEqual({ user: HOST, password: TOKEN })
    expect(r.rawQuery).not.toContain(TOKEN)
    expect(r.q.password).toBeUndefined()
  })

  it('a family not in this write is sent as preserve (deSEC deletes a family the request leaves out)', async () => {
    const f = await fake({ '/': fixture('desec', 'good') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(AAAA(HOST), '2001:db8::10')], ctx)
    await make(f, ctx).write([change(A(HOST), '192.0.2.10')], ctx)
    expect(f.requests.map((r) => [r.q.myipv4, r.q.myipv6])).toEqual([
      ['preserve', '2001:db8::10'],
      ['192.0.2.10', 'preserve'],
    ])
  })

  it('BC-28: a token with & # $ % : + goes into Basic exactly and never into a log line', async () => {
    const f = await fake({ '/': fixture('desec', 'good') })
    const ctx = pushCtx({ level: 'debug' })
    await make(f, ctx, { token: NASTY }).write([change(A(HOST), '192.0.2.10')], ctx)
    expect(f.requests[0]?.basic?.password).toBe(NASTY)
    const log = ctx.lines.join('\n')
    expect(log).toContain('desec: GET')
    expect(log).not.toContain(NASTY)
    expect(log).not.toContain(NASTY_ENCODED)
    expect(log).not.toContain(Buffer.from(`${HOST}:${NASTY}`).toString('base64'))
  })
})

describe('desec: answers', () => {
  it('BC-06: 429 with Retry-After is a rate limit carrying retryAfterSec; nothing more is sent this run', async () => {
    const f = await fake({ '/': fixture('desec', 'throttled') })
    const ctx = pushCtx()
    const p = make(f, ctx, { hostname: [HOST, 'other.example.dedyn.io'] })
    const out = await p.write([change(A(HOST), '192.0.2.10'), change(A('other.example.dedyn.io'), '192.0.2.10')], ctx)
    expect(out[0]?.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 60, retryable: true, code: 429 })
    expect(out[0]?.error?.message).toContain(`desec: HTTP 429 from ${f.host}`)
    expect(out[1]?.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 60 })
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['good', 'updated', undefined],
    ['unauthorized', 'failed', 'auth'],
    ['forbidden', 'failed', 'forbidden'],
    ['not-found', 'failed', 'notfound'],
    ['ambiguous', 'failed', 'invalid'],
    ['throttled', 'failed', 'ratelimit'],
  ])('%s → %s', async (name, status, kind) => {
    const f = await fake({ '/': fixture('desec', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A(HOST), '192.0.2.10')], ctx)
    expect(o?.status).toBe(status)
    expect(o?.error?.kind).toBe(kind)
    if (kind && kind !== 'ratelimit') expect(o?.error?.retryable).toBe(false)
  })

  it('a 200 that is not "good" is a failure', async () => {
    const f = await fake({ '/': { status: 200, body: '<html>proxy</html>' } })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A(HOST), '192.0.2.10')], ctx)
    expect(o?.error?.kind).toBe('protocol')
  })
})

describe('desec: against the emulated service (BC-06)', () => {
  it('BC-06: a split v4/v6 update would be throttled; the combined one is a single request', async () => {
    const store = new RecordStore().add(HOST, ['192.0.2.1'], ['2001:db8::1'])
    const f = await fake({ '/': desecService({ store, token: TOKEN, hosts: [HOST], windowMs: 60_000, retryAfterSec: 60 }) })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(f.requests).toHaveLength(1)
    expect(store.get(HOST, 'A')).toEqual(['192.0.2.10'])
    expect(store.get(HOST, 'AAAA')).toEqual(['2001:db8::10'])
    // A second update within the window is throttled: the rate limit is kept for the scheduler.
    const [again] = await make(f, ctx).write([change(A(HOST), '192.0.2.11')], ctx)
    expect(again?.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 60 })
    expect(store.get(HOST, 'A')).toEqual(['192.0.2.10'])
  })

  it('preserve keeps the other family at the service', async () => {
    const store = new RecordStore().add(HOST, ['192.0.2.1'], ['2001:db8::1'])
    const f = await fake({ '/': desecService({ store, token: TOKEN, hosts: [HOST] }) })
    const ctx = pushCtx()
    await make(f, ctx).write([change(A(HOST), '192.0.2.10')], ctx)
    expect(store.get(HOST, 'AAAA')).toEqual(['2001:db8::1'])
  })
})

describe('desec: config', () => {
  it('takes token and hostname; the token is a secret', () => {
    const { parsed, secrets } = parseWith(desec, { token: TOKEN, hostname: HOST })
    expect(parsed.names).toEqual([HOST])
    expect(secrets).toContain(TOKEN)
    expect((parsed.settings as DesecSettings).baseUrl).toBe('https://update.dedyn.io')
    expect(parsed.account).not.toContain(TOKEN)
  })

  it('rejects a token with spaces inside', () => {
    expect(() => parseWith(desec, { token: 'a b c', hostname: HOST })).toThrow('domains[0].token: contains spaces')
  })
})
