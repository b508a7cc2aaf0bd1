import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../../src/config/load.js'
import { alidns } from '../../../../src/providers/alidns/index.js'
import { dnspod } from '../../../../src/providers/dnspod/index.js'
import { route53 } from '../../../../src/providers/route53/index.js'
import type { ProviderDef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import { Redactor } from '../../../../src/report/redact.js'
import { startAlidns, type FakeAlidns } from '../../../helpers/alidns-server.js'
import { startDnspod, type FakeDnspod } from '../../../helpers/dnspod-server.js'
import { startRoute53, type FakeRoute53 } from '../../../helpers/route53-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'

/**
 * The three signed-API providers through the config stage as a user writes them: one templated
 * TOML with secrets from the environment (BC-28 characters, BC-29 escaping), then two runs against
 * the local fakes. The registry lines are the lead's to add; the table is passed in here.
 */
const PROVIDERS: Record<string, ProviderDef> = { route53: route53 as ProviderDef, alidns: alidns as ProviderDef, dnspod: dnspod as ProviderDef }
const ENV = {
  AWS_ID: 'AKIAEDGEDDNSEXAMPLE1',
  AWS_SECRET: 'wJalr"Xu\\t&#$%:+/K7MDENG',
  ALI_ID: 'LTAI5t&#$%:+ID',
  ALI_SECRET: 'ali"secret\\&#$%:+',
  TC_ID: 'AKIDz8&#$%:+ID',
  TC_KEY: 'tc"key\\&#$%:+ /=',
}

let closers: (() => Promise<void>)[] = []
afterEach(async () => {
  await Promise.all(closers.map((c) => c()))
  closers = []
})

function toml(r53: FakeRoute53, ali: FakeAlidns, tc: FakeDnspod, dnspodTtl = 600): string {
  return `
[[domains]]
type = "route53"
hosted_zone_id = "/hostedzone/ZEXAMPLE01"
zone = "example.com"
records = ["@", "home"]
access_key_id = "{{AWS_ID}}"
secret_access_key = "{{AWS_SECRET}}"
base_url = "${r53.url}"
ip_types = ["4", "6"]

[[domains]]
type = "alidns"
zone = "example.cn"
records = ["home"]
access_key_id = "{{ALI_ID}}"
access_key_secret = "{{ALI_SECRET}}"
base_url = "${ali.url}"
create = true
ttl = 600

[[domains]]
type = "dnspod"
zone = "example.net"
records = ["@"]
secret_id = "{{TC_ID}}"
secret_key = "{{TC_KEY}}"
base_url = "${tc.url}"
ttl = ${dnspodTtl}
`
}

async function fakes(): Promise<[FakeRoute53, FakeAlidns, FakeDnspod]> {
  const r53 = await startRoute53({
    accessKeyId: ENV.AWS_ID,
    secretAccessKey: ENV.AWS_SECRET,
    zones: {
      ZEXAMPLE01: [
        { name: 'example.com', type: 'A', ttl: 3600, values: ['192.0.2.1'] },
        { name: 'home.example.com', type: 'A', ttl: 60, values: ['192.0.2.1'] },
        { name: 'home.example.com', type: 'AAAA', ttl: 60, values: ['2001:db8::1'] },
      ],
    },
  })
  const ali = await startAlidns({ accessKeyId: ENV.ALI_ID, accessKeySecret: ENV.ALI_SECRET, domains: { 'example.cn': [] } })
  const tc = await startDnspod({ secretId: ENV.TC_ID, secretKey: ENV.TC_KEY, domains: { 'example.net': [{ Name: '@', Type: 'A', Value: '192.0.2.1', TTL: 120 }] } })
  closers.push(r53.close, ali.close, tc.close)
  return [r53, ali, tc]
}

describe('route53, alidns and dnspod through the config stage', () => {
  it('a templated config with BC-28 secrets fixes every record on the first run and writes nothing on the second', async () => {
    const [r53, ali, tc] = await fakes()
    const ctx = makeCtx({ level: 'debug' })
    const { config } = loadConfig({ path: '/etc/edge-ddns/test.toml', env: ENV, redactor: ctx.redactor, readFile: () => toml(r53, ali, tc), providers: PROVIDERS })
    expect(config.domains.map((d) => `${d.type} ${d.records.map((r) => `${r.fqdn}/${r.type}`).join(' ')}`)).toEqual([
      'route53 example.com/A example.com/AAAA home.example.com/A home.example.com/AAAA',
      'alidns home.example.cn/A',
      'dnspod example.net/A',
    ])
    const addr = addresses({ 4: '203.0.113.50', 6: '2001:db8::50' })
    const first = await reconcile(config.domains, addr, ctx, { dryRun: false })
    expect(first.map((e) => e.outcomes.map((o) => o.status))).toEqual([['updated', 'missing', 'updated', 'updated'], ['created'], ['updated']])
    expect(r53.rrsets('ZEXAMPLE01').map((s) => `${s.name} ${s.type} ${s.ttl} ${s.values?.join(',')}`)).toEqual([
      'example.com. A 3600 203.0.113.50',
      'home.example.com. A 60 203.0.113.50',
      'home.example.com. AAAA 60 2001:db8::50',
    ])
    expect(ali.records('example.cn')).toMatchObject([{ RR: 'home', Type: 'A', Value: '203.0.113.50', TTL: 600 }])
    expect(tc.records('example.net')).toMatchObject([{ Name: '@', Value: '203.0.113.50', TTL: 120 }])
    const writes = r53.writes().length + ali.writes().length + tc.writes().length
    const second = await reconcile(config.domains, addr, ctx, { dryRun: false })
    expect(second.map((e) => e.outcomes.map((o) => o.status))).toEqual([['unchanged', 'missing', 'unchanged', 'unchanged'], ['unchanged'], ['unchanged']])
    expect(r53.writes().length + ali.writes().length + tc.writes().length).toBe(writes)
    const text = ctx.lines.join('\n')
    for (const v of Object.values(ENV)) expect(text).not.toContain(v)
  })

  it('BC-09: a ttl outside the service\'s range is a config error before any request', async () => {
    const [r53, ali, tc] = await fakes()
    const redactor = new Redactor()
    expect(() => loadConfig({ path: '/x.toml', env: ENV, redactor, readFile: () => toml(r53, ali, tc, 700000), providers: PROVIDERS })).toThrow(/domains\[2\]\.ttl/)
    expect(r53.requests.length + ali.requests.length + tc.requests.length).toBe(0)
  })
})
