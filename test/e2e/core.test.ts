import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../helpers/dns-server.js'
import { runtimes, Sandbox } from '../helpers/bundle.js'

// The core issue's end-to-end proof: the bundle, copied alone into a temp dir, run as a child
// process with a templated dness.conf and an env file, against a local Cloudflare-like server and a
// local UDP DNS server answering myip.opendns.com.

const WAN = '203.0.113.7'
const STALE = '198.51.100.1'
// Shaped like a real API token (the fake, like Cloudflare, refuses other shapes); the unit tests
// of the renderer cover tokens with quotes, backslashes and `&<>` (BC-29).
const TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'

function dnessConf(dnsPort: number): string {
  return `# a dness.conf, plus the documented extensions that reach local stand-ins
ip_resolver = "opendns"

[log]
level = "Debug"

[detect]
ipv4 = [{ dns = "127.0.0.1:${dnsPort}", name = "myip.opendns.com", type = "A" }]
allow_documentation = true

[[domains]]
type = "cloudflare"
token = "{{CF_TOKEN}}"
zone = "example.com"
records = ["home.example.com"]
ip_types = ["4"]
base_url = "{{CF_BASE_URL}}"
`
}

function envFile(token: string, baseUrl: string): string {
  return `# secrets for edge-ddns\nCF_TOKEN='${token}'\nCF_BASE_URL=${baseUrl}\n`
}

async function world(): Promise<{ cf: FakeCloudflare; dns: TestDnsServer }> {
  const cf = await startCloudflare({
    token: TOKEN,
    zones: [
      {
        name: 'example.com',
        records: [
          { type: 'A', name: 'home.example.com', content: STALE, proxied: true, ttl: 120, comment: 'keep me' },
          { type: 'TXT', name: 'home.example.com', content: 'v=spf1 -all' },
          { type: 'A', name: 'www.example.com', content: STALE },
        ],
      },
    ],
  })
  const dns = await startMyIpServer({ v4: WAN })
  return { cf, dns }
}

