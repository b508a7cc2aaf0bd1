import { afterEach, describe, expect, it } from 'vitest'
import { namecheap, parseNamecheapAnswer, type NamecheapSettings } from '../../../../src/providers/namecheap/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { fixture, namecheapService, RecordStore, startDyndnsServer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
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

const PW = 'fake-ddns-password'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(namecheap, { domain: 'example.com', ddns_password: PW, records: ['@', '*', 'home'], base_url: f.url, ...keys }, ctx)
  return namecheap.create(settings as NamecheapSettings, {})
}

describe('namecheap: the request', () => {
  it('sends GET /update?host=&domain=&password=&ip= per record', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'success') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '192.0.2.10' })
    expect(o?.warnings).toBeUndefined()
    const r = f.requests[0]!
    expect(`${r.method} ${r.path}`).toBe('GET /update')
    expect(r.query).toEqual([
      ['host', 'home'],
      ['domain', 'example.com'],
      ['password', PW],
      ['ip', '192.0.2.10'],
    ])
    expect(r.headers.authorization).toBeUndefined()
  })

  it('the apex goes as host=@ and the wildcard as host=*', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'success') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(A('example.com'), '192.0.2.10'), change(A('*.example.com'), '192.0.2.10')], ctx)
    expect(f.requests.map((r) => r.q.host)).toEqual(['@', '*'])
  })

  it('BC-28: a password with & # $ % : + is query-encoded exactly and never logged', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'success') })
    const ctx = pushCtx({ level: 'debug' })
    await make(f, ctx, { ddns_password: NASTY }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.rawQuery).toContain(`password=${NASTY_ENCODED}&`)
    expect(f.requests[0]?.q.password).toBe(NASTY)
    const log = ctx.lines.join('\n')
    expect(log).toContain('namecheap: GET')
    expect(log).not.toContain(NASTY)
    expect(log).not.toContain(NASTY_ENCODED)
  })

  it('an AAAA change is refused without a request: Namecheap dynamic DNS is IPv4 only', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'success') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(o?.error?.kind).toBe('config')
    expect(o?.error?.message).toContain('IPv4 (A) records only')
    expect(f.requests).toHaveLength(0)
    expect(namecheap.capabilities.ipv6).toBe(false)
  })
})

describe('namecheap: answers (BC-01)', () => {
  it('BC-01: ErrCount 0 in a document claiming utf-16 is a success', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'success-utf16') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '192.0.2.10' })
  })

  it('BC-01: HTTP 200 with ErrCount 1 "Passwords do not match" is an auth failure, not retried, not a success', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'error-password') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10'), change(A('example.com'), '192.0.2.10')], ctx)
    expect(out[0]).toMatchObject({ status: 'failed', error: { kind: 'auth', retryable: false } })
    expect(out[0]?.error?.message).toBe(`namecheap: ${f.host} answered ErrCount 1: Passwords do not match`)
    expect(out[0]?.error?.hint).toContain('Dynamic DNS password')
    // The same password would fail the next record: it is not sent.
    expect(f.requests).toHaveLength(1)
    expect(out[1]?.error?.kind).toBe('auth')
  })

  it.each([
    ['error-not-found', 'notfound', 'No Records updated. A record not Found;'],
    ['error-domain', 'notfound', 'Domain name not found'],
  ])('%s → %s, naming Err1', async (name, kind, text) => {
    const f = await fake({ '/update': fixture('namecheap', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error?.kind).toBe(kind)
    expect(o?.error?.message).toContain(text)
    expect(o?.error?.retryable).toBe(false)
  })

  it('a page that is no interface-response is a failure, never a success', async () => {
    const f = await fake({ '/update': fixture('namecheap', 'html-page') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error?.kind).toBe('protocol')
    expect(o?.error?.message).toContain('no <interface-response>')
  })

  it('an echoed IP other than the one sent fails the record (retried later, never trusted)', async () => {
    const body = fixture('namecheap', 'success').body.replace('192.0.2.10', '198.51.100.7')
    const f = await fake({ '/update': { status: 200, body } })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o).toMatchObject({ status: 'failed', error: { kind: 'provider', message: 'the service recorded 198.51.100.7, not 192.0.2.10' } })
  })

  it('the XML reader ignores the encoding claim, NUL bytes of a UTF-16 body read as UTF-8, and entities', () => {
    const utf16asUtf8 = Array.from('<interface-response><ErrCount>1</ErrCount><errors><Err1>A &amp; B</Err1></errors></interface-response>').join('\u0000')
    expect(parseNamecheapAnswer(`\uFEFF${utf16asUtf8}`)).toEqual({ errCount: 1, errors: ['A & B'], responses: [] })
    expect(parseNamecheapAnswer('good 192.0.2.10')).toBeUndefined()
  })
})

describe('namecheap: config (dness keys)', () => {
  it('takes dness\'s README entry unchanged, with "@", "*" and "sub"', () => {
    const { parsed, secrets } = parseWith(namecheap, { domain: 'test-dness-1.xyz', ddns_password: 'super_secret_password', records: ['@', '*', 'sub'] })
    expect(parsed.names).toEqual(['test-dness-1.xyz', '*.test-dness-1.xyz', 'sub.test-dness-1.xyz'])
    expect(parsed.zone).toBe('test-dness-1.xyz')
    expect(secrets).toContain('super_secret_password')
    expect((parsed.settings as NamecheapSettings).baseUrl).toBe('https://dynamicdns.park-your-domain.com')
  })

  it('rejects unknown keys and a missing password, naming the key', () => {
    expect(() => parseWith(namecheap, { domain: 'example.com', records: ['@'] })).toThrow('domains[0].ddns_password: is required')
    expect(() => parseWith(namecheap, { domain: 'example.com', ddns_password: 'x', records: ['@'], token: 'y' })).toThrow('domains[0].token: unknown key')
  })
})

describe('namecheap: against the emulated service', () => {
  it('updates the store through the documented GET', async () => {
    const store = new RecordStore().add('home.example.com', ['192.0.2.1'])
    const f = await fake({ '/update': namecheapService({ store, domain: 'example.com', password: PW, hosts: ['@', 'home'] }) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe('updated')
    expect(store.get('home.example.com', 'A')).toEqual(['192.0.2.10'])
  })
})
