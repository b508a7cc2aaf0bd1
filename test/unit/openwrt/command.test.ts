import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeRouter, ROOT } from './router.js'

const BUNDLE = join(ROOT, 'dist', 'edge-ddns.mjs')
const LIMIT_MS = 20_000

const routers: FakeRouter[] = []
afterEach(() => {
  for (const r of routers.splice(0)) r.cleanup()
})

// A config that makes no network call: the only address source is the loopback interface, whose
// address is refused as special, so every record is skipped and no provider is asked.
const OFFLINE_TOML = `[detect]
ipv4 = ["interface:lo"]
ipv6 = ["interface:lo"]

[[domains]]
type = "cloudflare"
token = "{{CF_TOKEN}}"
zone = "example.com"
records = ["home.example.com"]
ip_types = ["4"]
base_url = "http://127.0.0.1:9/client/v4"
`

async function waitFor(cond: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs
  while (!cond() && Date.now() < end) await sleep(50)
}

// npm test builds the bundle before vitest runs; a missing bundle there means that build failed.
describe.skipIf(!existsSync(BUNDLE) && !process.env.CI)('the command line the init script declares, run for real', () => {
  it('the daemon accepts it: starts, takes SIGUSR1 and SIGHUP without dying or opening an inspector, stops on SIGTERM with 0', async () => {
    const r = new FakeRouter({ uci: { runtime: process.execPath, jail: '0' } })
    routers.push(r)
    writeFileSync(r.config, OFFLINE_TOML)
    const { calls } = r.init({ name: 'sh', argv: ['/bin/sh'] }, ['start_service'])
    const command = calls.find((x) => x.name === 'procd_set_param' && x.args[0] === 'command')?.args.slice(1)
    expect(command?.slice(0, 7)).toEqual([
      process.execPath,
      '--max-old-space-size=32',
      '--max-semi-space-size=1',
      '--jitless',
      '--no-expose-wasm',
      '/usr/lib/edge-ddns/edge-ddns.mjs',
      'daemon',
    ])
    // The router's paths, moved here: the bundle from dist/, the state dir into the test's dir.
    const state = join(r.dir, 'state')
    mkdirSync(state, { mode: 0o700 })
    const argv = command!.map((a) => (a === '/usr/lib/edge-ddns/edge-ddns.mjs' ? BUNDLE : a === '/tmp/edge-ddns' ? state : a))
    const child = spawn(argv[0]!, argv.slice(1), { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => (out += b.toString()))
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
    try {
      await waitFor(() => /ready/.test(out), LIMIT_MS)
      expect(out).toMatch(/daemon: ready/)
      child.kill('SIGUSR1')
      await waitFor(() => /SIGUSR1/.test(out), LIMIT_MS)
      child.kill('SIGHUP')
      await waitFor(() => /SIGHUP/.test(out), LIMIT_MS)
      expect(child.exitCode).toBeNull()
      expect(out).not.toMatch(/Debugger listening|inspector/i)
      expect(out).not.toMatch(/expose_wasm/)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
