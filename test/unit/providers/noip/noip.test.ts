import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import type { Dyndns2Settings } from '../../../../src/providers/dyndns2/engine.js'
import { noip } from '../../../../src/providers/noip/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { dyndns2Service, fixture, RecordStore, startDyndnsServer, storeDnsScript, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.js'
import { A, AAAA, absent, change, NASTY, NASTY_ENCODED, parseWith, pushCtx } from '../dyndns2/support.js'

let fakes: FakeDyndns[] = []
let dnsServers: TestDnsServer[] = []
afterEach(async () => {
  await Promise.all([...fakes.map((f) => f.close()), ...dnsServers.map((d) => d.close())])
  fakes = []
  dnsServers = []
})

async function fake(...args: Parameters<typeof startDyndnsServer>): Promise<FakeDyndns> {
  const f = await startDyndnsServer(...args)
  fakes.push(f)
  return f
}

const USER = 'me@example.org'
const PASS = 'fake-noip-pass'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(noip, { hostname: 'home.example.com', username: USER, password: PASS, base_url: f.url, ...keys }, ctx)
  return noip.create(settings as Dyndns2Settings, {})
}

describe('noip: the request', () => {
  it('sends GET /nic/update?hostname=&myip= with Basic auth and a real User-Agent', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '192.0.2.10', previous: ['192.0.2.1'] })
    expect(f.requests).toHaveLength(1)
    const r = f.requests[0]!
    expect(r.method).toBe('GET')
    expect(r.path).toBe('/nic/update')
    expect(r.query).toEqual([
      ['hostname', 'home.example.com'],
      ['myip', '192.0.2.10'],
    ])
    expect(r.basic).toEqual({ user: USER, password: PASS })
    expect(r.headers['user-agent']).toMatch(/^edge-ddns edge-ddns\/\w+-\S+$/)
  })

  it('takes user_agent from the config (No-IP wants a contact)', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good') })
    const ctx = pushCtx()
    await make(f, ctx, { user_agent: 'Example Corp edge-ddns/1.0 admin@example.org' }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.headers['user-agent']).toBe('Example Corp edge-ddns/1.0 admin@example.org')
  })

  it('BC-06: v4 and v6 of a host go in one request, myip=v4,v6', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good-dual') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10'), change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(out.every((o) => o.warnings === undefined)).toBe(true)
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]?.q.myip).toBe('192.0.2.10,2001:db8::10')
  })

  it('an IPv6-only update sends the IPv6 address alone', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good-v6') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(o?.status).toBe('updated')
    expect(f.requests[0]?.q.myip).toBe('2001:db8::10')
  })

  it('BC-02: several hosts with the same address share one request; one code per line', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'multi') })
    const ctx = pushCtx()
    const p = make(f, ctx, { hostname: ['home.example.com', 'gone.example.com'] })
    const out = await p.write([change(A('home.example.com'), '192.0.2.10'), change(A('gone.example.com'), '192.0.2.10')], ctx)
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]?.q.hostname).toBe('home.example.com,gone.example.com')
    expect(out[0]?.status).toBe('updated')
    expect(out[1]).toMatchObject({ status: 'failed', error: { kind: 'notfound', code: 'nohost' } })
  })

  it('after badauth the other requests of the account are not sent', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'badauth') })
    const ctx = pushCtx()
    const p = make(f, ctx, { hostname: ['a.example.com', 'b.example.com'] })
    const out = await p.write([change(A('a.example.com'), '192.0.2.10'), change(AAAA('b.example.com'), '2001:db8::10')], ctx)
    expect(f.requests).toHaveLength(1)
    expect(out.map((o) => o.error?.kind)).toEqual(['auth', 'auth'])
    expect(out[1]?.error?.message).toMatch(/^not sent after an earlier answer for this account: noip: 127\.0\.0\.1:\d+ answered badauth/)
  })
})

