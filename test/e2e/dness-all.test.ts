import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startDnsServer, startMyIpServer, type TestDnsServer } from '../helpers/dns-server.js'
import { dyndns2Service, namecheapService, RecordStore, startDyndnsServer, storeDnsScript, type FakeDyndns } from '../helpers/dyndns-server.js'
import { startGoDaddy, type FakeGoDaddy } from '../helpers/godaddy-server.js'
import { startPorkbun, type FakePorkbun } from '../helpers/porkbun-server.js'
import { Sandbox } from '../helpers/bundle.js'

// Issue 3's proof: ONE dness.conf using all seven dness provider types, IPv4 and IPv6, run by the
// bundle against local stand-ins. Every record must end right, and a second run must write nothing.

const V4 = '203.0.113.7'
const V6 = '2001:db8:1:2::7'
const OLD4 = '198.51.100.1'
const OLD6 = '2001:db8:ffff::1'
const CF_TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'
// Credentials with the characters that broke other clients (BC-28).
const NOIP_PASS = 'Ab&c#d$e%f:g+h'

const store = new RecordStore()
let myip: TestDnsServer
let authDns: TestDnsServer
let cf: FakeCloudflare
let gd: FakeGoDaddy
let pb: FakePorkbun
const push: Record<string, FakeDyndns> = {}
let box: Sandbox

beforeAll(async () => {
  myip = await startMyIpServer({ v4: V4, v6: V6 })
  for (const n of ['noip.example.org', 'dynu.example.org', 'home.example.org']) store.add(n, [OLD4], [OLD6])
  store.add('example.net', [OLD4])
  authDns = await startDnsServer(storeDnsScript(store))
  push.noip = await startDyndnsServer({
    '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'me@example.org', password: NOIP_PASS }, hosts: ['noip.example.org'], ipv6: 'comma' }),
  })
  push.dynu = await startDyndnsServer({
    '/nic/update': dyndns2Service({ store, auth: { kind: 'basic', user: 'dynuser', password: 'dynu-pass' }, hosts: ['dynu.example.org'], ipv6: 'param', v6Param: 'myipv6', keep: 'no', alias: true }),
  })
  push.he = await startDyndnsServer({ '/nic/update': dyndns2Service({ store, auth: { kind: 'password-param', password: 'he-key' }, hosts: ['home.example.org'], ipv6: 'separate' }) })
  push.namecheap = await startDyndnsServer({ '/update': namecheapService({ store, domain: 'example.net', password: 'nc-pass', hosts: ['@'] }) })
  cf = await startCloudflare({
    token: CF_TOKEN,
    zones: [
      {
        name: 'example.com',
        records: [
          { type: 'A', name: 'cf.example.com', content: OLD4, proxied: true, ttl: 120 },
          { type: 'AAAA', name: 'cf.example.com', content: OLD6 },
          { type: 'TXT', name: 'cf.example.com', content: 'keep me' },
        ],
      },
    ],
  })
  gd = await startGoDaddy({
    key: 'gd-key',
    secret: 'gd-secret',
    domains: { 'example.info': [{ type: 'A', name: '@', data: OLD4, ttl: 1800 }, { type: 'AAAA', name: '@', data: OLD6, ttl: 1800 }, { type: 'A', name: 'www', data: OLD4 }] },
  })
  pb = await startPorkbun({
    key: 'pk1_key',
    secret: 'sk1_secret',
    domains: { 'example.biz': { records: [{ name: 'sub', type: 'A', content: OLD4, notes: 'mine' }, { name: 'sub', type: 'AAAA', content: OLD6 }] } },
  })
  box = new Sandbox()
  const resolver = `resolver = "127.0.0.1:${authDns.port}"`
  box.write(
    'dness.conf',
    `ip_resolver = "opendns"

[log]
level = "Info"

[detect]
ipv4 = [{ dns = "127.0.0.1:${myip.port}", name = "myip.opendns.com", type = "A" }]
ipv6 = [{ dns = "${myip.host6 ? `[${myip.host6}]` : '127.0.0.1'}:${myip.port}", name = "myip.opendns.com", type = "AAAA", family = 6 }]
allow_documentation = true

[[domains]]
type = "cloudflare"
token = "{{CF_TOKEN}}"
zone = "example.com"
records = ["cf.example.com"]
ip_types = ["4", "6"]
base_url = "${cf.url}"

[[domains]]
type = "godaddy"
domain = "example.info"
key = "{{GD_KEY}}"
secret = "{{GD_SECRET}}"
records = ["@"]
ip_types = ["4", "6"]
base_url = "${gd.url}"

[[domains]]
type = "porkbun"
domain = "example.biz"
key = "{{PB_KEY}}"
secret = "{{PB_SECRET}}"
records = ["sub"]
ip_types = ["4", "6"]
base_url = "${pb.url}"

[[domains]]
type = "namecheap"
domain = "example.net"
ddns_password = "{{NC_PASS}}"
records = ["@"]
base_url = "${push.namecheap.url}"
${resolver}

[[domains]]
type = "he"
hostname = "example.org"
password = "{{HE_KEY}}"
records = ["home"]
ip_types = ["4", "6"]
base_url = "${push.he.url}"
${resolver}

[[domains]]
type = "noip"
hostname = "noip.example.org"
username = "me@example.org"
password = "{{NOIP_PASS}}"
ip_types = ["4", "6"]
base_url = "${push.noip.url}"
${resolver}

[[domains]]
type = "dynu"
hostname = "example.org"
records = ["dynu"]
username = "dynuser"
password = "{{DYNU_PASS}}"
ip_types = ["4", "6"]
base_url = "${push.dynu.url}"
${resolver}
`,
  )
  box.write(
    'dness.env',
    [
      `CF_TOKEN=${CF_TOKEN}`,
      'GD_KEY=gd-key',
      'GD_SECRET=gd-secret',
      'PB_KEY=pk1_key',
      'PB_SECRET=sk1_secret',
      'NC_PASS=nc-pass',
      'HE_KEY=he-key',
      `NOIP_PASS='${NOIP_PASS}'`,
      'DYNU_PASS=dynu-pass',
      '',
    ].join('\n'),
  )
})

