import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FILES, ROOT } from './router.js'

const BUNDLE = join(ROOT, 'dist', 'edge-ddns.mjs')

/** Options of `config edge-ddns 'main'` in the UCI sample: name → values (comments skipped). */
function uciOptions(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  let inMain = false
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line.startsWith('#') || line === '') continue
    const section = /^config (\S+) '?([^']*)'?$/.exec(line)
    if (section) {
      inMain = section[1] === 'edge-ddns' && section[2] === 'main'
      continue
    }
    const opt = /^(option|list) (\w+) '([^']*)'$/.exec(line)
    if (!opt) throw new Error(`unreadable UCI line: ${line}`)
    if (inMain) out.set(opt[2]!, [...(out.get(opt[2]!) ?? []), opt[3]!])
  }
  return out
}

describe('openwrt/files samples', () => {
  it('UCI: section main with enabled 0 (start only once configured), paths, runtime auto, jail on, wan and wan6', () => {
    const opts = uciOptions(readFileSync(join(FILES, 'edge-ddns.config'), 'utf8'))
    expect(Object.fromEntries(opts)).toEqual({
      enabled: ['0'],
      config: ['/etc/edge-ddns/edge-ddns.toml'],
      env_file: ['/etc/edge-ddns/edge-ddns.env'],
      runtime: ['auto'],
      jail: ['1'],
      interface: ['wan', 'wan6'],
    })
    // log_level is documented but unset, so that the TOML's [log] level decides.
    expect(readFileSync(join(FILES, 'edge-ddns.config'), 'utf8')).toMatch(/^\s*#option log_level 'info'$/m)
  })

  it('capabilities: every set empty, so ujail drops all of them', () => {
    const caps = JSON.parse(readFileSync(join(FILES, 'edge-ddns.capabilities'), 'utf8'))
    expect(caps).toEqual({ bounding: [], effective: [], inheritable: [], permitted: [], ambient: [] })
  })

  it('ubus ACL: the edge-ddns user may call status on network.interface.* and nothing else', () => {
    const acl = JSON.parse(readFileSync(join(FILES, 'edge-ddns.acl'), 'utf8'))
    expect(acl).toEqual({ user: 'edge-ddns', access: { 'network.interface.*': { methods: ['status'] } } })
  })

  it('the env sample holds a placeholder token, never a real-looking secret', () => {
    const env = readFileSync(join(FILES, 'edge-ddns.env'), 'utf8')
    expect(env.split('\n').filter((l) => l !== '' && !l.startsWith('#'))).toEqual(['CF_TOKEN=replace-with-your-cloudflare-api-token'])
  })

  // The bundle exists after `npm run build` (npm test builds it before vitest runs).
  it.skipIf(!existsSync(BUNDLE) && !process.env.CI)('the TOML sample with the env sample passes `edge-ddns check`, token shown as ***', () => {
    const r = spawnSync(process.execPath, [BUNDLE, 'check', '-c', join(FILES, 'edge-ddns.toml'), '-e', join(FILES, 'edge-ddns.env')], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      timeout: 30_000,
    })
    expect(r.stderr).not.toMatch(/error/i)
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('token = "***"')
    expect(r.stdout).not.toContain('replace-with-your-cloudflare-api-token')
    expect(r.stdout).toContain('ipv4 = ["netifd:wan", "opendns", "ipify"]')
  })
})
