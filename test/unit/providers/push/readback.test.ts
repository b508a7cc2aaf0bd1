import type { Answer } from 'dns-packet'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readBack, type ReadbackDeps } from '../../../../src/providers/push/readback.js'
import type { ServerAddress } from '../../../../src/providers/push/names.js'
import { rr, startDnsServer, type Script, type TestDnsServer } from '../../../helpers/dns-server.js'
import { A, AAAA, pushCtx } from '../dyndns2/support.js'

let srv: TestDnsServer
beforeAll(async () => {
  srv = await startDnsServer()
})
afterAll(async () => {
  await srv.close()
})
afterEach(() => {
  srv.queries.length = 0
})

const ns = (name: string, target: string): Answer => ({ name, type: 'NS', class: 'IN', ttl: 300, data: target })
const soa = (zone: string): Answer => ({
  name: zone,
  type: 'SOA',
  class: 'IN',
  ttl: 300,
  data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
})
const cname = (name: string, target: string): Answer => ({ name, type: 'CNAME', class: 'IN', ttl: 300, data: target })

function server(): ServerAddress {
  return { host: '127.0.0.1', port: srv.port, label: `127.0.0.1:${srv.port}` }
}

/** The test server plays both roles: system resolver (recursion desired) and the zone's name server (no recursion). */
function deps(): ReadbackDeps {
  return { systemServers: () => [server()], lookupHost: async (n) => (n === 'ns1.example.net' ? ['127.0.0.1'] : []), authPort: srv.port }
}

/**
 * example.com is served by ns1.example.net. The authoritative role (RD clear) knows
 * home.example.com A 192.0.2.1; the resolver role (RD set) still has the old 198.51.100.1 cached.
 */
const world: Script = (q) => {
  const name = q.name.toLowerCase()
  if (q.type === 'NS') {
    if (name === 'example.com') return { answers: [ns('example.com', 'ns1.example.net')] }
    if (name.endsWith('.example.com')) return { authorities: [soa('example.com')] }
    return { rcode: 'NXDOMAIN' }
  }
  if (name === 'home.example.com' && q.type === 'A') return { answers: [rr(q.name, 'A', q.recursion ? '198.51.100.1' : '192.0.2.1')] }
  if (name === 'home.example.com') return { authorities: [soa('example.com')] }
  if (name === 'alias.example.com') return { answers: [cname(q.name, 'elsewhere.example.org')] }
  return { rcode: 'NXDOMAIN', authorities: [soa('example.com')] }
}

