import { generateKeyPairSync, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signedAuth, transip, type TransipSettings } from '../../../../src/providers/transip/index.js'
import { debugCtx, errorOf, expectNoSecret, runEntry, V4, V6 } from '../api/support.js'
import { startTransip } from './fake.js'

const pair = generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const OTHER = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
const keys = (url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  login: 'jdoe',
  private_key: PEM,
  zone: 'example.com',
  records: ['home'],
  base_url: `${url}/v6`,
  ...extra,
})

describe('transip', () => {
  it('the /auth body is signed with RSA-SHA512 over its exact bytes and names the login, a nonce, a global key', () => {
    const s = transip.parse(keys('http://127.0.0.1:1'), 'domains[0]', { secret: () => {}, warn: () => {} }).settings as TransipSettings
    const { body, signature } = signedAuth(s)
    expect(verify('sha512', Buffer.from(body), pair.publicKey, Buffer.from(signature, 'base64'))).toBe(true)
    const b = JSON.parse(body)
    expect(b).toMatchObject({ login: 'jdoe', read_only: false, expiration_time: '30 minutes', global_key: true })
    expect(b.nonce).toMatch(/^[0-9a-f]{16}$/)
    expect(signedAuth(s).body).not.toBe(body)
  })

  it('gets a token once, reads the zone once, and PATCHes each entry by name, type and expire with the new content', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    const ctx = debugCtx()
    const out = await runEntry(transip, ctx, keys(f.url), { families: [4, 6] })
    expect(out.map((o) => [o.status, o.previous])).toEqual([
      ['updated', ['192.0.2.1']],
      ['updated', ['2001:db8::1']],
    ])
    expect(f.requests.map((r) => `${r.method} ${r.rawPath}`)).toEqual([
      'POST /v6/auth',
      'GET /v6/domains/example.com/dns',
      'PATCH /v6/domains/example.com/dns',
      'PATCH /v6/domains/example.com/dns',
    ])
    expect(f.requests[0]!.headers.authorization).toBeUndefined()
    for (const r of f.requests.slice(1)) expect(r.headers.authorization).toBe(`Bearer ${f.tokens[0]}`)
    expect(f.writes().slice(1).map((r) => r.body)).toEqual([
      { dnsEntry: { name: 'home', expire: 300, type: 'A', content: V4 } },
      { dnsEntry: { name: 'home', expire: 3600, type: 'AAAA', content: V6 } },
    ])
    expect(f.entries.filter((e) => e.name !== 'home' || e.type === 'TXT')).toEqual([
      { name: '@', expire: 86400, type: 'A', content: '192.0.2.20' },
      { name: 'home', expire: 86400, type: 'TXT', content: 'v=spf1 -all' },
      { name: 'www', expire: 60, type: 'A', content: '192.0.2.10' },
      { name: 'shop', expire: 86400, type: 'CNAME', content: 'shops.example.net.' },
    ])
    // BC-28: neither the private key nor the token reaches a log line.
    expectNoSecret(ctx, out, f.tokens[0]!)
    expect(ctx.lines.join('\n')).not.toContain('PRIVATE KEY')
  })

  it('no change: only the token and the read are sent', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    f.entries[1]!.content = V4
    expect((await runEntry(transip, debugCtx(), keys(f.url)))[0]).toMatchObject({ status: 'unchanged' })
    expect(f.requests.map((r) => r.method)).toEqual(['POST', 'GET'])
  })

  it.each([['@'], [''], ['example.com']])('BC-22: record %j is the entry "@"', async (name) => {
    const f = await startTransip('jdoe', pair.publicKey)
    expect((await runEntry(transip, debugCtx(), keys(f.url, { records: [name] })))[0]).toMatchObject({ status: 'updated', previous: ['192.0.2.20'] })
    expect(f.writes().at(-1)!.body).toEqual({ dnsEntry: { name: '@', expire: 86400, type: 'A', content: V4 } })
  })

  it('creates only when asked: POST one dnsEntry with the configured expire (else 3600)', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    const ctx = debugCtx()
    expect((await runEntry(transip, ctx, keys(f.url, { records: ['new'] })))[0]).toMatchObject({ status: 'missing' })
    expect(f.requests.filter((r) => r.method === 'POST' && r.rawPath !== '/v6/auth')).toEqual([])
    expect((await runEntry(transip, ctx, keys(f.url, { records: ['new'] }), { create: true, ttl: 300 }))[0]).toMatchObject({ status: 'created' })
    expect(f.writes().at(-1)!.body).toEqual({ dnsEntry: { name: 'new', expire: 300, type: 'A', content: V4 } })
  })

  it('BC-11: a CNAME entry at the name is a conflict, never absent', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    expect(errorOf((await runEntry(transip, debugCtx(), keys(f.url, { records: ['shop'] }), { create: true }))[0]).kind).toBe('conflict')
    expect(f.writes().map((r) => r.rawPath)).toEqual(['/v6/auth'])
  })

  it('a key the account does not know: /auth answers 401, every record fails as auth, nothing else is sent', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    const out = await runEntry(transip, debugCtx(), keys(f.url, { private_key: OTHER }), { families: [4, 6], create: true })
    for (const o of out) expect(errorOf(o)).toMatchObject({ kind: 'auth', message: `transip: HTTP 401 from ${f.host}: The provided signature is invalid` })
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['domain-not-found', { zone: 'example.org' }, 'notfound', "HTTP 404 from HOST: Domain with name 'example.org' not found"],
    ['rate-limit', {}, 'ratelimit', 'HTTP 429 from HOST: You have reached your API rate limit'],
  ])('BC-34: %s on the read fails the records, never absent', async (fixture, extra, kind, msg) => {
    const f = await startTransip('jdoe', pair.publicKey)
    if (fixture === 'rate-limit') f.inject({ method: 'GET', fixture })
    const out = await runEntry(transip, debugCtx(), keys(f.url, extra), { create: true })
    const e = errorOf(out[0])
    expect(e).toMatchObject({ kind, message: `transip: ${msg.replace('HOST', f.host)}` })
    if (kind === 'ratelimit') expect(e.retryAfterSec).toBe(30)
    expect(f.writes().map((r) => r.rawPath)).toEqual(['/v6/auth'])
  })

  it('a read-only token on a write is forbidden', async () => {
    const f = await startTransip('jdoe', pair.publicKey)
    f.inject({ method: 'PATCH', fixture: 'read-only-token' })
    expect(errorOf((await runEntry(transip, debugCtx(), keys(f.url)))[0]).kind).toBe('forbidden')
  })

  it('parse: the key must be a PEM private key; the error never shows it; "\\n" escapes are read as line breaks', () => {
    const ctx = { secret: () => {}, warn: () => {} }
    let msg = ''
    try {
      transip.parse(keys('http://x', { private_key: 'not-a-key-SECRETSECRET' }), 'domains[0]', ctx)
    } catch (e) {
      msg = (e as Error).message
    }
    expect(msg).toBe('domains[0].private_key: is not a PEM private key')
    const oneLine = PEM.trim().replace(/\n/g, '\\n')
    expect((transip.parse(keys('http://x', { private_key: oneLine, global_key: false }), 'domains[0]', ctx).settings as TransipSettings).global).toBe(false)
    expect(() => transip.parse(keys('http://x', { login: undefined }), 'domains[0]', ctx)).toThrow('domains[0].login: is required')
  })
})
