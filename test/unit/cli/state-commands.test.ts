import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main, type Io } from '../../../src/cli/app.js'
import { parseCliArgs } from '../../../src/cli/args.js'
import { DAEMON_STATE_DIR, OPENWRT_STATE_DIR, resolveStateDir } from '../../../src/cli/statedir.js'
import { UsageError } from '../../../src/errors.js'
import type { DaemonSignal, ProcessPort } from '../../../src/schedule/signals.js'
import { startCloudflare, type FakeCloudflare } from '../../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../../helpers/dns-server.js'
import { tempDir } from '../schedule/support.js'

// The CLI's state-aware commands, in process (main(io)) against local stand-ins.

const TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'
const WAN = '203.0.113.7'
const T0 = Date.UTC(2026, 2, 1)

describe('arguments', () => {
  it.each([
    [['daemon', '--state-dir', '/x'], { command: 'daemon', stateDir: '/x' }],
    [['run', '--force'], { command: 'run', force: true }],
    [['-f'], { command: 'run', force: true }],
    [['status', '-s', '/y', '--json'], { command: 'status', stateDir: '/y', json: true }],
    [['trigger'], { command: 'trigger', force: false }],
  ])('%j', (argv, want) => {
    expect(parseCliArgs(argv)).toMatchObject(want)
  })
  it.each([[['plan', '--force']], [['daemon', '--force']], [['run', '--state-dir', '']]])('rejects %j', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError)
  })
})

describe('state directory', () => {
  const none = () => false
  it.each([
    ['--state-dir wins', { stateDir: 'rel' }, { state: { dir: '/c' } }, { STATE_DIRECTORY: '/e' }, 'oneshot', { dir: join(process.cwd(), 'rel'), from: '--state-dir' }],
    ['then [state] dir', {}, { state: { dir: '/c', verifyEveryMs: 1, backoffMaxMs: 1 } }, { STATE_DIRECTORY: '/e' }, 'oneshot', { dir: '/c', from: '[state] dir' }],
    ['then $STATE_DIRECTORY (first of a list)', {}, {}, { STATE_DIRECTORY: '/e1:/e2' }, 'oneshot', { dir: '/e1', from: 'STATE_DIRECTORY' }],
    ['oneshot without any: no state (dness)', {}, {}, {}, 'oneshot', null],
    ['daemon default', {}, {}, {}, 'daemon', { dir: DAEMON_STATE_DIR, from: 'default' }],
  ] as const)('%s', (_n, args, extra, env, mode, want) => {
    expect(resolveStateDir(args, { extra }, env, mode, none)).toEqual(want)
  })
  it('OpenWrt keeps it in RAM', () => {
    expect(resolveStateDir({}, { extra: {} }, {}, 'daemon', (p) => p === '/etc/openwrt_release')?.dir).toBe(OPENWRT_STATE_DIR)
  })
})