describe.each(runtimes())('bundle under $name', (rt) => {
  if (!rt.bin) {
    it.skipIf(!process.env.CI)(`SKIPPED: ${rt.why}`, () => {})
    if (process.env.CI) it(`${rt.name} must be available under CI`, () => expect.fail(rt.why))
    return
  }
  const bin = rt.bin
  let box: Sandbox
  let cf: FakeCloudflare
  let dns: TestDnsServer
  beforeAll(async () => {
    box = new Sandbox()
    ;({ cf, dns } = await world())
    box.write('dness.conf', dnessConf(dns.port))
    box.write('edge-ddns.env', envFile(TOKEN, cf.url))
  })
  afterAll(async () => {
    await cf?.close()
    await dns?.close()
    box?.cleanup()
  })

  it('runs from a directory without node_modules', async () => {
    const r = await box.run(['--version'], { runtime: bin })
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('first run fixes the stale A record with one PATCH; second run writes nothing', async () => {
    const first = await box.run(['run', '-c', 'dness.conf', '-e', 'edge-ddns.env'], { runtime: bin })
    expect(first.stderr).not.toContain(TOKEN)
    expect(first.stdout).not.toContain(TOKEN)
    expect(first.code, first.stderr).toBe(0)
    const writes = cf.writes()
    expect(writes).toHaveLength(1)
    expect(writes[0]).toMatchObject({ method: 'PATCH', body: { content: WAN } })
    expect(writes[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`)
    const recs = cf.records('example.com')
    expect(recs.find((r) => r.name === 'home.example.com' && r.type === 'A')).toMatchObject({ content: WAN, proxied: true, ttl: 120, comment: 'keep me' })
    expect(recs.find((r) => r.name === 'www.example.com')?.content).toBe(STALE)
    expect(recs.find((r) => r.type === 'TXT')?.content).toBe('v=spf1 -all')
    expect(first.stderr).toContain(`info: home.example.com A: updated ${STALE} -> ${WAN} (cloudflare)`)
    expect(dns.queries.some((q) => q.name === 'myip.opendns.com' && q.type === 'A' && q.family === 4)).toBe(true)

    const second = await box.run(['run', '-c', 'dness.conf', '-e', 'edge-ddns.env', '--json'], { runtime: bin })
    expect(second.code, second.stderr).toBe(0)
    expect(cf.writes()).toHaveLength(1)
    const summary = JSON.parse(second.stdout) as { records: Array<{ status: string }>; counts: { unchanged: number } }
    expect(summary.records.map((r) => r.status)).toEqual(['unchanged'])
    expect(summary.counts.unchanged).toBe(1)
  })
})

describe('bundle failure paths', () => {
  let box: Sandbox
  let cf: FakeCloudflare
  let dns: TestDnsServer
  beforeAll(async () => {
    box = new Sandbox()
    ;({ cf, dns } = await world())
    box.write('dness.conf', dnessConf(dns.port))
  })
  afterAll(async () => {
    await cf?.close()
    await dns?.close()
    box?.cleanup()
  })
  afterEach(() => {
    cf.requests.length = 0
    dns.queries.length = 0
  })

  it('a wrong token gives exit 1 and a clean message without the token, even at debug level', async () => {
    const wrong = 'wr0ngT0ken_abcdefghijklmnopqrstuvwxyz-0123'
    box.write('bad.env', envFile(wrong, cf.url))
    const r = await box.run(['run', '-c', 'dness.conf', '-e', 'bad.env', '-l', 'debug'], { runtime: process.execPath })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/error: home\.example\.com A: failed: cloudflare: HTTP \d+ from 127\.0\.0\.1:\d+: .+/)
    for (const form of [wrong, encodeURIComponent(wrong)]) {
      expect(r.stderr).not.toContain(form)
      expect(r.stdout).not.toContain(form)
    }
    expect(cf.writes()).toHaveLength(0)
  })

  it.each([
    ['an unknown key', 'proxied = true\n', /domains\[0\]\.proxied: unknown key/],
    ['a TTL Cloudflare rejects (BC-09)', 'ttl = 5\n', /domains\[0\]\.ttl/],
    ['a missing variable', 'zone_id = "{{NOPE}}"\n', /NOPE/],
  ])('a bad config (%s) exits 78 before any request', async (_what, extra, message) => {
    box.write('broken.conf', `${dnessConf(dns.port)}${extra}`)
    box.write('ok.env', envFile(TOKEN, cf.url))
    const r = await box.run(['run', '-c', 'broken.conf', '-e', 'ok.env'], { runtime: process.execPath })
    expect(r.code).toBe(78)
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toContain(TOKEN)
    expect(cf.requests).toHaveLength(0)
    expect(dns.queries).toHaveLength(0)
  })

  it('check prints the rendered config with the token as ***', async () => {
    box.write('ok.env', envFile(TOKEN, cf.url))
    const r = await box.run(['check', '-c', 'dness.conf', '-e', 'ok.env'], { runtime: process.execPath })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('token = "***"')
    expect(r.stdout).not.toContain(TOKEN)
    expect(cf.requests).toHaveLength(0)
  })

  it('plan reads and prints the change, and sends no write', async () => {
    box.write('ok.env', envFile(TOKEN, cf.url))
    const r = await box.run(['plan', '-c', 'dness.conf', '-e', 'ok.env'], { runtime: process.execPath })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`update\\s+home\\.example\\.com\\s+A\\s+${STALE.replace(/\./g, '\\.')} -> ${WAN.replace(/\./g, '\\.')}`))
    expect(cf.requests.length).toBeGreaterThan(0)
    expect(cf.writes()).toHaveLength(0)
  })

  it('providers lists every provider type with its keys, without a config', async () => {
    const r = await box.run(['providers'], { runtime: process.execPath })
    expect(r.code, r.stderr).toBe(0)
    for (const t of ['cloudflare', 'rfc2136', 'godaddy', 'porkbun', 'namecheap', 'he', 'noip', 'dynu', 'dyndns2', 'duckdns', 'desec']) {
      expect(r.stdout).toMatch(new RegExp(`^${t}\\s`, 'm'))
    }
    expect(r.stdout).toMatch(/^namecheap\s+DNS\s+no\s+no\s+domain\*, ddns_password\*/m)
  })

  it('a usage error exits 2', async () => {
    const r = await box.run(['frobnicate'], { runtime: process.execPath })
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown command 'frobnicate'")
  })
})
