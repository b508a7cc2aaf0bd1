import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js'
import { Sandbox } from '../helpers/bundle.js'

// "A run never hangs past its deadline": every peer here answers slowly or never, and the run
// must still end by itself, with exit 1 and the record untouched. The limits are generous on
// purpose: this proves the run ends, not that it is fast.

describe('run deadline', () => {
  let box: Sandbox
  let cf: FakeCloudflare
  let silentDns: TestDnsServer
  beforeAll(async () => {
    box = new Sandbox()
    cf = await startCloudflare({
      token: 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345',
      zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: '198.51.100.1' }] }],
    })
    // A DNS server that receives every query and never answers.
    silentDns = await startDnsServer(() => null)
  })
  afterAll(async () => {
    await cf?.close()
    await silentDns?.close()
    box?.cleanup()
  })

  it('a provider that never answers is cut off by [timeouts] run, and the run ends with exit 1', async () => {
    cf.inject({ delayMs: 120_000, times: Infinity })
    const dns = await startDnsServer((q) => (q.name === 'myip.opendns.com' ? { answers: [{ name: q.name, type: 'A', class: 'IN', ttl: 0, data: '203.0.113.7' }] } : { rcode: 'NXDOMAIN' }))
    try {
      box.write(
        'slow.toml',
        `[timeouts]
http = 600
run = 2

[detect]
ipv4 = [{ dns = "127.0.0.1:${dns.port}", name = "myip.opendns.com", type = "A" }]
allow_documentation = true

[[domains]]
type = "cloudflare"
token = "cfT0ken_abcdefghijklmnopqrstuvwxyz-012345"
zone = "example.com"
records = ["home.example.com"]
base_url = "${cf.url}"
`,
      )
      const started = Date.now()
      const r = await box.run(['run', '-c', 'slow.toml'], { limitMs: 60_000 })
      expect(r.signal).toBeNull()
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/home\.example\.com A: failed: .*aborted \(run deadline reached\)/)
      expect(Date.now() - started).toBeLessThan(30_000)
      expect(cf.writes()).toHaveLength(0)
    } finally {
      await dns.close()
    }
  })

  it('a DNS source that never answers fails after its timeout and one retry; no write is sent (BC-12)', async () => {
    box.write(
      'silent.toml',
      `[timeouts]
dns = 0.5
dns_retries = 1

[detect]
ipv4 = [{ dns = "127.0.0.1:${silentDns.port}", name = "myip.opendns.com", type = "A" }]

[[domains]]
type = "cloudflare"
token = "cfT0ken_abcdefghijklmnopqrstuvwxyz-012345"
zone = "example.com"
records = ["home.example.com"]
base_url = "${cf.url}"
`,
    )
    const before = cf.requests.length
    const r = await box.run(['run', '-c', 'silent.toml'], { limitMs: 60_000 })
    expect(r.code).toBe(1)
    expect(silentDns.queries.length).toBe(2)
    expect(r.stderr).toContain('home.example.com A: skipped: no IPv4 address detected')
    expect(cf.requests.length).toBe(before)
  })
})