describe('noip: every documented answer (https://www.noip.com/integrate/response)', () => {
  it.each([
    ['good', 'updated', undefined, undefined],
    ['nochg', 'unchanged', undefined, undefined],
    ['nohost', 'failed', 'notfound', false],
    ['badauth', 'failed', 'auth', false],
    ['badagent', 'failed', 'forbidden', false],
    ['donator', 'failed', 'forbidden', false],
    ['abuse', 'failed', 'forbidden', false],
    ['911', 'failed', 'provider', true],
  ])('%s → %s', async (name, status, kind, retryable) => {
    const f = await fake({ '/nic/update': fixture('noip', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe(status)
    if (kind) {
      expect(o?.error?.kind).toBe(kind)
      expect(o?.error?.retryable).toBe(retryable)
      expect(o?.error?.message).toContain(`noip: ${f.host} answered`)
    }
    if (name === '911') expect(o?.error?.retryAfterSec).toBeGreaterThanOrEqual(1800)
    if (name === 'nochg') expect(o?.warnings).toEqual(['the service already had 192.0.2.10; DNS still showed 192.0.2.1 (not caught up yet?)'])
  })

  it('an HTTP error without a dyndns2 body is reported by status (500 → transient)', async () => {
    const f = await fake({ '/nic/update': { status: 500, body: 'Internal Server Error' } })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error).toMatchObject({ kind: 'transient', code: 500 })
    expect(o?.error?.message).toBe(`noip: HTTP 500 from ${f.host}: Internal Server Error`)
  })

  it('a create for a name DNS does not show is sent, and reported created', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('home.example.com'), '192.0.2.10', absent, true)], ctx)
    expect(o).toMatchObject({ status: 'created', value: '192.0.2.10' })
  })
})

describe('noip: credentials (BC-28)', () => {
  it('BC-28: a password with & # $ % : + goes into Basic byte for byte and never into a log line', async () => {
    const f = await fake({ '/nic/update': fixture('noip', 'good') })
    const ctx = pushCtx({ level: 'debug' })
    const [o] = await make(f, ctx, { password: NASTY, username: 'user+x@example.org' }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe('updated')
    const r = f.requests[0]!
    expect(r.basic).toEqual({ user: 'user+x@example.org', password: NASTY })
    expect(r.rawQuery).not.toContain('Ab')
    expect(ctx.lines.some((l) => l.includes(`noip: GET ${f.url}/nic/update?hostname=home.example.com&myip=192.0.2.10`))).toBe(true)
    const basic = Buffer.from(`user+x@example.org:${NASTY}`).toString('base64')
    for (const l of ctx.lines) {
      expect(l).not.toContain(NASTY)
      expect(l).not.toContain(NASTY_ENCODED)
      expect(l).not.toContain(basic)
    }
  })

  it('a username with ":" is a config error (it would split the Basic pair)', () => {
    expect(() => parseWith(noip, { hostname: 'home.example.com', username: 'a:b', password: PASS })).toThrow(/domains\[0\]\.username: must not contain ":"/)
  })
})

describe('noip: config (dness keys)', () => {
  it('takes dness\'s README entry unchanged; the password is registered as a secret', () => {
    const { parsed, secrets } = parseWith(noip, { hostname: 'dnesstest.hopto.org', username: 'myemail@example.org', password: 'super_secret_password' })
    expect(parsed.names).toEqual(['dnesstest.hopto.org'])
    expect(secrets).toContain('super_secret_password')
    expect((parsed.settings as Dyndns2Settings).url).toBe('https://dynupdate.no-ip.com/nic/update')
    expect(parsed.account).toBe('noip:dynupdate.no-ip.com:myemail@example.org')
  })

  it.each([
    [{ username: 'u', password: 'p' }, 'domains[0].hostname: is required'],
    [{ hostname: 'h.example.com', password: 'p' }, 'domains[0].username: is required'],
    [{ hostname: 'h.example.com', username: 'u' }, 'domains[0].password: is required'],
    [{ hostname: 'h.example.com', username: 'u', password: 'p', zone: 'x' }, 'domains[0].zone: unknown key'],
    [{ hostname: 'not a host', username: 'u', password: 'p' }, 'domains[0].hostname: "not a host" is not a full host name'],
  ])('%o → %s', (keys, msg) => {
    expect(() => parseWith(noip, keys)).toThrow(ConfigError)
    expect(() => parseWith(noip, keys)).toThrow(msg)
  })
})

describe('noip: read back and write against a local service and DNS server', () => {
  it('the first run updates the stale record; what it wrote reads back equal', async () => {
    const store = new RecordStore().add('home.example.com', ['192.0.2.1'])
    const f = await fake({ '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: USER, password: PASS }, hosts: ['home.example.com'], ipv6: 'comma' }) })
    const dns = await startDnsServer(storeDnsScript(store))
    dnsServers.push(dns)
    const ctx = pushCtx()
    const p = make(f, ctx, { resolver: `127.0.0.1:${dns.port}` })
    const [before] = await p.read([A('home.example.com')], ctx)
    expect(before).toEqual({ kind: 'present', values: ['192.0.2.1'], via: `dns 127.0.0.1:${dns.port}` })
    const [o] = await p.write([change(A('home.example.com'), '192.0.2.10', before)], ctx)
    expect(o?.status).toBe('updated')
    const [after] = await make(f, ctx, { resolver: `127.0.0.1:${dns.port}` }).read([A('home.example.com')], ctx)
    expect(after).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
    expect(f.requests).toHaveLength(1)
  })
})
