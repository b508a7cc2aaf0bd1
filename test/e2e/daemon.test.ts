import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../helpers/dns-server.js'
import { runtimes, Sandbox } from '../helpers/bundle.js'
import { freePort, mosquittoPeer, mosquittoSubOne, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js'
import mqtt from 'mqtt'

// `edge-ddns daemon` as a process: the bundle alone in a temp dir, real signals, a local
// Cloudflare-like server and a local DNS server answering myip.opendns.com. Time limits are
// generous: they prove that something ends, never that it is fast.

const TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'
const WAN = '203.0.113.7'
const STALE = '198.51.100.1'

function config(dnsPort: number, records: string[], extra = ''): string {
  return `[detect]
ipv4 = [{ dns = "127.0.0.1:${dnsPort}", name = "myip.opendns.com", type = "A" }]
allow_documentation = true

[daemon]
interval = "1h"

[[domains]]
type = "cloudflare"
token = "{{CF_TOKEN}}"
zone = "example.com"
records = [${records.map((r) => `"${r}"`).join(', ')}]
base_url = "{{CF_BASE_URL}}"
${extra}`
}

/** A long-running bundle process whose stderr lines can be awaited. */
class Daemon {
  readonly child: ChildProcessByStdio<null, Readable, Readable>
  readonly lines: string[] = []
  stdout = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private waiters: { re: RegExp; from: number; resolve(l: string): void }[] = []

  constructor(box: Sandbox, args: string[], env: Record<string, string>, runtime = process.execPath) {
    this.child = spawn(runtime, [box.bundle, ...args], {
      cwd: box.dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: box.dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let buf = ''
    this.child.stderr.on('data', (c: Buffer) => {
      buf += c.toString()
      let i: number
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        this.lines.push(line)
        this.waiters = this.waiters.filter((w) => {
          if (!w.re.test(line)) return true
          w.resolve(line)
          return false
        })
      }
    })
    this.child.stdout.on('data', (c: Buffer) => (this.stdout += c.toString()))
    this.exited = new Promise((res) => this.child.on('close', (code, signal) => res({ code, signal })))
  }

  get pid(): number {
    return this.child.pid!
  }

  /** Resolves with the first line (already seen or coming) matching `re`; rejects after `ms`. */
  waitFor(re: RegExp, ms = 20_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l))
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line matching ${re} within ${ms} ms; got:\n${this.lines.join('\n')}`)), ms)
      this.waiters.push({ re, from: this.lines.length, resolve: (l) => (clearTimeout(t), resolve(l)) })
    })
  }

  /** Lines matching `re` so far. */
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length
  }

  async stop(ms = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), ms)
    const r = await this.exited
    clearTimeout(t)
    return r
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** How many edge-ddns processes run with this sandbox's bundle (ps). */
function processesOf(box: Sandbox): number {
  let n = 0
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      if (cmd.includes(box.bundle) && cmd.includes('daemon')) n++
    } catch {
      // Gone meanwhile.
    }
  }
  return n
}

describe('edge-ddns daemon (process)', () => {
  let box: Sandbox
  let cf: FakeCloudflare
  let dns: TestDnsServer
  let addr: { v4?: string }
  const running: Daemon[] = []
  let env: Record<string, string>
  let state: string

  beforeAll(async () => {
    box = new Sandbox()
    addr = { v4: WAN }
    dns = await startMyIpServer(addr)
  })
  afterAll(async () => {
    await dns?.close()
    box?.cleanup()
  })
  beforeEach(async () => {
    addr.v4 = WAN
    cf = await startCloudflare({
      token: TOKEN,
      zones: [
        {
          name: 'example.com',
          records: [
            { type: 'A', name: 'home.example.com', content: STALE },
            { type: 'A', name: 'vpn.example.com', content: STALE },
          ],
        },
      ],
    })
    state = join(box.dir, `state-${Math.random().toString(16).slice(2)}`)
    box.write('edge-ddns.env', `CF_TOKEN=${TOKEN}\nCF_BASE_URL=${cf.url}\n`)
    box.write('edge-ddns.toml', config(dns.port, ['home.example.com']))
    env = {}
  })
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop()
    await cf?.close()
  })

  const startDaemon = (extra: string[] = [], runtime?: string): Daemon => {
    const d = new Daemon(box, ['daemon', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state, ...extra], env, runtime)
    running.push(d)
    return d
  }

  it('BC-33: a bad config at start exits 78 at once, before any network call', async () => {
    box.write('bad.toml', config(dns.port, ['home.example.com']).replace('interval = "1h"', 'interval = "soon"'))
    const d = new Daemon(box, ['daemon', '-c', 'bad.toml', '-e', 'edge-ddns.env', '--state-dir', state], env)
    const queries = dns.queries.length
    const r = await d.exited
    expect(r.code).toBe(78)
    expect(d.lines.join('\n')).toMatch(/error: .*daemon\.interval: is not a duration/)
    expect(cf.requests).toHaveLength(0)
    expect(dns.queries.length).toBe(queries)
    expect(existsSync(join(state, 'edge-ddns.pid'))).toBe(false)
  })

  it('first cycle fixes the record, logs one readiness line, keeps state (0600 in 0700) and a pid file', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready: first cycle done/)
    expect(d.count(/daemon: ready/)).toBe(1)
    expect(cf.writes()).toHaveLength(1)
    expect(readFileSync(join(state, 'edge-ddns.pid'), 'utf8').trim()).toBe(String(d.pid))
    const st = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { records: Record<string, { value: string }> }
    expect(Object.values(st.records).map((r) => r.value)).toEqual([WAN])
    expect(statSync(join(state, 'state.json')).mode & 0o777).toBe(0o600)
    expect(statSync(state).mode & 0o777).toBe(0o700)
    expect(readFileSync(join(state, 'state.json'), 'utf8')).not.toContain(TOKEN)
    const r = await d.stop()
    expect(r.code).toBe(0)
    expect(existsSync(join(state, 'edge-ddns.pid'))).toBe(false)
  })

  it('BC-33: SIGHUP three times keeps one process and the same PID; the new config takes effect; a bad one keeps the old running', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    const pid = d.pid
    // 1: a second record.
    box.write('edge-ddns.toml', config(dns.port, ['home.example.com', 'vpn.example.com']))
    d.child.kill('SIGHUP')
    await d.waitFor(/daemon: SIGHUP: config reloaded/)
    await d.waitFor(/daemon: cycle done \(SIGHUP\)/)
    expect(cf.records('example.com').find((r) => r.name === 'vpn.example.com')?.content).toBe(WAN)
    // 2: broken.
    box.write('edge-ddns.toml', config(dns.port, ['home.example.com']).replace('zone = "example.com"', 'zone = 42'))
    d.child.kill('SIGHUP')
    await d.waitFor(/daemon: SIGHUP: the new config is invalid; keeping the previous one: .*zone/)
    // 3: fine again.
    box.write('edge-ddns.toml', config(dns.port, ['home.example.com', 'vpn.example.com']))
    d.child.kill('SIGHUP')
    await sleep(300)
    await d.waitFor(/daemon: cycle done \(SIGHUP\)/)
    expect(d.child.exitCode).toBeNull()
    expect(d.pid).toBe(pid)
    expect(processesOf(box)).toBe(1)
    expect(d.count(/daemon: started/)).toBe(1)
    // The old config keeps working: the daemon still answers a trigger.
    d.child.kill('SIGUSR1')
    await d.waitFor(/daemon: cycle done \(SIGUSR1\)/)
    expect((await d.stop()).code).toBe(0)
  })

  it('BC-33: two triggers 100 ms apart give one cycle', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    d.child.kill('SIGUSR1')
    await sleep(100)
    d.child.kill('SIGUSR1')
    await d.waitFor(/daemon: SIGUSR1: counted with the trigger/)
    await d.waitFor(/daemon: cycle done \(SIGUSR1\)/)
    await sleep(1500)
    expect(d.count(/daemon: cycle done/)).toBe(1)
    expect(d.count(/daemon: SIGUSR1: running a cycle now/)).toBe(1)
    // Unchanged address, verified moments ago: the triggered cycle asked the provider nothing.
    expect(cf.writes()).toHaveLength(1)
    expect(await d.stop()).toEqual({ code: 0, signal: null })
  })

  it('edge-ddns trigger signals the daemon through its pid file; a stale pid file is a clear error', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    addr.v4 = '203.0.113.8'
    const t = await box.run(['trigger', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(t.code, t.stderr).toBe(0)
    expect(t.stdout).toContain(`asked the daemon (pid ${d.pid}) for a cycle`)
    await d.waitFor(/daemon: cycle done \(SIGUSR1\)/)
    expect(cf.records('example.com').find((r) => r.name === 'home.example.com')?.content).toBe('203.0.113.8')

    const s = await box.run(['status', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(s.code, s.stderr).toBe(0)
    expect(s.stdout).toContain(`daemon: running (pid ${d.pid})`)
    expect(s.stdout).toMatch(/home\.example\.com A \(cloudflare, zone example\.com\): 203\.0\.113\.8/)
    expect(s.stdout).toMatch(/last verify: 20\d\d-/)

    expect((await d.stop()).code).toBe(0)
    writeFileSync(join(state, 'edge-ddns.pid'), '999999\n')
    const stale = await box.run(['trigger', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(stale.code).toBe(1)
    expect(stale.stderr).toMatch(/stale pid file .*edge-ddns\.pid: process 999999 is not running/)
  })

  it('a second daemon on the same state directory does not start', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    const two = new Daemon(box, ['daemon', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], env)
    const r = await two.exited
    expect(r.code).toBe(1)
    expect(two.lines.join('\n')).toContain(`another edge-ddns daemon (pid ${d.pid})`)
    expect(readFileSync(join(state, 'edge-ddns.pid'), 'utf8').trim()).toBe(String(d.pid))
  })

  it('a oneshot run on the state directory of a live daemon refuses (exit 1, naming both), sends nothing; after a crash the stale pid file does not block it', async () => {
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    const asked = cf.requests.length
    const before = readFileSync(join(state, 'state.json'), 'utf8')
    const r = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain(`run: the edge-ddns daemon (pid ${d.pid}) holds the state directory ${state}; not running alongside it`)
    expect(r.stdout).toBe('')
    expect(cf.requests).toHaveLength(asked)
    expect(readFileSync(join(state, 'state.json'), 'utf8')).toBe(before)
    expect(existsSync(join(state, 'edge-ddns.run.lock'))).toBe(false)

    d.child.kill('SIGKILL')
    await d.exited
    expect(readFileSync(join(state, 'edge-ddns.pid'), 'utf8').trim()).toBe(String(d.pid))
    const after = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(after.code, after.stderr).toBe(0)
    expect(after.stdout).toMatch(/home\.example\.com\s+A\s+unchanged/)
  })

  it('a daemon does not start while a oneshot run holds the state directory; once the run is gone, its lock does not block', async ({ onTestFinished: afterThis }) => {
    // The run talks to a provider that accepts the connection and never answers, so it stays in
    // flight holding its lock; the daemon's config points at the working one.
    const held: Socket[] = []
    const silent = createServer((sock) => held.push(sock))
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
    afterThis(async () => {
      for (const sock of held) sock.destroy()
      await new Promise((r) => silent.close(r))
    })
    box.write('hang.env', `CF_TOKEN=${TOKEN}\nCF_BASE_URL=http://127.0.0.1:${(silent.address() as AddressInfo).port}/client/v4\n`)
    const run = new Daemon(box, ['run', '-c', 'edge-ddns.toml', '-e', 'hang.env', '--state-dir', state], env)
    running.push(run)
    for (let i = 0; i < 200 && held.length === 0; i++) await sleep(50)
    expect(held.length).toBeGreaterThan(0)
    // The pid on the first line; then the latest the run can end (for other PID namespaces).
    const [lockPid, lockUntil] = readFileSync(join(state, 'edge-ddns.run.lock'), 'utf8').split('\n')
    expect(lockPid).toBe(String(run.pid))
    expect(lockUntil).toMatch(/^until=\d{4}-/)

    const d = new Daemon(box, ['daemon', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], env)
    running.push(d)
    expect((await d.exited).code).toBe(1)
    expect(d.lines.join('\n')).toContain(`daemon: an edge-ddns run (pid ${run.pid}) holds the state directory ${state}`)
    expect(existsSync(join(state, 'edge-ddns.pid'))).toBe(false)

    // Killed mid-run: the lock stays behind, naming a process that is gone.
    run.child.kill('SIGKILL')
    await run.exited
    expect(existsSync(join(state, 'edge-ddns.run.lock'))).toBe(true)
    const again = startDaemon()
    await again.waitFor(/daemon: ready/)
    expect(readFileSync(join(state, 'edge-ddns.pid'), 'utf8').trim()).toBe(String(again.pid))
    expect((await again.stop()).code).toBe(0)
  }, 60_000)

  it('a run lock left empty by a crash, or a pid file holding garbage, locks nothing out, and no message says NaN', async () => {
    mkdirSync(state, { mode: 0o700 })
    const lock = join(state, 'edge-ddns.run.lock')
    writeFileSync(lock, '')
    const old = (Date.now() - 60_000) / 1000
    utimesSync(lock, old, old)
    const r = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--state-dir', state], { limitMs: 20_000 })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toContain('NaN')
    expect(r.stdout).toMatch(/home\.example\.com\s+A\s+updated/)
    expect(existsSync(lock)).toBe(false)

    writeFileSync(join(state, 'edge-ddns.pid'), 'garbage\n')
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    expect(d.lines.join('\n')).toContain(`daemon: replaced the stale pid file ${join(state, 'edge-ddns.pid')} (it holds no process id)`)
    expect(d.lines.join('\n')).not.toContain('NaN')
    expect(readFileSync(join(state, 'edge-ddns.pid'), 'utf8')).toBe(`${d.pid}\n`)
    expect((await d.stop()).code).toBe(0)
  })

  it('SIGTERM mid-cycle exits 0 with the state intact (valid JSON, previous entries kept)', async () => {
    const first = startDaemon()
    await first.waitFor(/daemon: ready/)
    expect((await first.stop()).code).toBe(0)
    const before = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { records: Record<string, unknown> }
    expect(Object.keys(before.records)).toHaveLength(1)

    // A new record needs the provider; the provider hangs.
    box.write('edge-ddns.toml', config(dns.port, ['home.example.com', 'vpn.example.com']))
    cf.inject({ method: 'GET', path: '/zones', delayMs: 60_000, times: Infinity, status: 200, body: { success: true, errors: [], messages: [], result: [] } })
    const asked = cf.requests.length
    const d = startDaemon()
    await d.waitFor(/IPv4 address .* from/)
    for (let i = 0; i < 100 && cf.requests.length === asked; i++) await sleep(50)
    expect(cf.requests.slice(asked).map((r) => r.path)).toEqual(['/zones'])
    d.child.kill('SIGTERM')
    const r = await d.stop(30_000)
    expect(r).toEqual({ code: 0, signal: null })
    expect(d.lines.join('\n')).toContain('daemon: SIGTERM: stopping after the cycle in flight')
    const after = JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')) as { format: string; records: Record<string, { value?: string }> }
    expect(after.format).toBe('edge-ddns-state')
    for (const k of Object.keys(before.records)) expect(after.records[k]?.value).toBe(WAN)
  }, 60_000)

  it('a corrupt state file is set aside with a warning, never fatal', async () => {
    const d0 = startDaemon()
    await d0.waitFor(/daemon: ready/)
    await d0.stop()
    writeFileSync(join(state, 'state.json'), '{"format": "edge-ddns-state", "version": 1, "rec')
    const d = startDaemon()
    await d.waitFor(/daemon: ready/)
    expect(d.lines.join('\n')).toMatch(/warn: state: .*state\.json is not valid JSON; set aside as .*state\.json\.bad-\d{8}T\d{6}Z/)
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8')).format).toBe('edge-ddns-state')
  })

  describe('with MQTT (a real mosquitto)', () => {
    const peer = mosquittoPeer()
    if (!peer.ok) {
      it.skip(`SKIPPED: ${peer.reason}`, () => {})
      return
    }
    let broker: Mosquitto
    let base: string
    let prefix: string
    beforeAll(async () => {
      broker = await startMosquitto()
    }, 30_000)
    afterAll(async () => {
      await broker?.stop()
    })
    const mqttSection = (port: number, extra = ''): string =>
      `\n[mqtt]\nurl = "mqtt://127.0.0.1:${port}"\nbase_topic = "${base}"\ndiscovery_prefix = "${prefix}"\nconnect_timeout = 2\npublish_timeout = 3\n${extra}`
    beforeEach(() => {
      const id = Math.random().toString(16).slice(2, 10)
      base = `edge-ddns/e2e-${id}`
      prefix = `ha-${id}`
    })

    it('daemon: the state is retained after each cycle, "Update now" runs a cycle, Home Assistant online gets discovery again, SIGTERM publishes offline', async () => {
      box.write('edge-ddns.toml', config(dns.port, ['home.example.com'], mqttSection(broker.ports.plain)))
      const d = startDaemon()
      await d.waitFor(/daemon: ready/)
      for (let i = 0; i < 50 && mosquittoSubOne(broker.ports.plain, `${base}/availability`) !== 'online'; i++) await sleep(100)
      expect(mosquittoSubOne(broker.ports.plain, `${base}/availability`)).toBe('online')
      const st = JSON.parse(mosquittoSubOne(broker.ports.plain, `${base}/state`) ?? '{}') as { records?: { name: string; status: string }[] }
      expect(st.records?.map((r) => [r.name, r.status])).toEqual([['home.example.com', 'updated']])

      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { reconnectPeriod: 0 })
      try {
        await c.publishAsync(`${base}/command`, 'update')
        await d.waitFor(/daemon: cycle done \(mqtt "Update now"\)/)
        await c.publishAsync(`${prefix}/status`, 'online')
        await d.waitFor(/mqtt: Home Assistant is online; publishing discovery again/)
      } finally {
        await c.endAsync()
      }
      expect((await d.stop()).code).toBe(0)
      expect(mosquittoSubOne(broker.ports.plain, `${base}/availability`)).toBe('offline')
    })

    it('run: publishes after the run; a dead broker leaves the DNS result and exit 0; --mqtt-required makes it 1', async () => {
      box.write('edge-ddns.toml', config(dns.port, ['home.example.com'], mqttSection(broker.ports.plain)))
      const ok = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env'], { limitMs: 30_000 })
      expect(ok.code, ok.stderr).toBe(0)
      const st = JSON.parse(mosquittoSubOne(broker.ports.plain, `${base}/state`) ?? '{}') as { records?: { status: string }[] }
      expect(st.records?.map((r) => r.status)).toEqual(['updated'])

      const dead = await freePort()
      addr.v4 = '203.0.113.9'
      box.write('edge-ddns.toml', config(dns.port, ['home.example.com'], mqttSection(dead)))
      const down = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env'], { limitMs: 30_000 })
      expect(down.code, down.stderr).toBe(0)
      expect(down.stderr).toMatch(/warn: mqtt: /)
      expect(cf.records('example.com').find((r) => r.name === 'home.example.com')?.content).toBe('203.0.113.9')
      const req = await box.run(['run', '-c', 'edge-ddns.toml', '-e', 'edge-ddns.env', '--mqtt-required'], { limitMs: 30_000 })
      expect(req.code).toBe(1)
      expect(req.stdout).toMatch(/home\.example\.com\s+A\s+unchanged/)
    })
  })

  describe.each(runtimes().filter((rt) => rt.bin !== process.execPath))('under $name', (rt) => {
    if (!rt.bin) {
      it.skipIf(!process.env.CI)(`SKIPPED: ${rt.why}`, () => {})
      if (process.env.CI) it(`${rt.name} must be available under CI`, () => expect.fail(rt.why))
      return
    }
    it('SIGUSR1 runs a cycle, SIGHUP reloads in place, SIGTERM exits 0', async () => {
      const d = startDaemon([], rt.bin!)
      await d.waitFor(/daemon: ready/)
      d.child.kill('SIGUSR1')
      await d.waitFor(/daemon: cycle done \(SIGUSR1\)/)
      d.child.kill('SIGHUP')
      await d.waitFor(/daemon: SIGHUP: config reloaded/)
      expect(d.child.exitCode).toBeNull()
      expect(await d.stop()).toEqual({ code: 0, signal: null })
    })
  })
})
