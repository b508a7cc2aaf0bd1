import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../../../src/cli/app.js'

// BC-30: a router without a real-time clock boots in 1970. Until NTP has set the clock, a run
// defers (exit 75) before any network call instead of failing TLS or TSIG in confusing ways.
describe('clock sanity', () => {
  it('BC-30: a clock in 1970 defers the run with exit 75 and sends nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-clock-'))
    const conf = join(dir, 'c.toml')
    // Port 9 (discard) on loopback: any request would fail loudly, but none may be made.
    writeFileSync(
      conf,
      `[detect]\nipv4 = [{ dns = "127.0.0.1:9", name = "myip.opendns.com", type = "A" }]\n\n[[domains]]\ntype = "cloudflare"\ntoken = "t0ken-abc"\nzone = "example.com"\nrecords = ["home.example.com"]\nbase_url = "http://127.0.0.1:9/client/v4"\n`,
    )
    const err: string[] = []
    const out: string[] = []
    const code = await main({
      argv: ['run', '-c', conf],
      env: {},
      stdout: (t) => out.push(t),
      stderr: (l) => err.push(l),
      now: () => Date.parse('1970-01-01T00:00:42Z'),
      fileExists: (p) => existsSync(p),
    })
    expect(code).toBe(75)
    expect(err.join('\n')).toContain('clock not synchronised yet (1970-01-01T00:00:42.000Z is before this build); deferring, nothing sent')
    expect(err.join('\n')).not.toMatch(/IPv4|cloudflare/)
    expect(out).toEqual([])
  })
})
