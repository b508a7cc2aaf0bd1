import { afterEach, describe, expect, it } from 'vitest'
import { duckdns, parseDuckdnsAnswer, type DuckdnsSettings } from '../../../../src/providers/duckdns/index.js'
import type { Provider } from '../../../../src/providers/types.js'
import { duckdnsService, fixture, RecordStore, startDyndnsServer, type FakeDyndns } from '../../../helpers/dyndns-server.js'
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

const TOKEN = '0123abcd-fake-token'

function make(f: FakeDyndns, ctx: ReturnType<typeof pushCtx>, keys: Record<string, unknown> = {}): Provider {
  const { settings } = parseWith(duckdns, { token: TOKEN, domains: ['myhost'], base_url: f.url, ...keys }, ctx)
  return duckdns.create(settings as DuckdnsSettings, {})
}

describe('duckdns: the request (https://www.duckdns.org/spec.jsp)', () => {
  it('sends GET /update?domains=&token=&ip=&ipv6=&verbose=true, v4 and v6 in one request', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok-verbose-updated') })
    const ctx = pushCtx()
    const out = await make(f, ctx).write([change(A('myhost.duckdns.org'), '192.0.2.10'), change(AAAA('myhost.duckdns.org'), '2001:db8::10')], ctx)
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]?.path).toBe('/update')
    expect(f.requests[0]?.query).toEqual([
      ['domains', 'myhost'],
      ['token', TOKEN],
      ['ip', '192.0.2.10'],
      ['ipv6', '2001:db8::10'],
      ['verbose', 'true'],
    ])
  })

  it('a v6-only update sends ipv6 without ip (which would turn on IPv4 detection at DuckDNS)', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok') })
    const ctx = pushCtx()
    await make(f, ctx).write([change(AAAA('myhost.duckdns.org'), '2001:db8::10')], ctx)
    expect(f.requests[0]?.q.ip).toBeUndefined()
    expect(f.requests[0]?.q.ipv6).toBe('2001:db8::10')
  })

  it('domains that get the same addresses share one request', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok') })
    const ctx = pushCtx()
    await make(f, ctx, { domains: ['a', 'b'] }).write([change(A('a.duckdns.org'), '192.0.2.10'), change(A('b.duckdns.org'), '192.0.2.10')], ctx)
    expect(f.requests).toHaveLength(1)
    expect(f.requests[0]?.q.domains).toBe('a,b')
  })

  it('BC-28: a token with & # $ % : + is query-encoded exactly and never logged', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok') })
    const ctx = pushCtx({ level: 'debug' })
    await make(f, ctx, { token: NASTY }).write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.rawQuery).toContain(`token=${NASTY_ENCODED}&`)
    expect(ctx.lines.join('\n')).not.toContain(NASTY)
    expect(ctx.lines.join('\n')).not.toContain(NASTY_ENCODED)
  })
})

describe('duckdns: answers (BC-07)', () => {
  it('BC-07: KO with HTTP 200 is a failure (auth, not retried)', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ko') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(o?.status).toBe('failed')
    expect(o?.error).toMatchObject({ kind: 'auth', retryable: false, code: 'KO' })
    expect(o?.error?.message).toBe(`duckdns: ${f.host} answered KO: the token is wrong or myhost is not in this account`)
  })

  it('BC-07: "OK\\n192.0.2.10\\n\\nUPDATED" is a success', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok-verbose-v4') })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(o).toMatchObject({ status: 'updated', value: '192.0.2.10' })
    expect(o?.warnings).toBeUndefined()
  })

  it.each([
    ['ok', 'updated'],
    ['ok-verbose-updated', 'updated'],
    ['ok-verbose-nochange', 'unchanged'],
    ['ko', 'failed'],
    ['html', 'failed'],
  ])('%s → %s', async (name, status) => {
    const f = await fake({ '/update': fixture('duckdns', name) })
    const ctx = pushCtx()
    const [o] = await make(f, ctx).write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(o?.status).toBe(status)
    if (name === 'html') expect(o?.error?.kind).toBe('protocol')
  })

  it('the verbose echo is compared with what was sent', () => {
    expect(parseDuckdnsAnswer('OK\n198.51.100.7\n\nUPDATED')).toEqual({ ok: true, changed: true, v4: '198.51.100.7' })
    expect(parseDuckdnsAnswer('KO\n')).toEqual({ ok: false, ko: true, line: 'KO' })
    expect(parseDuckdnsAnswer('ok')).toEqual({ ok: false, ko: false, line: 'ok' })
  })
})

describe('duckdns: config (BC-07)', () => {
  it('BC-07: a token with spaces around it is trimmed with a warning naming the key, never the value', () => {
    const { settings, warnings, secrets } = parseWith(duckdns, { token: ' 0123abcd-fake-token ', domains: 'myhost' })
    expect((settings as DuckdnsSettings).token).toBe('0123abcd-fake-token')
    expect(warnings).toEqual(['domains[0].token: leading or trailing whitespace removed'])
    expect(secrets).toContain('0123abcd-fake-token')
  })

  it('BC-07: myhost.duckdns.org is accepted but only the label is sent', async () => {
    const f = await fake({ '/update': fixture('duckdns', 'ok') })
    const ctx = pushCtx()
    const { parsed } = parseWith(duckdns, { token: TOKEN, domains: ['MyHost.DuckDNS.org.', 'other'], base_url: f.url })
    expect(parsed.names).toEqual(['myhost.duckdns.org', 'other.duckdns.org'])
    await duckdns.create(parsed.settings, {}).write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(f.requests[0]?.q.domains).toBe('myhost')
  })

  it.each([
    [{ token: TOKEN, domains: 'home.example.com' }, 'is not a DuckDNS name'],
    [{ token: TOKEN, domains: 'a.b.duckdns.org' }, 'is not a DuckDNS name'],
    [{ token: TOKEN }, 'domains[0].domains: is required'],
    [{ domains: 'x' }, 'domains[0].token: is required'],
    [{ token: '   ', domains: 'x' }, 'domains[0].token: is empty'],
  ])('%o → %s', (keys, msg) => {
    expect(() => parseWith(duckdns, keys)).toThrow(msg)
  })
})

describe('duckdns: against the emulated service', () => {
  it('updates both families and a second run says NOCHANGE', async () => {
    const store = new RecordStore()
    const f = await fake({ '/update': duckdnsService({ store, token: TOKEN, domains: ['myhost'] }) })
    const ctx = pushCtx()
    const p = make(f, ctx)
    const first = await p.write([change(A('myhost.duckdns.org'), '192.0.2.10'), change(AAAA('myhost.duckdns.org'), '2001:db8::10')], ctx)
    expect(first.map((o) => o.status)).toEqual(['updated', 'updated'])
    expect(store.get('myhost.duckdns.org', 'AAAA')).toEqual(['2001:db8::10'])
    const again = await p.write([change(A('myhost.duckdns.org'), '192.0.2.10')], ctx)
    expect(again[0]?.status).toBe('unchanged')
  })
})
