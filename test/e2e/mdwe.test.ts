import { spawn } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLE, ROOT, runtimes } from '../helpers/bundle.js'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../helpers/dns-server.js'
import { buildMdweWrapper } from '../helpers/mdwe.js'

// The systemd units set MemoryDenyWriteExecute=yes, under which V8's JIT cannot work. This runs
// the bundle's whole oneshot (detect over DNS, read the zone, PATCH the record) against local
// servers under a wrapper that applies the same kernel rule with prctl(PR_SET_MDWE), the way the
// units start it: node --jitless, the /usr/bin/edge-ddns launcher with NODE_OPTIONS=--jitless, and
// Bun. It also shows that the wrapper bites: without --jitless, node dies under it.

const TOKEN = 'mdwe-test-token-0123456789'
const OLD = '192.0.2.1'
const NEW = '198.51.100.7'

const wrapper = buildMdweWrapper()
if (!wrapper.ok) {
  if (process.env.CI && wrapper.kernelShouldSupport) {
    it('the MDWE wrapper works on this kernel (required under CI on Linux >= 6.3)', () => {
      expect.fail(wrapper.reason)
    })
  } else {
    console.warn(`\n*** SKIPPED test/e2e/mdwe.test.ts: ${wrapper.reason}. Node under MemoryDenyWriteExecute is NOT tested here; npm run test:sandbox tests it under systemd. ***\n`)
  }
}

interface Result {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `argv` under the MDWE wrapper with a clean environment; kills it after a generous limit. */
function underMdwe(mdwe: string, argv: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(mdwe, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

describe.runIf(wrapper.ok)(`the oneshot under PR_SET_MDWE (Linux ${release()})`, () => {
  const mdwe = wrapper.ok ? wrapper.path : ''
  let dir = ''
  let dns: TestDnsServer
  let cf: FakeCloudflare | undefined
  let launcher = ''
  let binDir = ''

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`)
    dir = mkdtempSync(join(tmpdir(), 'edge-ddns-mdwe-e2e-'))
    // The package's layout: the launcher finds the bundle in ../lib/edge-ddns/.
    launcher = join(dir, 'usr', 'bin', 'edge-ddns')
    mkdirSync(join(dir, 'usr', 'bin'), { recursive: true })
    mkdirSync(join(dir, 'usr', 'lib', 'edge-ddns'), { recursive: true })
    copyFileSync(join(ROOT, 'build', 'deb', 'edge-ddns.sh'), launcher)
    chmodSync(launcher, 0o755)
    copyFileSync(BUNDLE, join(dir, 'usr', 'lib', 'edge-ddns', 'edge-ddns.mjs'))
    binDir = join(dir, 'runtime-bin')
    mkdirSync(binDir)
    symlinkSync(process.execPath, join(binDir, 'node'))
    dns = await startMyIpServer({ v4: NEW })
  })

  afterAll(async () => {
    await cf?.close()
    await dns?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    if (wrapper.ok) wrapper.cleanup()
  })

  /** A fresh fake Cloudflare holding home.example.com A OLD, and a config pointing at it. */
  async function freshWorld(): Promise<{ config: string; envFile: string }> {
    await cf?.close()
    cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home', content: OLD }] }] })
    const config = join(dir, 'edge-ddns.toml')
    writeFileSync(
      config,
      [
        '[detect]',
        `ipv4 = [{ dns = "127.0.0.1:${dns.port}", name = "myip.opendns.com", type = "A" }]`,
        'allow_documentation = true',
        '',
        '[[domains]]',
        'type = "cloudflare"',
        'token = "{{CF_TOKEN}}"',
        'zone = "example.com"',
        'records = ["home.example.com"]',
        `base_url = "${cf.url}"`,
        '',
      ].join('\n'),
    )
    const envFile = join(dir, 'edge-ddns.env')
    writeFileSync(envFile, `CF_TOKEN=${TOKEN}\n`, { mode: 0o600 })
    return { config, envFile }
  }

  const baseEnv = () => ({ PATH: `${binDir}:/usr/bin:/bin`, HOME: dir })
  const recordNow = () => cf!.records('example.com').find((r) => r.type === 'A')?.content

  interface Case {
    name: string
    argv: (config: string, envFile: string) => string[]
    env?: Record<string, string>
  }
  const run = (bin: string, flags: string[]) => (c: string, e: string) => [bin, ...flags, BUNDLE, 'run', '-c', c, '-e', e, '--json']
  const clean: Case[] = [
    { name: `node ${process.version} --jitless`, argv: run(process.execPath, ['--jitless']) },
    {
      name: 'the launcher with NODE_OPTIONS=--jitless (as the systemd units start it)',
      argv: (c, e) => [launcher, 'run', '-c', c, '-e', e, '--json'],
      env: { NODE_OPTIONS: '--jitless' },
    },
  ]
  for (const r of runtimes().filter((x) => x.bin !== process.execPath)) {
    if (r.bin === null) console.warn(`*** SKIPPED ${r.name} under MDWE: ${r.why} ***`)
    else if (r.name.startsWith('bun')) clean.push({ name: `${r.name} (falls back to its interpreter by itself)`, argv: run(r.bin, []) })
    else clean.push({ name: `${r.name} --jitless`, argv: run(r.bin, ['--jitless']) })
  }

  it.each(clean)('$name: the whole oneshot runs clean and fixes the record', async ({ argv, env }) => {
    const { config, envFile } = await freshWorld()
    const args = argv(config, envFile)
    const r = await underMdwe(mdwe, args, { ...baseEnv(), ...env })
    expect(r.signal, r.stderr).toBeNull()
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, exitCode: 0, records: [{ name: 'home.example.com', type: 'A', status: 'updated', value: NEW }] })
    expect(r.stderr).toContain(`home.example.com A: updated ${OLD} -> ${NEW}`)
    // node 20 under --jitless warns about --expose_wasm unless the launcher silences it.
    if (args[0] === launcher) expect(r.stderr).not.toContain('expose_wasm')
    expect(cf!.writes().map((w) => w.method)).toEqual(['PATCH'])
    expect(recordNow()).toBe(NEW)
  })

  it.each([
    { name: `node ${process.version} without --jitless`, argv: (c: string, e: string) => [process.execPath, BUNDLE, 'run', '-c', c, '-e', e] },
    { name: 'the launcher without NODE_OPTIONS (MDWE is inherited through sh)', argv: (c: string, e: string) => [launcher, 'run', '-c', c, '-e', e] },
  ])('the wrapper bites: $name dies and writes nothing', async ({ argv }) => {
    const { config, envFile } = await freshWorld()
    const r = await underMdwe(mdwe, argv(config, envFile), baseEnv())
    // V8 aborts with a fatal error (SIGTRAP) when it cannot make its code pages executable.
    expect(r.signal ?? `exit ${r.code}`).not.toBe('exit 0')
    expect(r.stderr).toMatch(/Fatal error|SetPermissions|Check failed/)
    expect(cf!.writes()).toEqual([])
    expect(recordNow()).toBe(OLD)
  })
})
