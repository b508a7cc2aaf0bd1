import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config/load.js'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'

// Findings of the adversarial review, kept as tests.
function load(text: string) {
  return loadConfig({ path: '/x/c.toml', env: {}, redactor: new Redactor(), readFile: () => text })
}
const CF = '[[domains]]\ntype = "cloudflare"\ntoken = "t0ken-abc"\nzone = "example.com"\nrecords = ["home.example.com"]\n'

describe('config review fixes', () => {
  it('a family an entry manages but [detect] turns off is a config error (exit 78), not a run that always fails', () => {
    let e: unknown
    try {
      load(`[detect]\nipv6 = []\n\n${CF}ip_types = ["4", "6"]\n`)
    } catch (x) {
      e = x
    }
    expect(e).toBeInstanceOf(ConfigError)
    expect((e as ConfigError).message).toContain('domains[0].ip_types: manages AAAA records, but [detect] ipv6 = [] turns IPv6 detection off')
  })
  it('ipv6 = [] is fine when no entry manages AAAA', () => {
    expect(load(`[detect]\nipv6 = []\n\n${CF}`).config.domains).toHaveLength(1)
  })
  it('50 000 records load in linear time (duplicates found with a set)', () => {
    const names = Array.from({ length: 50_000 }, (_, i) => `"h${i}.example.com"`).join(', ')
    const { config, warnings } = load(`[[domains]]\ntype = "cloudflare"\ntoken = "t0ken-abc"\nzone = "example.com"\nrecords = [${names}, "h1.example.com"]\n`)
    expect(config.domains[0]!.records).toHaveLength(50_000)
    expect(warnings).toEqual(['domains[0].records[50000]: h1.example.com is listed twice; it is handled once'])
  })
})

describe('config files that would hang or exhaust memory', () => {
  it.each([
    ['a device as the config', '/dev/zero', /cannot read config file \/dev\/zero \(ENOTREG\)/],
    ['a directory as the config', '/tmp', /cannot read config file \/tmp \(EISDIR\)/],
  ])('%s is refused by type, not read', (_what, path, message) => {
    expect(() => loadConfig({ path, env: {}, redactor: new Redactor() })).toThrow(message)
  })
  it('{{file}} on a device is refused by type, not read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-cfg-'))
    const conf = join(dir, 'c.toml')
    writeFileSync(conf, 'x = "{{file "/dev/zero"}}"\n')
    expect(() => loadConfig({ path: conf, env: {}, redactor: new Redactor() })).toThrow(ConfigError)
  })
})

describe('unknown keys in a [[domains]] entry', () => {
  it('the accepted list names the common keys too (found by the fresh-user trial)', () => {
    let e: unknown
    try {
      load(`${CF}zonee = 1\n`)
    } catch (x) {
      e = x
    }
    expect((e as Error).message).toBe('domains[0].zonee: unknown key (accepted here: base_url, create, email, ip_types, key, records, token, ttl, type, zone)')
  })
  it('a provider without a TTL does not offer ttl in the unknown-key list (found by the fresh-user trial)', () => {
    const text = '[[domains]]\ntype = "dyndns2"\nserver = "127.0.0.1:8080"\nusername = "u"\npassword = "secret-pass"\nhostname = "home.example.com"\nusernme = "x"\n'
    let msg = ''
    try {
      load(text)
    } catch (x) {
      msg = (x as Error).message
    }
    expect(msg).toMatch(/^domains\[0\]\.usernme: unknown key \(accepted here: /)
    expect(msg).toContain('ip_types')
    expect(msg).not.toMatch(/\bttl\b/)
  })
})