afterAll(async () => {
  await Promise.all([myip?.close(), authDns?.close(), cf?.close(), gd?.close(), pb?.close(), ...Object.values(push).map((p) => p.close())])
  box?.cleanup()
})

function writes(): number {
  return cf.writes().length + gd.writes().length + pb.writes().length + Object.values(push).reduce((n, p) => n + p.requests.length, 0)
}

describe('one dness.conf with all seven dness provider types', () => {
  it('the first run sets every record, IPv4 and IPv6, and touches nothing else', async () => {
    const r = await box.run(['run', '-c', 'dness.conf', '-e', 'dness.env', '--json'], { limitMs: 90_000 })
    expect(r.stderr).not.toContain(NOIP_PASS)
    expect(r.stderr).not.toContain(encodeURIComponent(NOIP_PASS))
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { records: Array<{ name: string; type: string; provider: string; status: string }> }
    expect(summary.records.map((x) => `${x.provider} ${x.name} ${x.type} ${x.status}`)).toEqual([
      'cloudflare cf.example.com A updated',
      'cloudflare cf.example.com AAAA updated',
      'godaddy example.info A updated',
      'godaddy example.info AAAA updated',
      'porkbun sub.example.biz A updated',
      'porkbun sub.example.biz AAAA updated',
      'namecheap example.net A updated',
      'he home.example.org A updated',
      'he home.example.org AAAA updated',
      'noip noip.example.org A updated',
      'noip noip.example.org AAAA updated',
      'dynu dynu.example.org A updated',
      'dynu dynu.example.org AAAA updated',
    ])
    // Cloudflare: values changed, proxied/TTL and the TXT left alone.
    const cfRecs = cf.records('example.com')
    expect(cfRecs.find((x) => x.type === 'A')).toMatchObject({ content: V4, proxied: true, ttl: 120 })
    expect(cfRecs.find((x) => x.type === 'AAAA')?.content).toBe(V6)
    expect(cfRecs.find((x) => x.type === 'TXT')?.content).toBe('keep me')
    // GoDaddy: apex set with its TTL kept, the sibling `www` untouched.
    const gdRecs = gd.records('example.info')
    expect(gdRecs.find((x) => x.type === 'A' && x.name === '@')).toMatchObject({ data: V4, ttl: 1800 })
    expect(gdRecs.find((x) => x.type === 'AAAA' && x.name === '@')?.data).toBe(V6)
    expect(gdRecs.find((x) => x.name === 'www')?.data).toBe(OLD4)
    // Porkbun: notes kept.
    const pbRecs = pb.records('example.biz')
    expect(pbRecs.find((x) => x.type === 'A')).toMatchObject({ content: V4, notes: 'mine' })
    expect(pbRecs.find((x) => x.type === 'AAAA')?.content).toBe(V6)
    // The push-only services, as their stand-ins now hold them.
    expect(store.get('example.net', 'A')).toEqual([V4])
    for (const n of ['home.example.org', 'noip.example.org', 'dynu.example.org']) {
      expect(store.get(n, 'A')).toEqual([V4])
      expect(store.get(n, 'AAAA')).toEqual([V6])
    }
    // BC-28: the No-IP password arrived byte for byte in the Basic header.
    const auth = push.noip?.requests[0]?.headers.authorization ?? ''
    expect(Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8')).toBe(`me@example.org:${NOIP_PASS}`)
  })

  it('a second run reads every record back equal and writes nothing', async () => {
    const before = writes()
    const r = await box.run(['run', '-c', 'dness.conf', '-e', 'dness.env', '--json'], { limitMs: 90_000 })
    expect(r.code, r.stderr).toBe(0)
    const summary = JSON.parse(r.stdout) as { records: Array<{ status: string }> }
    expect(summary.records).toHaveLength(13)
    expect(summary.records.every((x) => x.status === 'unchanged')).toBe(true)
    expect(writes()).toBe(before)
  })
})
