import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import { buildRequest, SERVICES, TOKENURL_PROVIDERS, type TokenService, type TokenSettings } from '../../../../src/providers/tokenurl/index.js'
import type { Change, Outcome, ProviderDef } from '../../../../src/providers/types.js'
import { rr, startDnsServer } from '../../../helpers/dns-server.js'
import { startDyndnsServer, type Answer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { A, AAAA, change, NASTY, NASTY_ENCODED, parseWith, pushCtx } from '../dyndns2/support.js'

/**
 * The token-URL services (issue 10, group B): one engine, one data row per service. Every answer
 * in test/fixtures/<service>/ (each with `_doc`, the page it follows, and `_expect`, the outcome
 * it must give) is served by the local fake; the exact request of each service is asserted.
 */

const FIX = fileURLToPath(new URL('../../../fixtures/', import.meta.url))
const HOST = 'home.example.com'

interface Fixture extends Answer {
  _doc: string
  _expect: { status: Outcome['status']; kind?: string; retryable?: boolean }
}

function answers(name: string): [string, Fixture][] {
  return readdirSync(`${FIX}${name}`)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(`${FIX}${name}/${f}`, 'utf8')) as Fixture])
}

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

const def = (name: string): ProviderDef<TokenSettings> => TOKENURL_PROVIDERS[name] as ProviderDef<TokenSettings>

/** Config keys for a service: every secret is NASTY (BC-28), Directnic's URLs point at the fake. */
function keysFor(svc: TokenService, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const all: Record<string, unknown> = {
    token: NASTY,
    password: NASTY,
    username: 'fake-user',
    record_id: '1234567',
    domain: 'example.com',
    url: `${f.url}/dns/gateway/abc123/`,
    url6: `${f.url}/dns/gateway/def456/`,
  }
  const keys: Record<string, unknown> = { hostname: HOST }
  for (const spec of svc.keys) {
    const k = spec.replace(/\?$/, '')
    if (!spec.endsWith('?') || k === 'url' || k === 'url6') keys[k] = all[k]
  }
  if (!svc.url.startsWith('{')) keys.base_url = f.url
  return { ...keys, ...extra }
}

async function run(svc: TokenService, answer: Answer, changes: Change[] = [change(A(HOST), '192.0.2.10')], extra: Record<string, unknown> = {}): Promise<{ out: Outcome[]; log: string }> {
  f.route('*', answer)
  const ctx = pushCtx()
  const { settings } = parseWith(def(svc.name), keysFor(svc, extra), ctx)
  const out = await def(svc.name).create(settings, {}).write(changes, ctx)
  return { out, log: ctx.lines.join('\n') }
}

/** The exact IPv4 update of each service (secrets as `<pw>`): method, path, query or form, Basic. */
const REQUEST: Record<string, [method: string, path: string, params: string, basic?: true]> = {
  '1984hosting': ['GET', '/1.0/freedns/', 'apikey=<pw>&domain=home.example.com&ip=192.0.2.10'],
  ddnss: ['GET', '/upd.php', 'key=<pw>&host=home.example.com&ip=192.0.2.10'],
  directnic: ['GET', '/dns/gateway/abc123/', 'data=192.0.2.10'],
  dnsmadeeasy: ['GET', '/servlet/updateip', 'username=fake-user&password=<pw>&id=1234567&ip=192.0.2.10'],
  dondominio: ['GET', '/json/', 'user=fake-user&password=<pw>&host=home.example.com&ip=192.0.2.10&lang=en'],
  dynadot: ['GET', '/set_ddns', 'domain=example.com&subDomain=home&containRoot=false&type=A&ip=192.0.2.10&pwd=<pw>&ttl=600'],
  dynv6: ['GET', '/api/update', 'zone=home.example.com&token=<pw>&ipv4=192.0.2.10'],
  enom: ['GET', '/interface.asp', 'Command=SetDNSHost&HostName=home&Zone=example.com&DomainPassword=<pw>&Address=192.0.2.10'],
  freedns: ['GET', '/u/<pw>/', 'address=192.0.2.10'],
  freemyip: ['GET', '/update', 'token=<pw>&domain=home.example.com&myip=192.0.2.10'],
  goip: ['GET', '/setip', 'username=fake-user&password=<pw>&subdomain=home.example.com&ip=192.0.2.10&shortResponse=true'],
  ipv64: ['GET', '/nic/update', 'key=<pw>&domain=home.example.com&ip=192.0.2.10'],
  keysystems: ['GET', '/update.php', 'hostname=home.example.com&password=<pw>&ip=192.0.2.10'],
  myaddr: ['POST', '/update', 'key=<pw>&ip=192.0.2.10'],
  njalla: ['GET', '/update/', 'h=home.example.com&k=<pw>&a=192.0.2.10'],
  regfish: ['GET', '/', 'fqdn=home.example.com&forcehost=1&authtype=secure&token=<pw>&ipv4=192.0.2.10'],
  zoneedit: ['GET', '/auth/dynamic.html', 'host=home.example.com&dnsto=192.0.2.10', true],
}

