import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { dyndns2 } from '../../../../src/providers/dyndns2/index.js'
import { PRESETS, type Dyndns2Preset } from '../../../../src/providers/dyndns2/presets.js'
import type { Change, Outcome } from '../../../../src/providers/types.js'
import { startDyndnsServer, type Answer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
import { rr, startDnsServer } from '../../../helpers/dns-server.js'
import { A, AAAA, change, NASTY, NASTY_ENCODED, parseWith, pushCtx } from './support.js'

/**
 * One fixture folder per preset (issue 10): test/fixtures/dyndns2/<preset>/ holds the service's
 * documented answers, each with `_doc` (the page it follows) and `_expect` (the outcome it must
 * give), and a sources.md. Every answer file is run against the local fake with the preset, and
 * the exact request of each preset is asserted against the table below.
 */

const DIR = fileURLToPath(new URL('../../../fixtures/dyndns2/', import.meta.url))

interface Fixture extends Answer {
  _doc: string
  _expect: { status: Outcome['status']; kind?: string; retryable?: boolean }
}

function answers(p: Dyndns2Preset): [string, Fixture][] {
  return readdirSync(`${DIR}${p.name}`)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(`${DIR}${p.name}/${f}`, 'utf8')) as Fixture])
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

const HOST = 'home.example.com'

async function run(p: Dyndns2Preset, answer: Answer, changes: Change[] = [change(A(HOST), '192.0.2.10')], password = 'fake-pass'): Promise<{ out: Outcome[]; log: string }> {
  f.route('*', answer)
  const ctx = pushCtx()
  const keys: Record<string, unknown> = { preset: p.name, server: f.url, hostname: HOST, password }
  if (p.auth !== 'password-param' && !p.userIsHost) keys.username = 'fake-user'
  const { settings } = parseWith(dyndns2, keys, ctx)
  const out = await dyndns2.create(settings, {}).write(changes, ctx)
  return { out, log: ctx.lines.join('\n') }
}

/**
 * The exact IPv4 update of each preset for home.example.com and 192.0.2.10, password NASTY:
 * method, path, query or form (secrets shown as `<pw>`), and where the credentials go
 * (`basic` user fake-user, `host` Basic user = the host name, `form`/`query`: parameters).
 */
