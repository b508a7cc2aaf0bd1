import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main, type Io } from '../../../src/cli/app.js'
import { rr, startDnsServer, type TestDnsServer } from '../../helpers/dns-server.js'
import { tempDir } from '../schedule/support.js'

// `edge-ddns detect` in process (main(io)) against a local DNS server. Every source below is a
// custom DNS source on the same server, so all of them carry the same label
// (`dns:127.0.0.1:<port>`): only the position in the list tells them apart.

describe('edge-ddns detect marks the source a run uses by its position, not its label', () => {
  let dns: TestDnsServer
  const tmp = tempDir('edge-ddns-detect-')
  beforeAll(async () => {
    // Each name answers as its first label says: `a1` and `a2` give the same address, `other`
    // another one, `nx` nothing.
    dns = await startDnsServer((q) => {
      const first = q.name.toLowerCase().split('.')[0]
      if (q.type !== 'A' || first === 'nx') return { rcode: 'NXDOMAIN' }
      return { answers: [rr(q.name, 'A', first === 'other' ? '198.51.100.2' : '192.0.2.10')] }
    })
  })
  afterAll(async () => {
    await dns.close()
    tmp.cleanup()
  })

  /** Runs `edge-ddns detect [--json]` with these names as IPv4 sources (IPv6 off). */
  async function detect(names: string[], json = false): Promise<{ code: number; out: string; err: string[] }> {
    const path = join(tmp.dir, 'edge-ddns.toml')
    const list = names.map((n) => `{ dns = "127.0.0.1:${dns.port}", name = "${n}", type = "A" }`).join(', ')
    writeFileSync(path, `[detect]\nipv4 = [${list}]\nipv6 = []\nallow_documentation = true\n`)
    let out = ''
    const err: string[] = []
    const io: Io = {
      argv: ['detect', '-c', path, ...(json ? ['--json'] : [])],
      env: {},
      stdout: (t) => (out += t),
      stderr: (l) => err.push(l),
      now: () => Date.UTC(2026, 2, 1),
      fileExists: (p) => existsSync(p),
    }
    const code = await main(io)
    return { code, out, err }
  }

  const ipv4Lines = (out: string): string[] => out.split('\n').filter((l) => l.slice(2).startsWith('ipv4'))
  const label = (): string => `dns:127.0.0.1:${dns.port}`

  it('a family turned off (ipv6 = []) is shown as such and not warned about', async () => {
    const { out, err } = await detect(['a1.example'])
    expect(out).toContain('  ipv6  (no source configured)')
    expect(err.join('\n')).not.toMatch(/IPv6/)
  })

  it('two sources with the same label and the same answer: only the first is marked', async () => {
    const { code, out } = await detect(['a1.example', 'a2.example'])
    expect(code).toBe(0)
    const lines = ipv4Lines(out)
    expect(lines).toHaveLength(2)
    expect(lines.map((l) => l[0])).toEqual(['*', ' '])
    expect(lines.every((l) => l.includes(label()) && l.endsWith('192.0.2.10'))).toBe(true)
  })

  it('the first of two same-label sources fails: the second, which gave the address, is marked', async () => {
    const { out } = await detect(['nx.example', 'a1.example', 'a2.example'])
    expect(ipv4Lines(out).map((l) => l[0])).toEqual([' ', '*', ' '])
  })

  it('a later same-label source with another answer is not marked', async () => {
    const { out } = await detect(['a1.example', 'other.example', 'a2.example'])
    const lines = ipv4Lines(out)
    expect(lines.map((l) => l[0])).toEqual(['*', ' ', ' '])
    expect(lines[1]).toMatch(/198\.51\.100\.2$/)
  })

  it('--json: exactly the chosen attempt carries used: true', async () => {
    const { code, out } = await detect(['nx.example', 'a1.example', 'a2.example'], true)
    expect(code).toBe(0)
    const parsed = JSON.parse(out) as { family: number; address: string | null; source: string | null; attempts: { source: string; address?: string; used?: boolean }[] }[]
    const v4 = parsed.find((f) => f.family === 4)!
    expect(v4.address).toBe('192.0.2.10')
    expect(v4.source).toBe(label())
    expect(v4.attempts.map((a) => [a.source, a.address, a.used])).toEqual([
      [label(), undefined, undefined],
      [label(), '192.0.2.10', true],
      [label(), '192.0.2.10', undefined],
    ])
  })
})
