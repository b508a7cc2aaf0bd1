import { parseRetryAfter } from '../../../../src/net/http.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EdgeError } from '../../../../src/errors.js'
import { cloudflare, type CloudflareSettings } from '../../../../src/providers/cloudflare/index.js'
import type { Current } from '../../../../src/providers/types.js'
import { startCloudflare, type FakeCloudflare, type Injection } from '../../../helpers/cloudflare-server.js'
import { makeCtx } from '../../reconcile/support.js'

const TOKEN = 'cf-FAKE-token-0123456789abcdef'
let cf: FakeCloudflare

beforeAll(async () => {
  cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home', content: '192.0.2.1' }] }] })
})
afterAll(async () => {
  await cf.close()
})

async function readWith(inj: Injection): Promise<EdgeError> {
  cf.inject(inj)
  const ctx = makeCtx()
  const { settings } = cloudflare.parse({ token: TOKEN, zone: 'example.com', records: ['home'], base_url: cf.url }, 'domains[0]', {
    secret: (s) => ctx.redactor.add(s),
    warn: () => {},
  })
  const [c] = await cloudflare.create(settings as CloudflareSettings, {}).read([{ fqdn: 'home.example.com', type: 'A' }], ctx)
  expect(c!.kind).toBe('failed')
  return (c as Extract<Current, { kind: 'failed' }>).error
}

describe('Cloudflare error answers (a fixture in, an error out)', () => {
  it.each([
    // fixture, where, kind, code, text after "HTTP <status> from <host>: "
    ['auth-invalid-token', '/zones', 'auth', 9109, '403', 'Invalid access token (code 9109)'],
    ['auth-bad-format', '/zones', 'auth', 6111, '400', 'Invalid request headers (code 6003): Invalid format for Authorization header (code 6111)'],
    ['auth-missing', '/zones', 'auth', 9106, '400', 'Missing X-Auth-Key, X-Auth-Email or Authorization headers (code 9106)'],
    ['auth-unknown-key', '/zones', 'auth', 9103, '403', 'Unknown X-Auth-Key or X-Auth-Email (code 9103)'],
    ['auth-permission', '/zones', 'forbidden', 10000, '403', 'Authentication error (code 10000)'],
    ['auth-ip-filter', '/zones', 'forbidden', 9109, '403', 'Cannot use the access token from location: 198.51.100.7 (code 9109)'],
    ['invalid-object-identifier', /dns_records$/, 'notfound', 7003, '400', 'Could not route to /zones/dns_records, perhaps your object identifier is invalid? (code 7003)'],
    ['server-error', '/zones', 'transient', 10001, '500', 'Internal Server Error (code 10001)'],
    ['rate-limited', '/zones', 'ratelimit', 971, '429', 'Please wait and consider throttling your request speed (code 971)'],
  ] as const)('%s → %s', async (fixture, path, kind, code, status, text) => {
    const e = await readWith({ path, fixture })
    expect(e.kind).toBe(kind)
    expect(e.code).toBe(code)
    expect(e.message).toBe(`cloudflare: HTTP ${status} from ${cf.host}: ${text}`)
  })

  it('auth errors are permanent and hint at the token permissions', async () => {
    const e = await readWith({ path: '/zones', fixture: 'auth-invalid-token' })
    expect(e.retryable).toBe(false)
    expect(e.hint).toMatch(/Zone:Read and DNS:Edit/)
  })

  it('an IP-filtered token says so in the hint', async () => {
    const e = await readWith({ path: '/zones', fixture: 'auth-ip-filter' })
    expect(e.hint).toMatch(/Client IP Address Filtering/)
  })

  it('429: Retry-After seconds, else Cloudflare\'s 5-minute window', async () => {
    expect((await readWith({ path: '/zones', fixture: 'rate-limited' })).retryAfterSec).toBe(60)
    expect((await readWith({ path: '/zones', fixture: 'rate-limited', headers: { 'retry-after': '' } })).retryAfterSec).toBe(300)
    const e = await readWith({ path: '/zones', status: 429, raw: 'slow down', headers: { 'content-type': 'text/plain', 'retry-after': '7' } })
    expect(e).toMatchObject({ kind: 'ratelimit', retryAfterSec: 7 })
  })

  it('success:false inside a 200 is a failure, not a result', async () => {
    const e = await readWith({ path: '/zones', status: 200, body: { success: false, errors: [{ code: 1234, message: 'Something odd' }], messages: [], result: [] } })
    expect(e.kind).toBe('provider')
    expect(e.message).toBe(`cloudflare: HTTP 200 from ${cf.host}: Something odd (code 1234)`)
  })

  it('JSON that is not an envelope is a protocol error', async () => {
    const e = await readWith({ path: '/zones', status: 200, body: { zones: [] } })
    expect(e.kind).toBe('protocol')
    expect(e.message).toMatch(/not a v4 envelope/)
  })

  it.each([
    ['60', 60],
    ['0', 0],
    ['Sat, 01 Jun 2024 00:01:30 GMT', 90],
    ['soon', undefined],
    [undefined, undefined],
  ])('parseRetryAfter(%j) = %j', (v, want) => {
    expect(parseRetryAfter(v, Date.UTC(2024, 5, 1))).toBe(want)
  })
})