const REQUEST: Record<string, [method: string, path: string, params: string, auth: 'basic' | 'host' | 'form' | 'query']> = {
  dyn: ['GET', '/v3/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  noip: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  dynu: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10&myipv6=no', 'basic'],
  he: ['POST', '/nic/update', 'hostname=home.example.com&password=<pw>&myip=192.0.2.10', 'form'],
  ovh: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10&system=dyndns', 'basic'],
  strato: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  'nsupdate.info': ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'host'],
  dnsomatic: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10&wildcard=NOCHG&mx=NOCHG&backmx=NOCHG', 'basic'],
  changeip: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  freedns: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  spdyn: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  easydns: ['GET', '/dyn/generic.php', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  allinkl: ['GET', '/', 'host=home.example.com&myip=192.0.2.10', 'basic'],
  apertodns: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  corenetworks: ['GET', '/', 'hostname=home.example.com&myip=192.0.2.10&keepipv6=1', 'basic'],
  dnshome: ['GET', '/dyndns.php', 'hostname=home.example.com&ip=192.0.2.10', 'basic'],
  'do.de': ['GET', '/', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  domeneshop: ['GET', '/v0/dyndns/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  'dy.fi': ['GET', '/nic/update', 'hostname=home.example.com', 'basic'],
  'dyndns.it': ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  eurodns: ['GET', '/update/', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  gigahost: ['GET', '/api/v0/dns/dyndns', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  'hosting.de': ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  infomaniak: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  inwx: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  itsdns: ['GET', '/update.php', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  joker: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  loopia: ['GET', '/', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  myonlineportal: ['GET', '/updateddns', 'hostname=home.example.com&username=fake-user&password=<pw>&ip=192.0.2.10', 'query'],
  'now-dns': ['GET', '/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  oray: ['GET', '/ph/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  pubyun: ['GET', '/dyndns/update', 'hostname=home.example.com&myip=192.0.2.10&system=dyndns', 'basic'],
  schokokeks: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  selfhost: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  simply: ['GET', '/2/ddns/', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  udmedia: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  updatedip: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  variomedia: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  websupport: ['GET', '/nic/update', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  xlhost: ['GET', '/', 'hostname=home.example.com&myip=192.0.2.10', 'basic'],
  ydns: ['GET', '/api/v1/update/', 'host=home.example.com&ip=192.0.2.10', 'basic'],
}

describe('dyndns2 preset table', () => {
  it('names are unique and every row names its documentation page', () => {
    expect(new Set(PRESETS.map((p) => p.name)).size).toBe(PRESETS.length)
    for (const p of PRESETS) {
      expect(p.docs, p.name).toMatch(/^https:\/\//)
      expect(p.url, p.name).toMatch(/^https:\/\//)
      expect(p.title.length, p.name).toBeGreaterThan(2)
      expect(p.maxHosts, p.name).toBeGreaterThanOrEqual(1)
    }
  })

  it('has the services the providers issue names, and the catalogue\'s section A (issue 10)', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(expect.arrayContaining(['dyn', 'noip', 'dynu', 'he', 'ovh', 'strato', 'nsupdate.info', 'dnsomatic', 'changeip', 'freedns', 'spdyn', 'easydns']))
    expect(PRESETS.length).toBeGreaterThanOrEqual(40)
  })

  it('every preset has a fixture folder with success and refused credentials, a sources.md naming its page, and an exact request', () => {
    for (const p of PRESETS) {
      expect(existsSync(`${DIR}${p.name}/good.json`), p.name).toBe(true)
      expect(existsSync(`${DIR}${p.name}/badauth.json`), p.name).toBe(true)
      expect(readFileSync(`${DIR}${p.name}/sources.md`, 'utf8'), p.name).toContain(p.docs)
      expect(REQUEST[p.name], p.name).toBeDefined()
    }
    expect(Object.keys(REQUEST).sort()).toEqual(PRESETS.map((p) => p.name).sort())
  })

  it('a nochg fixture is missing only where the service has no such answer', () => {
    for (const p of PRESETS) {
      if (existsSync(`${DIR}${p.name}/nochg.json`)) continue
      expect(p.extraCodes?.some((x) => x.kind === 'nochg') ?? false, p.name).toBe(false)
      expect(p.statusCodes?.some(([, k]) => k === 'nochg') ?? false, p.name).toBe(false)
    }
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

describe.each(PRESETS.map((p) => [p.name, p] as const))('preset %s', (name, p) => {
  it.each(answers(p))('answer %s gives the outcome its fixture names', async (_file, fx) => {
    const { out } = await run(p, fx)
    expect(fx._doc).toMatch(/^https:\/\//)
    expect(out[0]?.status).toBe(fx._expect.status)
    if (fx._expect.kind) expect(out[0]?.error?.kind).toBe(fx._expect.kind)
    if (fx._expect.retryable !== undefined) expect(out[0]?.error?.retryable).toBe(fx._expect.retryable)
    expect(f.requests).toHaveLength(1)
  })

  it('BC-28: the exact request, credentials with & # $ % : + encoded and never logged', async () => {
    const { out, log } = await run(p, { body: 'good 192.0.2.10' }, undefined, NASTY)
    const [method, path, params, auth] = REQUEST[name] ?? ['', '', '', 'basic']
    expect(out[0]?.status).toBe('updated')
    expect(f.requests).toHaveLength(1)
    const r = f.requests[0]!
    expect(r.method).toBe(method)
    expect(r.path).toBe(path)
    expect(method === 'POST' ? r.body : r.rawQuery).toBe(params.replace('<pw>', NASTY_ENCODED))
    if (auth === 'basic' || auth === 'host') expect(r.basic).toEqual({ user: auth === 'host' ? HOST : 'fake-user', password: NASTY })
    else expect(r.headers.authorization).toBeUndefined()
    expect(log).not.toContain(NASTY)
    expect(log).not.toContain(NASTY_ENCODED)
  })

  it(`IPv6 (${p.ipv6}): ${p.ipv6 === 'comma' || p.ipv6 === 'param' ? 'one request for both families' : p.ipv6 === 'none' ? 'refused as a config error' : 'one request per family'}`, async () => {
    const { out } = await run(p, { body: 'good' }, [change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')])
    const ip = p.ipParam || 'myip'
    switch (p.ipv6) {
      case 'comma':
        expect(f.requests).toHaveLength(1)
        expect(f.requests[0]?.q[ip]).toBe('192.0.2.10,2001:db8::10')
        break
      case 'param':
        expect(f.requests).toHaveLength(1)
        expect(f.requests[0]?.q[ip]).toBe('192.0.2.10')
        expect(f.requests[0]?.q[p.v6Param ?? '']).toBe('2001:db8::10')
        break
      case 'none':
        expect(f.requests).toHaveLength(1)
        expect(out[1]?.error?.kind).toBe('config')
        break
      default: {
        expect(f.requests).toHaveLength(2)
        const v6 = f.requests[1]?.form ?? f.requests[1]?.query ?? []
        expect(v6).toContainEqual([p.v6Param ?? ip, '2001:db8::10'])
        expect(v6.some(([, v]) => v === '192.0.2.10')).toBe(false)
      }
    }
    if (p.ipv6 !== 'none') expect(out[1]?.status).toBe('updated')
  })
})

describe('preset traps', () => {
  const preset = (n: string): Dyndns2Preset => PRESETS.find((p) => p.name === n) as Dyndns2Preset

  it('INWX: an IPv6-only update carries the current IPv4 address read from DNS', async () => {
    f.route('*', { body: 'good' })
    const dns = await startDnsServer((q) => (q.type === 'A' ? { answers: [rr(q.name, 'A', '192.0.2.44')] } : { answers: [rr(q.name, 'AAAA', '2001:db8::1')] }))
    try {
      const ctx = pushCtx()
      const { settings } = parseWith(dyndns2, { preset: 'inwx', server: f.url, hostname: HOST, username: 'u', password: 'p', resolver: `127.0.0.1:${dns.port}` }, ctx)
      const prov = dyndns2.create(settings, {})
      const read = await prov.read([A(HOST), AAAA(HOST)], ctx)
      const [o] = await prov.write([change(AAAA(HOST), '2001:db8::10', read[1])], ctx)
      expect(o?.status).toBe('updated')
      expect(f.requests[0]?.query).toEqual([
        ['hostname', HOST],
        ['myip', '192.0.2.44'],
        ['myipv6', '2001:db8::10'],
      ])
    } finally {
      await dns.close()
    }
  })

  it('Core-Networks: each family\'s request tells the service to keep the other one', async () => {
    await run(preset('corenetworks'), { body: 'good' }, [change(A(HOST), '192.0.2.10'), change(AAAA(HOST), '2001:db8::10')])
    expect(f.requests.map((r) => r.rawQuery)).toEqual([
      'hostname=home.example.com&myip=192.0.2.10&keepipv6=1',
      'hostname=home.example.com&myip=2001%3Adb8%3A%3A10&keepipv4=1',
    ])
  })

  it('dy.fi: no address is sent (the service records the address the request comes from)', async () => {
    await run(preset('dy.fi'), { body: 'good 192.0.2.10' })
    expect(f.requests[0]?.q.myip).toBeUndefined()
    expect(f.requests[0]?.query).toEqual([['hostname', HOST]])
  })

  it('Domeneshop: an empty 204 is success, an empty 401 is not', async () => {
    const ok = await run(preset('domeneshop'), { status: 204, body: '' })
    expect(ok.out[0]?.status).toBe('updated')
    const bad = await run(preset('domeneshop'), { status: 401, body: '' })
    expect(bad.out[0]?.error).toMatchObject({ kind: 'auth', retryable: false })
  })

  it('selfhost.de: the status decides, whatever the body says', async () => {
    const { out } = await run(preset('selfhost'), { status: 409, body: 'good 192.0.2.10' })
    expect(out[0]?.error?.kind).toBe('notfound')
    expect(out[0]?.error?.message).toBe(`dyndns2: ${f.host} answered "HTTP 409": the zone does not exist`)
  })

  it('Infomaniak and Now-DNS: nohost and badauth with HTTP 400 are read from the body', async () => {
    for (const n of ['infomaniak', 'now-dns']) {
      const { out } = await run(preset(n), { status: 400, body: 'badauth' })
      expect(out[0]?.error, n).toMatchObject({ kind: 'auth', code: 'badauth' })
    }
  })
})