describe('DNS read-back of push-only providers', () => {
  it('asks the zone\'s authoritative server without recursion, found through NS (SOA names the zone)', async () => {
    srv.setScript(world)
    const ctx = pushCtx()
    const [c] = await readBack([A('home.example.com')], ctx, { provider: 'noip' }, deps())
    expect(c).toEqual({ kind: 'present', values: ['192.0.2.1'], via: 'dns ns1.example.net' })
    expect(srv.queries.map((q) => `${q.name} ${q.type} rd=${q.recursion}`)).toEqual([
      'home.example.com NS rd=true',
      'example.com NS rd=true',
      'home.example.com A rd=false',
    ])
    expect(ctx.lines).toContain('debug: home.example.com A: read through dns ns1.example.net: 192.0.2.1')
  })

  it('NODATA (no AAAA at the name) and NXDOMAIN are absent, not failures (BC-34)', async () => {
    srv.setScript(world)
    const ctx = pushCtx()
    const got = await readBack([AAAA('home.example.com'), A('new.example.com')], ctx, { provider: 'noip' }, deps())
    expect(got).toEqual([
      { kind: 'absent', via: 'dns ns1.example.net' },
      { kind: 'absent', via: 'dns ns1.example.net' },
    ])
  })

  it('finds the zone once per run for both families of a name', async () => {
    srv.setScript(world)
    const ctx = pushCtx()
    await readBack([A('home.example.com'), AAAA('home.example.com')], ctx, { provider: 'noip' }, deps())
    await readBack([A('home.example.com')], ctx, { provider: 'noip' }, deps())
    expect(srv.queries.filter((q) => q.type === 'NS').length).toBe(2)
    expect(srv.queries.filter((q) => q.type !== 'NS').length).toBe(3)
  })

  it('walks up the labels when the resolver gives no SOA', async () => {
    srv.setScript((q) => {
      if (q.type === 'NS') return q.name === 'example.com' ? { answers: [ns('example.com', 'ns1.example.net')] } : { answers: [] }
      return { answers: [rr(q.name, 'A', '192.0.2.7')] }
    })
    const [c] = await readBack([A('a.b.example.com')], pushCtx(), { provider: 'dynu' }, deps())
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.7'] })
    expect(srv.queries.filter((q) => q.type === 'NS').map((q) => q.name)).toEqual(['a.b.example.com', 'b.example.com', 'example.com'])
  })

  it('falls back to the system resolver when the authoritative server refuses, and says so', async () => {
    srv.setScript((q) => (q.type === 'A' && !q.recursion ? { rcode: 'REFUSED' } : world(q, {} as never)))
    const ctx = pushCtx({ level: 'info' })
    const [c] = await readBack([A('home.example.com')], ctx, { provider: 'he' }, deps())
    expect(c).toEqual({ kind: 'present', values: ['198.51.100.1'], via: `dns 127.0.0.1:${srv.port} (system resolver)` })
    expect(ctx.lines.some((l) => l.startsWith('info: home.example.com A: he: authoritative servers of example.com not usable') && l.endsWith('reading through the system resolver'))).toBe(true)
  })

  it('falls back when the name servers have no address', async () => {
    srv.setScript(world)
    const [c] = await readBack([A('home.example.com')], pushCtx(), { provider: 'he' }, { ...deps(), lookupHost: async () => [] })
    expect(c).toMatchObject({ kind: 'present', via: `dns 127.0.0.1:${srv.port} (system resolver)` })
  })

  it('a read that nobody answers is failed, never absent (BC-34)', async () => {
    srv.setScript(() => null)
    const [c] = await readBack([A('home.example.com')], pushCtx(), { provider: 'noip' }, deps())
    expect(c?.kind).toBe('failed')
    if (c?.kind === 'failed') {
      expect(c.error.kind).toBe('transient')
      expect(c.error.message).toMatch(/^noip: cannot read home\.example\.com A from DNS: .*system resolver/)
    }
  })

  it('SERVFAIL everywhere is failed', async () => {
    srv.setScript(() => ({ rcode: 'SERVFAIL' }))
    const [c] = await readBack([A('home.example.com')], pushCtx(), { provider: 'noip' }, deps())
    expect(c?.kind).toBe('failed')
  })

  it('a CNAME at the name is a conflict, not absent', async () => {
    srv.setScript(world)
    const [c] = await readBack([A('alias.example.com')], pushCtx(), { provider: 'noip' }, deps())
    expect(c?.kind).toBe('failed')
    if (c?.kind === 'failed') {
      expect(c.error.kind).toBe('conflict')
      expect(c.error.message).toContain('alias.example.com is a CNAME (to elsewhere.example.org)')
    }
  })

  it('the resolver key sends every query straight to that server, with recursion, and nothing else', async () => {
    srv.setScript(world)
    const ctx = pushCtx()
    const got = await readBack([A('home.example.com'), AAAA('home.example.com')], ctx, { provider: 'duckdns', resolver: server() }, { systemServers: () => [] })
    expect(got).toEqual([
      { kind: 'present', values: ['198.51.100.1'], via: `dns 127.0.0.1:${srv.port}` },
      { kind: 'absent', via: `dns 127.0.0.1:${srv.port}` },
    ])
    expect(srv.queries.map((q) => `${q.type} rd=${q.recursion}`)).toEqual(['A rd=true', 'AAAA rd=true'])
  })

  it('with the resolver key, a failure there is the answer (no fallback)', async () => {
    srv.setScript(() => null)
    const [c] = await readBack([A('home.example.com')], pushCtx(), { provider: 'duckdns', resolver: server() }, deps())
    expect(c?.kind).toBe('failed')
    if (c?.kind === 'failed') expect(c.error.message).toContain(`duckdns: read-back from resolver 127.0.0.1:${srv.port}`)
    expect(srv.queries).toHaveLength(1)
  })

  it('a wildcard record is asked by its literal name', async () => {
    srv.setScript((q) => (q.type === 'NS' ? world(q, {} as never) : { answers: [rr(q.name, 'A', '192.0.2.9')] }))
    const [c] = await readBack([A('*.example.com')], pushCtx(), { provider: 'namecheap' }, deps())
    expect(c).toMatchObject({ kind: 'present', values: ['192.0.2.9'] })
    expect(srv.queries.at(-1)?.name).toBe('*.example.com')
  })
})
