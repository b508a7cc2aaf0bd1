import { afterEach, describe, expect, it } from 'vitest'
import type { Dyndns2Settings } from '../../../../src/providers/dyndns2/engine.js'
import { dynu } from '../../../../src/providers/dynu/index.js'
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

const DOMAIN = 'test-dness.camdvr.org'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(dynu, { hostname: DOMAIN, username: 'MyUserName', password: 'IpUpdatePassword', records: ['@', 'sub'], base_url: f.url, ...keys }, ctx)
  return dynu.create(settings as Dyndns2Settings, {})
}

describe('dynu: the request (https://www.dynu.com/DynamicDNS/IP-Update-Protocol)', () => {
  it('sends GET /nic/update with hostname=<domain>, Basic auth, and myipv6=no for an IPv4 update', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A(DOMAIN), '192.0.2.10')], ctx)
    expect(o?.status).toBe('updated')
    const r = f.requests[0]!
    expect(r.method).toBe('GET')
    expect(r.path).toBe('/nic/update')
    expect(r.query).toEqual([
      ['hostname', DOMAIN],
      ['myip', '192.0.2.10'],
      ['myipv6', 'no'],
    ])
    expect(r.basic).toEqual({ user: 'MyUserName', password: 'IpUpdatePassword' })
  })

  it('a record below the domain goes as alias=<label>, as dness sends it', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(A(`sub.${DOMAIN}`), '192.0.2.10')], ctx)
    expect(f.requests[0]?.query.slice(0, 2)).toEqual([
      ['hostname', DOMAIN],
      ['alias', 'sub'],
    ])
  })

  it('BC-27: a v6-only update puts the address in myipv6 and no IPv6 in myip', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good-plain') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(AAAA(DOMAIN), '2001:db8::10')], ctx)
    expect(o?.status).toBe('updated')
    const r = f.requests[0]!
    expect(r.q.myipv6).toBe('2001:db8::10')
    expect(r.q.myip).toBe('no')
    expect(r.rawQuery).toContain('myipv6=2001%3Adb8%3A%3A10')
    expect(r.rawQuery).not.toMatch(/myip=[^&]*%3A/)
  })

  it('BC-27 / BC-06: both families of a name go in one request', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A(DOMAIN), '192.0.2.10'), change(AAAA(DOMAIN), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]?.query).toEqual([
      ['hostname', DOMAIN],
      ['myip', '192.0.2.10'],
      ['myipv6', '2001:db8::10'],
    ])
  })

  it('two records are two requests (one per name)', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(A(DOMAIN), '192.0.2.10'), change(A(`sub.${DOMAIN}`), '192.0.2.10')], ctx)
    expect(f.requests.map((r) => r.q.alias ?? '@')).toEqual(['@', 'sub'])
  })

  it('BC-28: credentials with & # $ % : + are sent exactly and never logged', async () => {
    const f = await fake({ '/nic/update': fixture('dynu', 'good') })
    const ctx = pushCtx({ level: 'debug' })
    await make(f, ctx, { password: NASTY }).write([change(A(DOMAIN), '192.0.2.10')], ctx)
    expect(f.requests[0]?.basic?.password).toBe(NASTY)
    expect(ctx.lines.join('\n')).not.toContain(NASTY)
    expect(ctx.lines.join('\n')).not.toContain(NASTY_ENCODED)
  })
})

describe('dynu: every documented answer', () => {
  it.each([
    ['good', 'updated', undefined],
    ['good-plain', 'updated', undefined],
    ['nochg', 'unchanged', undefined],
    ['badauth', 'failed', 'auth'],
    ['nohost', 'failed', 'notfound'],
    ['notfqdn', 'failed', 'invalid'],
    ['abuse', 'failed', 'forbidden'],
    ['dnserr', 'failed', 'provider'],
    ['911', 'failed', 'provider'],
  ])('%s → %s', async (name, status, kind) => {
    const f = await fake({ '/nic/update': fixture('dynu', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A(DOMAIN), '192.0.2.10')], ctx)
    expect(o?.status).toBe(status)
    expect(o?.error?.kind).toBe(kind)
  })
})

describe('dynu: config (dness keys)', () => {
  it('takes dness\'s README entry unchanged: "@" is the domain, "sub" is sub.<domain>', () => {
    const { parsed } = parseWith(dynu, { hostname: DOMAIN, username: 'MyUserName', password: 'IpUpdatePassword', records: ['@', 'sub'] })
    expect(parsed.names).toEqual([DOMAIN, `sub.${DOMAIN}`])
    expect(parsed.zone).toBe(DOMAIN)
    expect((parsed.settings as Dyndns2Settings).url).toBe('https://api.dynu.com/nic/update')
  })

  it('rejects an entry without records, naming the key', () => {
    expect(() => parseWith(dynu, { hostname: DOMAIN, username: 'u', password: 'p' })).toThrow('domains[0].records: is required')
  })
})

describe('dynu: against the emulated service', () => {
  it('a v6-only update leaves the A record as it is (myip=no)', async () => {
    const store = new RecordStore().add(DOMAIN, ['192.0.2.1'], ['2001:db8::1'])
    const f = await fake({
      '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'MyUserName', password: 'IpUpdatePassword' }, hosts: [DOMAIN], ipv6: 'param', v6Param: 'myipv6', keep: 'no', alias: true }),
    })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(AAAA(DOMAIN), '2001:db8::10')], ctx)
    expect(o?.status).toBe('updated')
    expect(store.get(DOMAIN, 'A')).toEqual(['192.0.2.1'])
    expect(store.get(DOMAIN, 'AAAA')).toEqual(['2001:db8::10'])
  })
})
