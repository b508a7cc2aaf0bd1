import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main, type Io } from '../../../src/cli/app.js'
import { PID_FILE, RUN_LOCK_FILE } from '../../../src/schedule/locks.js'
import type { DaemonSignal, ProcessPort } from '../../../src/schedule/signals.js'
import { STATE_FILE } from '../../../src/schedule/state.js'
import { startCloudflare, type FakeCloudflare } from '../../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../../helpers/dns-server.js'
import { tempDir } from '../schedule/support.js'

// `run` and `status` through main(io) against local stand-ins: the lock between a oneshot run and
// the daemon (real files, a process table standing in for /proc), and what status says about a
// record's last change and a record the provider does not have.

const TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'
const WAN = '203.0.113.7'
const T0 = Date.UTC(2026, 2, 1)
/** In the process table below: a live edge-ddns. Any other pid is gone. */
const LIVE = 4242
const DEAD = 5151

describe('run and status through main()', () => {
  let cf: FakeCloudflare
  let dns: TestDnsServer
  let tmp: ReturnType<typeof tempDir>
  let now = T0
  let out = ''
  let err: string[] = []
  let cfgPath: string
  const handlers = new Map<DaemonSignal, Set<() => void>>()
  const proc: ProcessPort = {
    pid: 31337,
    onSignal: (sig, cb) => {
      const set = handlers.get(sig) ?? new Set()
      set.add(cb)
      handlers.set(sig, set)
      return () => set.delete(cb)
    },
    kill: (pid) => {
      if (pid !== LIVE && pid !== 31337) throw Object.assign(new Error('no such process'), { code: 'ESRCH' })
    },
    cmdline: (pid) => (pid === LIVE || pid === 31337 ? 'node /usr/bin/edge-ddns' : null),
  }
  /** Called as a command prints its result (a run still holds its lock then). */
  let peek: (() => void) | undefined
  const cli = async (...argv: string[]): Promise<number> => {
    out = ''
    err = []
    const io: Io = {
      argv,
      env: { CF_TOKEN: TOKEN, CF_BASE_URL: cf.url },
      stdout: (t) => {
        peek?.()
        out += t
      },
      stderr: (l) => err.push(l),
      now: () => now,
      fileExists: (p) => existsSync(p),
      proc,
    }
    return main(io)
  }
  const state = (): string => join(tmp.dir, 'state')
  /** Starts the Cloudflare stand-in holding `records` and writes a config managing home.example.com. */
  async function config(records: { name: string; content: string }[]): Promise<void> {
    cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: records.map((r) => ({ type: 'A', ...r })) }] })
    writeFileSync(
      cfgPath,
      `[detect]\nipv4 = [{ dns = "127.0.0.1:${dns.port}", name = "myip.opendns.com", type = "A" }]\nallow_documentation = true\n\n[[domains]]\ntype = "cloudflare"\ntoken = "{{CF_TOKEN}}"\nzone = "example.com"\nrecords = ["home.example.com"]\nbase_url = "{{CF_BASE_URL}}"\n`,
    )
  }

  beforeAll(async () => {
    dns = await startMyIpServer({ v4: WAN })
  })
  afterAll(async () => {
    await dns?.close()
  })
  beforeEach(() => {
    now = T0
    tmp = tempDir()
    cfgPath = join(tmp.dir, 'edge-ddns.toml')
    handlers.clear()
  })
  afterEach(async () => {
    await cf?.close()
    tmp.cleanup()
  })

  describe('a oneshot run and the daemon keep each other off one state directory', () => {
    beforeEach(async () => {
      await config([{ name: 'home.example.com', content: '198.51.100.1' }])
      mkdirSync(state(), { mode: 0o700 })
    })

    it('run refuses while a live daemon holds it: exit 1, names the directory and the pid, sends nothing', async () => {
      writeFileSync(join(state(), PID_FILE), `${LIVE}\n`)
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
      expect(err.join('\n')).toContain(`error: run: the edge-ddns daemon (pid ${LIVE}) holds the state directory ${state()}; not running alongside it`)
      expect(out).toBe('')
      expect(cf.requests).toHaveLength(0)
      expect(existsSync(join(state(), STATE_FILE))).toBe(false)
      expect(existsSync(join(state(), RUN_LOCK_FILE))).toBe(false)
      expect(readFileSync(join(state(), PID_FILE), 'utf8')).toBe(`${LIVE}\n`)
    })

    it('a stale pid file (its process is gone) does not block a run, which gives its lock back at the end', async () => {
      writeFileSync(join(state(), PID_FILE), `${DEAD}\n`)
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(cf.writes()).toHaveLength(1)
      expect(existsSync(join(state(), RUN_LOCK_FILE))).toBe(false)
    })

    it('run refuses while another run holds the lock; a stale lock is taken over', async () => {
      writeFileSync(join(state(), RUN_LOCK_FILE), `${LIVE}\n`)
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
      expect(err.join('\n')).toContain(`run: another edge-ddns run (pid ${LIVE}) holds the state directory ${state()}`)
      expect(cf.requests).toHaveLength(0)
      writeFileSync(join(state(), RUN_LOCK_FILE), `${DEAD}\n`)
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(existsSync(join(state(), RUN_LOCK_FILE))).toBe(false)
    })

    it('an empty run lock (a crash between its create and its write) is replaced, not a lock-out with "pid NaN"', async () => {
      const lock = join(state(), RUN_LOCK_FILE)
      writeFileSync(lock, '')
      const old = (Date.now() - 60_000) / 1000
      utimesSync(lock, old, old)
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(err.join('\n')).toContain(`run: replaced the stale lock ${lock} (it is empty)`)
      expect(err.join('\n')).not.toContain('NaN')
      expect(cf.writes()).toHaveLength(1)
      expect(existsSync(lock)).toBe(false)
    })

    it('while it runs, the run lock names the run and the latest it can end', async () => {
      const lock = join(state(), RUN_LOCK_FILE)
      let seen = ''
      peek = () => {
        seen ||= readFileSync(lock, 'utf8')
      }
      try {
        expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
      } finally {
        peek = undefined
      }
      const [pid, until] = seen.split('\n')
      expect(pid).toBe('31337')
      // timeouts.run (30 s) and a minute: a process in another PID namespace goes by it.
      const left = Date.parse(until!.replace(/^until=/, '')) - Date.now()
      expect(left).toBeGreaterThan(60_000)
      expect(left).toBeLessThanOrEqual(90_000)
    })

    it('a pid file holding garbage does not keep the daemon out, and nothing says NaN', async () => {
      writeFileSync(join(state(), PID_FILE), 'garbage\n')
      const running = cli('daemon', '-c', cfgPath, '--state-dir', state())
      for (let i = 0; i < 200 && !err.some((l) => l.includes('daemon: ready')); i++) await new Promise((r) => setTimeout(r, 20))
      expect(err.some((l) => l.includes('daemon: ready: first cycle done'))).toBe(true)
      expect(err.join('\n')).toContain(`daemon: replaced the stale pid file ${join(state(), PID_FILE)} (it holds no process id)`)
      expect(readFileSync(join(state(), PID_FILE), 'utf8')).toBe('31337\n')
      for (const cb of handlers.get('SIGTERM') ?? []) cb()
      expect(await running).toBe(0)
      expect(err.join('\n')).not.toContain('NaN')
    })

    it('plan takes no lock: it neither reads nor writes the state', async () => {
      writeFileSync(join(state(), PID_FILE), `${LIVE}\n`)
      expect(await cli('plan', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(existsSync(join(state(), RUN_LOCK_FILE))).toBe(false)
    })

    it('the daemon refuses while a live run holds the lock, and starts over a stale one', async () => {
      writeFileSync(join(state(), RUN_LOCK_FILE), `${LIVE}\n`)
      expect(await cli('daemon', '-c', cfgPath, '--state-dir', state())).toBe(1)
      expect(err.join('\n')).toContain(`error: daemon: an edge-ddns run (pid ${LIVE}) holds the state directory ${state()}`)
      expect(existsSync(join(state(), PID_FILE))).toBe(false)
      expect(cf.requests).toHaveLength(0)

      writeFileSync(join(state(), RUN_LOCK_FILE), `${DEAD}\n`)
      const running = cli('daemon', '-c', cfgPath, '--state-dir', state())
      for (let i = 0; i < 200 && !err.some((l) => l.includes('daemon: ready')); i++) await new Promise((r) => setTimeout(r, 20))
      expect(err.some((l) => l.includes('daemon: ready: first cycle done'))).toBe(true)
      for (const cb of handlers.get('SIGTERM') ?? []) cb()
      expect(await running).toBe(0)
      expect(existsSync(join(state(), PID_FILE))).toBe(false)
    })
  })

  describe('status and a record edge-ddns only read', () => {
    it('shows no last change, and when the value was first seen', async () => {
      await config([{ name: 'home.example.com', content: WAN }])
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(cf.writes()).toHaveLength(0)
      now += 90_000
      expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(out).toContain(`home.example.com A (cloudflare, zone example.com): ${WAN}`)
      expect(out).toContain('  last change: none by edge-ddns (value first seen 2026-03-01T00:00:00.000Z (1m30s ago))')
      expect(out).toContain('  last write:  never')
    })

    it('a state file written before the distinction (changed set at the first read) still loads and reads the same', async () => {
      await config([{ name: 'home.example.com', content: WAN }])
      mkdirSync(state(), { mode: 0o700 })
      const rec = (name: string, extra: Record<string, unknown>) => ({
        provider: 'cloudflare',
        account: 'cloudflare:api.cloudflare.com:token-1',
        zone: 'example.com',
        name,
        type: 'A',
        value: WAN,
        verified: '2026-02-28T23:00:00.000Z',
        answer: `unchanged ${WAN}`,
        answered: '2026-02-28T23:00:00.000Z',
        failures: 0,
        ...extra,
      })
      const old = {
        format: 'edge-ddns-state',
        version: 1,
        written: '2026-02-28T23:00:00.000Z',
        salt: '0123456789abcdef0123456789abcdef',
        records: {
          'cloudflare:api.cloudflare.com:token-1|example.com|read.example.com|A': rec('read.example.com', { changed: '2026-02-20T00:00:00.000Z', seen: '2026-02-20T00:00:00.000Z' }),
          'cloudflare:api.cloudflare.com:token-1|example.com|wrote.example.com|A': rec('wrote.example.com', {
            changed: '2026-02-25T00:00:00.000Z',
            written: '2026-02-25T00:00:00.000Z',
            seen: '2026-02-25T00:00:00.000Z',
          }),
        },
        holds: {},
      }
      writeFileSync(join(state(), STATE_FILE), JSON.stringify(old), { mode: 0o600 })
      expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(0)
      const [read, wrote] = out.split(/\n(?=\S)/).filter((b) => b.includes('.example.com A'))
      expect(read).toContain('read.example.com A')
      expect(read).toContain('  last change: none by edge-ddns (value first seen 2026-02-20T00:00:00.000Z (9d ago))')
      expect(wrote).toContain('wrote.example.com A')
      expect(wrote).toContain('  last change: 2026-02-25T00:00:00.000Z (4d ago)')
    })

    it('a record the provider does not have: missing on every run, never failed, and status says so', async () => {
      await config([])
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
      expect(out).toMatch(/home\.example\.com\s+A\s+missing\s+203\.0\.113\.7/)
      const reads = cf.requests.length
      now += 5 * 60_000
      expect(await cli('run', '-c', cfgPath, '--state-dir', state())).toBe(1)
      expect(out).toMatch(/home\.example\.com\s+A\s+missing\s+203\.0\.113\.7/)
      expect(out).not.toContain('failed')
      expect(err.join('\n')).toContain('warn: home.example.com A: missing: no such record at cloudflare when last read (set create = true to create it)')
      expect(cf.requests).toHaveLength(reads)
      expect(await cli('status', '-c', cfgPath, '--state-dir', state())).toBe(0)
      expect(out).toContain('home.example.com A (cloudflare, zone example.com): (no such record at cloudflare)')
      expect(out).toContain('  last answer: missing: no such record at cloudflare, 2026-03-01T00:00:00.000Z')
      expect(out).not.toContain('hold-off')
      expect(out).not.toContain('failures')
    })
  })
})