describe('token-URL service table', () => {
  it('names are unique; every service names its page, has a fixture folder with success and refused credentials, and an exact request', () => {
    expect(new Set(SERVICES.map((s) => s.name)).size).toBe(SERVICES.length)
    for (const s of SERVICES) {
      expect(s.docs, s.name).toMatch(/^https:\/\//)
      expect(existsSync(`${FIX}${s.name}/good.json`), s.name).toBe(true)
      expect(existsSync(`${FIX}${s.name}/badauth.json`), s.name).toBe(true)
      expect(readFileSync(`${FIX}${s.name}/sources.md`, 'utf8'), s.name).toContain(s.docs)
      for (const [m] of s.answers) expect(() => new RegExp(m, 'im'), `${s.name} ${m}`).not.toThrow()
    }
    expect(Object.keys(REQUEST).sort()).toEqual(SERVICES.map((s) => s.name).sort())
  })

  it('every definition documents its keys and capabilities', () => {
    for (const s of SERVICES) {
      const d = def(s.name)
      expect(d.name).toBe(s.name)
      expect(d.keys.map((k) => k.key)).toEqual([...s.keys.map((k) => k.replace(/\?$/, '')), 'hostname', 'base_url', 'resolver'])
      for (const k of d.keys) expect(k.doc.length, `${s.name}.${k.key}`).toBeGreaterThan(3)
      expect(d.keys.filter((k) => k.secret).map((k) => k.key)).toEqual(d.keys.map((k) => k.key).filter((k) => ['token', 'token6', 'password', 'url', 'url6'].includes(k)))
      expect(d.capabilities).toEqual({ read: 'dns', ipv6: s.family !== 'v4', dualStackOneRequest: s.family === 'both' && !s.url6 })
    }
  })
})

describe.each(SERVICES.map((s) => [s.name, s] as const))('%s', (name, svc) => {
  it.each(answers(name))('answer %s gives the outcome its fixture names', async (_file, fx) => {
    const { out } = await run(svc, fx)
    expect(fx._doc).toMatch(/^https:\/\//)
    expect(out[0]?.status).toBe(fx._expect.status)
    if (fx._expect.kind) expect(out[0]?.error?.kind).toBe(fx._expect.kind)
    if (fx._expect.retryable !== undefined) expect(out[0]?.error?.retryable).toBe(fx._expect.retryable)
    expect(f.requests).toHaveLength(1)
  })

  it('BC-28: the exact request, secrets with & # $ % : + encoded and never logged', async () => {
    const good = answers(name).find(([n]) => n === 'good')?.[1] as Fixture
    const { out, log } = await run(svc, good)
    expect(out[0]?.status).toBe('updated')
    const [method, path, params, basic] = REQUEST[name] ?? ['', '', '']
    const r = f.requests[0]!
    expect(r.method).toBe(method)
    expect(r.path).toBe(path.replace('<pw>', NASTY_ENCODED))
    expect(method === 'POST' ? r.body : r.rawQuery).toBe(params.replace('<pw>', NASTY_ENCODED))
    if (basic) expect(r.basic).toEqual({ user: 'fake-user', password: NASTY })
    else expect(r.headers.authorization).toBeUndefined()
    expect(r.headers['user-agent']).toMatch(/^edge-ddns /)
    expect(log).not.toContain(NASTY)
    expect(log).not.toContain(NASTY_ENCODED)
  })

  it(`IPv6 (${svc.family}${svc.url6 ? ', own host' : ''})`, async () => {
    const good = answers(name).find(([n]) => n === 'good')?.[1] as Fixture
    const { out } = await run(svc, good, [change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')])
    const sent = f.requests.map((r) => (r.form ?? r.query).map(([, v]) => v).filter((v) => v.includes(':') || v.includes('.')).filter((v) => /^[0-9a-f.:]+$/.test(v)))
    if (svc.family === 'v4') {
      expect(f.requests).toHaveLength(1)
      expect(out[1]?.error).toBeInstanceOf(ConfigError)
      expect(out[1]?.error?.message).toBe(`${name} takes IPv4 only; remove "6" from ip_types`)
    } else if (svc.family === 'both' && !svc.url6) {
      expect(f.requests).toHaveLength(1)
      expect(sent[0]).toEqual(expect.arrayContaining(['192.0.2.10', '2001:db8::10']))
      expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    } else {
      expect(f.requests).toHaveLength(2)
      expect(sent[0]).toContain('192.0.2.10')
      expect(sent[1]).toContain('2001:db8::10')
      expect(sent[1]).not.toContain('192.0.2.10')
      expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    }
  })
})

describe('token-URL engine', () => {
  const svc = (n: string): TokenService => SERVICES.find((s) => s.name === n) as TokenService

  it('afraid.org v2: IPv6 goes to v6.sync.afraid.org, with token6 when the AAAA record has its own', () => {
    const s = svc('freedns')
    const { settings } = parseWith(def('freedns'), { token: 'tok4', token6: 'tok6', hostname: HOST })
    expect(buildRequest(s, settings, { host: HOST, v4: '192.0.2.10', changes: [] }, 4).url).toBe('https://sync.afraid.org/u/tok4/?address=192.0.2.10')
    expect(buildRequest(s, settings, { host: HOST, v6: '2001:db8::10', changes: [] }, 6).url).toBe('https://v6.sync.afraid.org/u/tok6/?address=2001%3Adb8%3A%3A10')
  })

  it('Dynadot and Enom: the apex is containRoot=true with an empty subDomain, and "@" for Enom', () => {
    const apex = { host: 'example.com', v4: '192.0.2.10', changes: [] }
    const d = parseWith(def('dynadot'), { domain: 'example.com', password: 'p', hostname: 'example.com' }).settings
    expect(new URL(buildRequest(svc('dynadot'), d, apex, 4).url).search).toBe('?domain=example.com&subDomain=&containRoot=true&type=A&ip=192.0.2.10&pwd=p&ttl=600')
    const e = parseWith(def('enom'), { domain: 'example.com', password: 'p', hostname: 'example.com' }).settings
    expect(new URL(buildRequest(svc('enom'), e, apex, 4).url).searchParams.get('HostName')).toBe('@')
  })

  it('Directnic: an AAAA record without url6 fails with a config error naming the key, and nothing is sent for it', async () => {
    const { out } = await run(svc('directnic'), { body: '{"result":"success"}' }, [change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')], { url6: undefined })
    expect(out[0]?.status).toBe('updated')
    expect(out[1]?.error?.kind).toBe('config')
    expect(out[1]?.error?.message).toBe('domains[0].url6: is required for AAAA records')
    expect(f.requests).toHaveLength(1)
  })

  it.each([
    ['njalla', { hostname: ['a.example.com', 'b.example.com'] }, 'domains[0].hostname: takes one host name'],
    ['dynadot', { hostname: 'home.example.net' }, 'domains[0].hostname: home.example.net is not inside example.com'],
    ['dynv6', { zone: 'x' }, 'domains[0].zone: unknown key'],
    ['dynv6', { token: undefined }, 'domains[0].token: is required'],
    ['directnic', { url: 'ftp://x', url6: undefined }, 'domains[0].url: must be the http(s) update URL'],
    ['directnic', { url: undefined, url6: undefined }, 'domains[0].url: is required (or url6'],
  ])('%s %o → %s', (name, extra, msg) => {
    const keys = keysFor(svc(name), extra)
    for (const [k, v] of Object.entries(keys)) if (v === undefined) delete keys[k]
    expect(() => parseWith(def(name), keys)).toThrow(ConfigError)
    expect(() => parseWith(def(name), keys)).toThrow(msg)
  })

  it('BC-02: an HTML page with 200 is a failure, never a success; a 503 is transient', async () => {
    const html = await run(svc('dynv6'), { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' })
    expect(html.out[0]?.error).toMatchObject({ kind: 'protocol', retryable: true })
    const down = await run(svc('dynv6'), { status: 503, body: 'maintenance' })
    expect(down.out[0]?.error).toMatchObject({ kind: 'transient' })
  })

  it('a refused credential stops the entry\'s other requests (they fail without being sent)', async () => {
    const { out } = await run(svc('goip'), { body: 'zugriff verweigert' }, [change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')])
    expect(f.requests).toHaveLength(1)
    expect(out.map((o) => o.error?.kind)).toEqual(['auth', 'auth'])
    expect(out[1]?.error?.message).toMatch(/^not sent after an earlier answer for this account/)
  })

  it('reads the current value by DNS through the resolver key (push-only)', async () => {
    const dns = await startDnsServer((q) => (q.type === 'A' ? { answers: [rr(q.name, 'A', '192.0.2.10')] } : { rcode: 'NXDOMAIN' }))
    try {
      const ctx = pushCtx()
      const { settings } = parseWith(def('dynv6'), { token: 't', hostname: HOST, resolver: `127.0.0.1:${dns.port}` }, ctx)
      const got = await def('dynv6').create(settings, {}).read([A(HOST), AAAA(HOST)], ctx)
      expect(got[0]).toMatchObject({ kind: 'present', values: ['192.0.2.10'] })
      expect(got[1]?.kind).toBe('absent')
      expect(f.requests).toHaveLength(0)
    } finally {
      await dns.close()
    }
  })
})
