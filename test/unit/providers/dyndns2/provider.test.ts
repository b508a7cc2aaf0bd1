import { afterEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import { dyndns2, type Dyndns2Settings } from '../../../../src/providers/dyndns2/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { fixture, startDyndnsServer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { rr, startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.js'
import { A, AAAA, change, NASTY, NASTY_ENCODED, parseWith, pushCtx } from './support.js'

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

function make(ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown>): Provider {
  const { settings } = parseWith(dyndns2, { username: 'fake-user', password: 'fake-pass', hostname: 'home.example.com', ...keys }, ctx)
  return dyndns2.create(settings, {})
}

describe('dyndns2: config', () => {
  it('a server given as a host gets https:// and /nic/update', () => {
    const { settings } = parseWith(dyndns2, { server: 'dyn.example.net', username: 'u', password: 'p', hostname: 'home.example.com' })
    expect((settings as Dyndns2Settings).url).toBe('https://dyn.example.net/nic/update')
    expect((settings as Dyndns2Settings).preset.name).toBe('generic')
  })

  it('a server URL with a path keeps it; a preset supplies server and path', () => {
    expect((parseWith(dyndns2, { server: 'http://127.0.0.1:8080/dyn/update.php', username: 'u', password: 'p', hostname: 'h.example.com' }).settings as Dyndns2Settings).url).toBe('http://127.0.0.1:8080/dyn/update.php')
    expect((parseWith(dyndns2, { preset: 'dyn', username: 'u', password: 'p', hostname: 'h.example.com' }).settings as Dyndns2Settings).url).toBe('https://members.dyndns.org/v3/update')
    expect((parseWith(dyndns2, { preset: 'dyn', server: '127.0.0.1:8080', username: 'u', password: 'p', hostname: 'h.example.com' }).settings as Dyndns2Settings).url).toBe('https://127.0.0.1:8080/v3/update')
  })

  it.each([
    [{ username: 'u', password: 'p', hostname: 'h.example.com' }, 'domains[0].server: is required without a preset'],
    [{ preset: 'nope', username: 'u', password: 'p', hostname: 'h.example.com' }, 'domains[0].preset: unknown preset "nope" (known: dyn, noip'],
    [{ preset: 'dyn', password: 'p', hostname: 'h.example.com' }, 'domains[0].username: is required'],
    [{ server: 'https://u:p@dyn.example.net', username: 'u', password: 'p', hostname: 'h.example.com' }, 'domains[0].server: must not carry credentials'],
    [{ preset: 'dyn', server6: 'x.example.net', username: 'u', password: 'p', hostname: 'h.example.com' }, 'domains[0].server6: is only for presets that update IPv6 on another host'],
    [{ preset: 'dyn', username: 'u', password: 'p', hostname: 'h.example.com', records: ['@'] }, 'domains[0].records: unknown key'],
  ])('%o → %s', (keys, msg) => {
    expect(() => parseWith(dyndns2, keys)).toThrow(ConfigError)
    expect(() => parseWith(dyndns2, keys)).toThrow(msg)
  })

  it('preset he takes no username (the key is the password): a given one is ignored with a warning', () => {
    const { settings, warnings } = parseWith(dyndns2, { preset: 'he', username: 'x', password: 'k', hostname: 'h.example.com' })
    expect((settings as Dyndns2Settings).username).toBeUndefined()
    expect(warnings).toEqual(['domains[0].username: not used by preset he (the password is the host\'s key); ignored'])
  })

  it('nsupdate.info: the user defaults to the host name, IPv6 goes to its own server', () => {
    const { settings } = parseWith(dyndns2, { preset: 'nsupdate.info', password: 'secret', hostname: 'h.nsupdate.info' })
    expect((settings as Dyndns2Settings).url).toBe('https://ipv4.nsupdate.info/nic/update')
    expect((settings as Dyndns2Settings).url6).toBe('https://ipv6.nsupdate.info/nic/update')
  })
})

describe('dyndns2: requests', () => {
  it('without a preset: Basic auth, one family per request, IPv6 in myip', async () => {
    const f = await fake({ '/nic/update': fixture('dyndns2', 'good') })
    const ctx = pushCtx()
    const out = await make(ctx, { server: f.url }).write([change(A('home.example.com'), '192.0.2.10'), change(AAAA('home.example.com'), '2001:db8::10')], ctx)
    expect(out[0]?.status).toBe('updated')
    expect(f.requests.map((r) => r.q.myip)).toEqual(['192.0.2.10', '2001:db8::10'])
    expect(f.requests.every((r) => r.basic?.user === 'fake-user')).toBe(true)
    // The v6 request was answered "good 192.0.2.10": an echo of the other family is not compared.
    expect(out[1]?.warnings).toBeUndefined()
  })

  it('nsupdate.info sends IPv6 to server6 with the host name as user', async () => {
    const v4 = await fake({ '/nic/update': fixture('dyndns2', 'good') })
    const v6 = await fake({ '/nic/update': { body: 'good 2001:db8::10' } })
    const ctx = pushCtx()
    const p = make(ctx, { preset: 'nsupdate.info', username: undefined, server: v4.url, server6: v6.url, hostname: 'h.nsupdate.info' })
    const out = await p.write([change(A('h.nsupdate.info'), '192.0.2.10'), change(AAAA('h.nsupdate.info'), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(v4.requests.map((r) => r.q.myip)).toEqual(['192.0.2.10'])
    expect(v6.requests.map((r) => r.q.myip)).toEqual(['2001:db8::10'])
    expect(v6.requests[0]?.basic).toEqual({ user: 'h.nsupdate.info', password: 'fake-pass' })
  })

  it('dyn removes an omitted family: the other family\'s value read from DNS goes along', async () => {
    const f = await fake({ '/v3/update': { body: 'good 192.0.2.10,2001:db8::7' } })
    const dns = await startDnsServer((q) => (q.type === 'AAAA' ? { answers: [rr(q.name, 'AAAA', '2001:db8::7')] } : { answers: [rr(q.name, 'A', '192.0.2.1')] }))
    dnsServers.push(dns)
    const ctx = pushCtx()
    const p = make(ctx, { preset: 'dyn', server: f.url, resolver: `127.0.0.1:${dns.port}` })
    const read = await p.read([A('home.example.com'), AAAA('home.example.com')], ctx)
    expect(read.map((c) => c.kind)).toEqual(['present', 'present'])
    const [o] = await p.write([change(A('home.example.com'), '192.0.2.10', read[0])], ctx)
    expect(o?.status).toBe('updated')
    expect(f.requests[0]?.q.myip).toBe('192.0.2.10,2001:db8::7')
  })

  it('dyn: hosts with the same addresses share requests of at most 20 hosts', async () => {
    const f = await fake({ '/v3/update': (req) => ({ body: (req.q.hostname ?? '').split(',').map(() => 'good 192.0.2.10').join('\n') }) })
    const ctx = pushCtx()
    const hosts = Array.from({ length: 21 }, (_, i) => `h${i}.example.com`)
    const out = await make(ctx, { preset: 'dyn', server: f.url, hostname: hosts }).write(
      hosts.map((h) => change(A(h), '192.0.2.10')),
      ctx,
    )
    expect(out.every((o) => o.status === 'updated')).toBe(true)
    expect(f.requests.map((r) => (r.q.hostname ?? '').split(',').length)).toEqual([20, 1])
  })

  it('BC-02: a badauth with HTTP 401 is read from the body (the code wins over the status)', async () => {
    const f = await fake({ '/nic/update': fixture('dyndns2', 'badauth-401') })
    const ctx = pushCtx()
    const [o] = await make(ctx, { server: f.url }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error).toMatchObject({ kind: 'auth', code: 'badauth', retryable: false })
  })

  it('BC-02: an HTML page with 200 is a failure, never a success', async () => {
    const f = await fake({ '/nic/update': fixture('dyndns2', 'html-200') })
    const ctx = pushCtx()
    const [o] = await make(ctx, { server: f.url }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.status).toBe('failed')
    expect(o?.error?.kind).toBe('protocol')
  })

  it('BC-03: "good 127.0.0.1" for another address fails as badagent; "good <other>" fails so the state never trusts it', async () => {
    const f = await fake({ '/nic/update': [fixture('dyndns2', 'good-127'), fixture('dyndns2', 'good-other')] })
    const ctx = pushCtx()
    const p = make(ctx, { server: f.url, hostname: ['a.example.com', 'b.example.com'] })
    const [a] = await p.write([change(A('a.example.com'), '192.0.2.10')], ctx)
    expect(a?.error).toMatchObject({ kind: 'forbidden', code: 'badagent' })
    const [b] = await p.write([change(A('b.example.com'), '192.0.2.10')], ctx)
    // A success here would be trusted by the state while the WAN address stays the same, leaving the
    // wrong address published for good (found by the adversarial review); as a failure it is retried.
    expect(b).toMatchObject({ status: 'failed', error: { kind: 'provider', code: 'recorded-other', retryAfterSec: 1800 } })
    expect(b?.error?.message).toBe('the service recorded 198.51.100.7, not 192.0.2.10')
  })

  it('a connection failure fails the changes as transient and stops the rest', async () => {
    const f = await fake({})
    const url = f.url
    await f.close()
    fakes = []
    const ctx = pushCtx()
    const out = await make(ctx, { server: url, hostname: ['a.example.com', 'b.example.com'] }).write([change(A('a.example.com'), '192.0.2.10'), change(A('b.example.com'), '192.0.2.10')], ctx)
    expect(out.map((o) => o.error?.kind)).toEqual(['transient', 'transient'])
    expect(out[0]?.error?.message).toMatch(/^dyndns2: GET 127\.0\.0\.1:\d+: ECONNREFUSED/)
    expect(out[1]?.error?.message).toMatch(/^not sent after an earlier answer/)
  })

  it('BC-28: Basic credentials with & # $ % : + in the password, nothing in the URL or the log', async () => {
    const f = await fake({ '/nic/update': fixture('dyndns2', 'good') })
    const ctx = pushCtx({ level: 'debug' })
    await make(ctx, { server: f.url, password: NASTY }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    const r = f.requests[0]!
    expect(Buffer.from(String(r.headers.authorization).replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(`fake-user:${NASTY}`)
    expect(r.rawQuery).toBe('hostname=home.example.com&myip=192.0.2.10')
    const log = ctx.lines.join('\n')
    expect(log).not.toContain(NASTY)
    expect(log).not.toContain(NASTY_ENCODED)
  })

  it('BC-28: preset he puts the key in the form, encoded', async () => {
    const f = await fake({ '/nic/update': fixture('he', 'good') })
    const ctx = pushCtx()
    await make(ctx, { preset: 'he', server: f.url, username: undefined, password: NASTY }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.body).toBe(`hostname=home.example.com&password=${NASTY_ENCODED}&myip=192.0.2.10`)
  })
})

describe('dyndns2: HTTP statuses without a dyndns2 body', () => {
  it.each([
    [401, 'auth'],
    [403, 'forbidden'],
    [404, 'notfound'],
    [429, 'ratelimit'],
    [503, 'transient'],
  ])('%i → %s', async (status, kind) => {
    const f = await fake({ '/nic/update': { status, body: 'nope', headers: status === 429 ? { 'retry-after': '120' } : {} } })
    const ctx = pushCtx()
    const [o] = await make(ctx, { server: f.url }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error?.kind).toBe(kind)
    if (status === 429) expect(o?.error?.retryAfterSec).toBe(120)
  })

  it('a redirect is not followed; the error says where the service moved', async () => {
    const f = await fake({ '/nic/update': { status: 301, body: '', headers: { location: 'https://new.example.net/nic/update' } } })
    const ctx = pushCtx()
    const [o] = await make(ctx, { server: f.url }).write([change(A('home.example.com'), '192.0.2.10')], ctx)
    expect(o?.error?.kind).toBe('protocol')
    expect(o?.error?.message).toBe(`dyndns2: HTTP 301 from ${f.host} (moved to https://new.example.net/nic/update; set base_url or server)`)
    expect(f.requests).toHaveLength(1)
  })
})
