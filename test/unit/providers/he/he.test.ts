import { afterEach, describe, expect, it } from 'vitest'
import type { Dyndns2Settings } from '../../../../src/providers/dyndns2/engine.js'
import { he } from '../../../../src/providers/he/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { dyndns2Service, fixture, RecordStore, startDyndnsServer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
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

const KEY = 'fake-he-key'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(he, { hostname: 'example.com', password: KEY, records: ['@', 'home'], base_url: f.url, ...keys }, ctx)
  return he.create(settings as Dyndns2Settings, {})
}

describe('he: the request (https://dns.he.net/docs.html)', () => {
  it('BC-26: v4 and v6 are two POSTs with the key as form parameter password, never Basic auth', async () => {
    const f = await fake({ '/nic/update': [fixture('he', 'good'), fixture('he', 'good-v6')] })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10'), change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(out.every((o) => o.warnings === undefined)).toBe(true)
    expect(f.requests).toHaveLength(2)
    expect(f.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /nic/update', 'POST /nic/update'])
    expect(f.requests[0]?.body).toBe('hostname=home.example.com&password=fake-he-key&myip=192.0.2.10')
    expect(f.requests[1]?.body).toBe('hostname=home.example.com&password=fake-he-key&myip=2001%3Adb8%3A%3A10')
    expect(f.requests.every((r) => r.headers.authorization === undefined)).toBe(true)
    expect(f.requests.every((r) => r.headers['content-type'] === 'application/x-www-form-urlencoded')).toBe(true)
    expect(f.requests.every((r) => r.rawQuery === '')).toBe(true)
  })

  it('BC-26: badauth is permanent (retryable false) and stops the second request', async () => {
    const f = await fake({ '/nic/update': fixture('he', 'badauth') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10'), change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(out[0]?.error).toMatchObject({ kind: 'auth', retryable: false, code: 'badauth' })
    expect(out[1]?.error?.kind).toBe('auth')
    expect(f.requests).toHaveLength(1)
  })

  it('the apex "@" is sent as the zone name itself', async () => {
    const f = await fake({ '/nic/update': fixture('he', 'good') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(A('example.com'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.f?.hostname).toBe('example.com')
  })

  it('BC-28: a key with & # $ % : + is form-encoded and never logged', async () => {
    const f = await fake({ '/nic/update': fixture('he', 'good') })
    const ctx = pushCtx({ level: 'debug' })
    await make(f, ctx, { password: NASTY }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.body).toBe(`hostname=home.example.com&password=${NASTY_ENCODED}&myip=192.0.2.10`)
    expect(f.requests[0]?.f?.password).toBe(NASTY)
    expect(ctx.lines.join('\n')).not.toContain(NASTY)
    expect(ctx.lines.join('\n')).not.toContain(NASTY_ENCODED)
  })
})

describe('he: every documented answer', () => {
  it.each([
    ['good', 'updated', undefined],
    ['nochg', 'unchanged', undefined],
    ['badauth', 'failed', 'auth'],
    ['nohost', 'failed', 'notfound'],
    ['abuse', 'failed', 'forbidden'],
  ])('%s → %s', async (name, status, kind) => {
    const f = await fake({ '/nic/update': fixture('he', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe(status)
    expect(o?.error?.kind).toBe(kind)
  })

  it('HE\'s 401 with a badauth body is badauth (the code wins over the status)', async () => {
    const f = await fake({ '/nic/update': { status: 401, body: 'badauth' } })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error).toMatchObject({ kind: 'auth', code: 'badauth' })
  })
})

describe('he: config (dness keys)', () => {
  it('takes dness\'s README entry unchanged', () => {
    const { parsed, secrets } = parseWith(he, { hostname: 'test-dness-1.xyz', password: 'super_secret_password', records: ['@', 'sub'] })
    expect(parsed.names).toEqual(['test-dness-1.xyz', 'sub.test-dness-1.xyz'])
    expect(secrets).toContain('super_secret_password')
    expect((parsed.settings as Dyndns2Settings).url).toBe('https://dyn.dns.he.net/nic/update')
    expect(parsed.account).not.toContain('super_secret_password')
  })

  it('a full name ending in the zone is taken as it is', () => {
    const { parsed } = parseWith(he, { hostname: 'example.com', password: 'k', records: ['home.example.com', 'home'] })
    expect(parsed.names).toEqual(['home.example.com'])
  })
})

describe('he: against the emulated service', () => {
  it('a service that refuses Basic auth accepts the form key', async () => {
    const store = new RecordStore().add('home.example.com', ['192.0.2.1'])
    const f = await fake({ '/nic/update': dyndns2Service({ store, auth: { kind: 'password-param', password: KEY }, hosts: ['home.example.com'], ipv6: 'separate' }) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe('updated')
    expect(store.get('home.example.com', 'A')).toEqual(['192.0.2.10'])
  })
})