describe('run, status, trigger and daemon through main()', () => {
  let cf: FakeCloudflare
  let dns: TestDnsServer
  let tmp: ReturnType<typeof tempDir>
  let now = T0
  let out = ''
  let err: string[] = []
  let cfgPath: string
  const kills: [number, NodeJS.Signals | 0][] = []
  const handlers = new Map<DaemonSignal, Set<() => void>>()
  const proc: ProcessPort = {
    pid: 31337,
    onSignal: (sig, cb) => {
      const set = handlers.get(sig) ?? new Set()
      set.add(cb)
      handlers.set(sig, set)
      return () => set.delete(cb)
    },
    kill: (pid, sig) => {
      kills.push([pid, sig])
      if (pid !== 4242) throw Object.assign(new Error('no such process'), { code: 'ESRCH' })
    },
    cmdline: (pid) => (pid === 4242 ? 'node /usr/bin/edge-ddns daemon' : null),
  }
  const raise = (sig: DaemonSignal): void => {
    for (const cb of handlers.get(sig) ?? []) cb()
  }
  const io = (argv: string[]): Io => ({
    argv,
    env: { CF_TOKEN: TOKEN, CF_BASE_URL: cf.url },
    stdout: (t) => (out += t),
    stderr: (l) => err.push(l),
    now: () => now,
    fileExists: (p) => existsSync(p),
    proc,
  })
  const cli = async (...argv: string[]): Promise<number> => {
    out = ''
    err = []
    return main(io(argv))
  }

  beforeAll(async () => {
    dns = await startMyIpServer({ v4: WAN })
  })
  afterAll(async () => {
    await dns?.close()
  })
  beforeEach(async () => {
    now = T0
    tmp = tempDir()
    cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: '198.51.100.1' }] }] })
    cfgPath = join(tmp.dir, 'edge-ddns.toml')
    writeFileSync(
      cfgPath,
      `[detect]\nipv4 = [{ dns = "127.0.0.1:${dns.port}", name = "myip.opendns.com", type = "A" }]\nallow_documentation = true\n\n[[domains]]\ntype = "cloudflare"\ntoken = "{{CF_TOKEN}}"\nzone = "example.com"\nrecords = ["home.example.com"]\nbase_url = "{{CF_BASE_URL}}"\n`,
    )
    kills.length = 0
    handlers.clear()
  })
  afterEach(async () => {
    await cf.close()
    tmp.cleanup()
  })
  const state = (): string => join(tmp.dir, 'state')

  it('BC-05: run with a state directory: the second run makes no provider call; without one, every run reads (dness)', async () => {
    expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(cf.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'PATCH'])
    now += 60_000
    expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(cf.requests).toHaveLength(3)
    expect(out).toMatch(/home\.example\.com\s+A\s+unchanged\s+203\.0\.113\.7/)
    expect(await cli('run', '-c', cfgPath)).toBe(0)
    expect(cf.requests).toHaveLength(5)
    expect(await cli('run', '-c', cfgPath, '--state-dir', state(), '--force')).toBe(0)
    expect(cf.requests).toHaveLength(7)
    expect(await cli('plan', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(cf.requests).toHaveLength(9)
  })

  it('BC-06: a oneshot run never sleeps on a 429: it records the hold, exits 1, and the next runs make no call before it ends', async () => {
    cf.inject({ method: 'GET', path: /dns_records$/, fixture: 'rate-limited' })
    expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
    const raw = JSON.parse(readFileSync(join(state(), 'state.json'), 'utf8')) as { holds: Record<string, { until: string }> }
    expect(Object.values(raw.holds).map((h) => h.until)).toEqual(['2026-03-01T00:01:00.000Z'])
    const n = cf.requests.length
    now = T0 + 30_000
    expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
    expect(err.join('\n')).toContain('home.example.com A: held: no call to cloudflare before 2026-03-01T00:01:00.000Z')
    expect(cf.requests).toHaveLength(n)
    now = T0 + 61_000
    expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(cf.requests.length).toBeGreaterThan(n)
  })

  it('status prints each record and the hold-offs; exit 1 when there is no state yet', async () => {
    expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(1)
    expect(out).toContain('state: none yet in')
    await cli('run', '-c', cfgPath, '--state-dir', state())
    now += 90_000
    expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(out).toContain('daemon: not running')
    expect(out).toContain('home.example.com A (cloudflare, zone example.com): 203.0.113.7')
    expect(out).toContain('  last change: 2026-03-01T00:00:00.000Z (1m30s ago)')
    expect(out).toContain('  last verify: 2026-03-01T00:00:00.000Z (1m30s ago)')
    expect(out).toContain('  last answer: updated 198.51.100.1 -> 203.0.113.7')
    expect(out).not.toContain(TOKEN)
    expect(await cli('status', '-c', cfgPath, '--state-dir', state(), '--json')).toBe(0)
    const j = JSON.parse(out) as { daemon: { running: boolean }; state: { records: Record<string, { value: string }> } }
    expect(j.daemon.running).toBe(false)
    expect(Object.values(j.state.records).map((r) => r.value)).toEqual([WAN])
  })

  it('status on a damaged state file says so and leaves it alone', async () => {
    await cli('run', '-c', cfgPath, '--state-dir', state())
    writeFileSync(join(state(), 'state.json'), '{"format": "edge-ddns-state", "ver')
    expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(1)
    expect(out).toContain(`state: ${join(state(), 'state.json')} is not valid JSON (the daemon or the next run sets it aside and starts afresh)`)
    expect(readFileSync(join(state(), 'state.json'), 'utf8')).toBe('{"format": "edge-ddns-state", "ver')
  })

  it('trigger sends SIGUSR1 to the pid in the pid file; missing or stale pid files are clear errors', async () => {
    expect(await cli('trigger', '-c', cfgPath, '--state-dir', state())).toBe(1)
    expect(err.join('\n')).toMatch(/trigger: no daemon: .*edge-ddns\.pid does not exist/)
    await cli('run', '-c', cfgPath, '--state-dir', state())
    writeFileSync(join(state(), 'edge-ddns.pid'), '4242\n')
    expect(await cli('trigger', '-c', cfgPath, '--state-dir', state())).toBe(0)
    expect(kills).toContainEqual([4242, 'SIGUSR1'])
    writeFileSync(join(state(), 'edge-ddns.pid'), '5151\n')
    expect(await cli('trigger', '-c', cfgPath, '--state-dir', state())).toBe(1)
    expect(err.join('\n')).toContain('stale pid file')
    expect(kills).not.toContainEqual([5151, 'SIGUSR1'])
  })

  it('daemon: handles signals from the start; SIGTERM ends it with 0 and removes its pid file', async () => {
    const running = cli('daemon', '-c', cfgPath, '--state-dir', state())
    for (let i = 0; i < 200 && !err.some((l) => l.includes('daemon: ready')); i++) await new Promise((r) => setTimeout(r, 20))
    expect(err.some((l) => l.includes('daemon: ready: first cycle done'))).toBe(true)
    expect(readFileSync(join(state(), 'edge-ddns.pid'), 'utf8')).toBe('31337\n')
    raise('SIGUSR1')
    for (let i = 0; i < 200 && !err.some((l) => l.includes('cycle done (SIGUSR1)')); i++) await new Promise((r) => setTimeout(r, 20))
    raise('SIGTERM')
    expect(await running).toBe(0)
    expect(existsSync(join(state(), 'edge-ddns.pid'))).toBe(false)
    expect([...handlers.values()].every((s) => s.size === 0)).toBe(true)
  })

  it('daemon: a bad config at start exits 78 before any network call', async () => {
    writeFileSync(cfgPath, `${readFileSync(cfgPath, 'utf8')}\n[daemon]\ninterval = -5\n`)
    expect(await cli('daemon', '-c', cfgPath, '--state-dir', state())).toBe(78)
    expect(err.join('\n')).toContain('daemon.interval')
    expect(cf.requests).toHaveLength(0)
    expect(existsSync(state())).toBe(false)
  })
})
