import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DomainEntry } from '../../../../src/config/types.js'
import type { Ctx } from '../../../../src/context.js'
import { desec } from '../../../../src/providers/desec/index.js'
import { duckdns } from '../../../../src/providers/duckdns/index.js'
import { dyndns2 } from '../../../../src/providers/dyndns2/index.js'
import { dynu } from '../../../../src/providers/dynu/index.js'
import { he } from '../../../../src/providers/he/index.js'
import { namecheap } from '../../../../src/providers/namecheap/index.js'
import { noip } from '../../../../src/providers/noip/index.js'
import type { Family, ProviderDef, RecordRef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { startDnsServer, type TestDnsServer } from '../../../helpers/dns-server.js'
import {
  desecService,
  duckdnsService,
  dyndns2Service,
  namecheapService,
  RecordStore,
  startDyndnsServer,
  storeDnsScript,
  type FakeDyndns,
} from '../../../helpers/dyndns-server.js'
import { addresses } from '../../reconcile/support.js'
import { pushCtx } from '../dyndns2/support.js'

/**
 * The push-only providers through the real reconcile stage: read back by DNS from a server that
 * serves what the emulated services hold, plan, write only what differs; a second run sends
 * nothing (the record reads back equal).
 */

const store = new RecordStore()
const fakes: Record<string, FakeDyndns> = {}
let dns: TestDnsServer

const OLD4 = '192.0.2.1'
const OLD6 = '2001:db8::1'
const NEW = addresses({ 4: '192.0.2.10', 6: '2001:db8::10' })

beforeAll(async () => {
  for (const n of ['noip.example.com', 'example.com', 'sub.example.com', 'home.example.org', 'myhost.duckdns.org', 'home.example.dedyn.io', 'dyn.example.net']) store.add(n, [OLD4], [OLD6])
  store.add('example.net', [OLD4])
  dns = await startDnsServer(storeDnsScript(store))
  fakes.noip = await startDyndnsServer({ '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'u@example.org', password: 'noip-pass' }, hosts: ['noip.example.com'], ipv6: 'comma' }) })
  fakes.dynu = await startDyndnsServer({
    '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'dynuser', password: 'dynu-pass' }, hosts: ['example.com', 'sub.example.com'], ipv6: 'param', v6Param: 'myipv6', keep: 'no', alias: true }),
  })
  fakes.he = await startDyndnsServer({ '/nic/update': dyndns2Service({ store, auth: { kind: 'password-param', password: 'he-key' }, hosts: ['home.example.org'], ipv6: 'separate' }) })
  fakes.namecheap = await startDyndnsServer({ '/update': namecheapService({ store, domain: 'example.net', password: 'nc-pass', hosts: ['@'] }) })
  fakes.duckdns = await startDyndnsServer({ '/update': duckdnsService({ store, token: 'duck-token', domains: ['myhost'] }) })
  fakes.desec = await startDyndnsServer({ '/': desecService({ store, token: 'desec-token', hosts: ['home.example.dedyn.io'] }) })
  fakes.dyndns2 = await startDyndnsServer({ '/v3/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'dynuser', password: 'dyn-pass' }, hosts: ['dyn.example.net'], ipv6: 'comma' }) })
})
afterAll(async () => {
  await Promise.all([dns.close(), ...Object.values(fakes).map((f) => f.close())])
})

function entry(ctx: Ctx, index: number, def: ProviderDef, keys: Record<string, unknown>, families: Family[]): DomainEntry {
  const path = `domains[${index}]`
  const parsed = def.parse({ ...keys, resolver: `127.0.0.1:${dns.port}` }, path, { secret: (s) => ctx.redactor.add(s), warn: () => {} })
  const records: RecordRef[] = parsed.names.flatMap((fqdn) => families.map((f): RecordRef => ({ fqdn, type: f === 6 ? 'AAAA' : 'A', ...(parsed.zone ? { zone: parsed.zone } : {}) })))
  return { index, path, type: def.name, def, settings: parsed.settings, families, create: false, records, account: parsed.account }
}

function entries(ctx: Ctx): DomainEntry[] {
  return [
    entry(ctx, 0, noip as ProviderDef, { hostname: 'noip.example.com', username: 'u@example.org', password: 'noip-pass', base_url: fakes.noip?.url }, [4, 6]),
    entry(ctx, 1, dynu as ProviderDef, { hostname: 'example.com', username: 'dynuser', password: 'dynu-pass', records: ['@', 'sub'], base_url: fakes.dynu?.url }, [4, 6]),
    entry(ctx, 2, he as ProviderDef, { hostname: 'example.org', password: 'he-key', records: ['home'], base_url: fakes.he?.url }, [4, 6]),
    entry(ctx, 3, namecheap as ProviderDef, { domain: 'example.net', ddns_password: 'nc-pass', records: ['@'], base_url: fakes.namecheap?.url }, [4]),
    entry(ctx, 4, duckdns as ProviderDef, { token: 'duck-token', domains: 'myhost.duckdns.org', base_url: fakes.duckdns?.url }, [4, 6]),
    entry(ctx, 5, desec as ProviderDef, { token: 'desec-token', hostname: 'home.example.dedyn.io', base_url: fakes.desec?.url }, [4, 6]),
    entry(ctx, 6, dyndns2 as ProviderDef, { preset: 'dyn', server: fakes.dyndns2?.url, username: 'dynuser', password: 'dyn-pass', hostname: 'dyn.example.net' }, [4, 6]),
  ]
}

function requestCount(): number {
  return Object.values(fakes).reduce((n, f) => n + f.requests.length, 0)
}

describe('push-only providers through reconcile', () => {
  it('the first run fixes every stale record with as few requests as each service allows', async () => {
    const ctx = pushCtx({ level: 'info' })
    const results = await reconcile(entries(ctx), NEW, ctx, { dryRun: false })
    const statuses = results.map((r) => `${r.entry.type}: ${r.outcomes.map((o) => `${o.ref.fqdn} ${o.ref.type} ${o.status}`).join(', ')}`)
    expect(statuses).toEqual([
      'noip: noip.example.com A updated, noip.example.com AAAA updated',
      'dynu: example.com A updated, example.com AAAA updated, sub.example.com A updated, sub.example.com AAAA updated',
      'he: home.example.org A updated, home.example.org AAAA updated',
      'namecheap: example.net A updated',
      'duckdns: myhost.duckdns.org A updated, myhost.duckdns.org AAAA updated',
      'desec: home.example.dedyn.io A updated, home.example.dedyn.io AAAA updated',
      'dyndns2: dyn.example.net A updated, dyn.example.net AAAA updated',
    ])
    // BC-06: one request per host where the service takes both families; HE takes one per family.
    expect(Object.fromEntries(Object.entries(fakes).map(([k, f]) => [k, f.requests.length]))).toEqual({ noip: 1, dynu: 2, he: 2, namecheap: 1, duckdns: 1, desec: 1, dyndns2: 1 })
    expect(store.get('sub.example.com', 'AAAA')).toEqual(['2001:db8::10'])
    expect(store.get('example.net', 'A')).toEqual(['192.0.2.10'])
    expect(ctx.lines).toContain(`info: home.example.org A: updated ${OLD4} -> 192.0.2.10 (he)`)
  })

  it('a second run reads every record back equal and sends nothing', async () => {
    const before = requestCount()
    const ctx = pushCtx({ level: 'info' })
    const results = await reconcile(entries(ctx), NEW, ctx, { dryRun: false })
    expect(results.flatMap((r) => r.outcomes.map((o) => o.status)).every((s) => s === 'unchanged')).toBe(true)
    expect(requestCount()).toBe(before)
  })
})
