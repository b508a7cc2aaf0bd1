import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Config } from '../../../src/config/types.js'
import { ConfigError, EdgeError } from '../../../src/errors.js'
import { createHttpClient } from '../../../src/net/http.js'
import { memoryLogger } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'
import type { RunSummary } from '../../../src/report/summary.js'
import { FakeClock, settle } from '../../../src/schedule/clock.js'
import { Daemon, type CycleInfo, type DaemonOptions, type Reporter } from '../../../src/schedule/daemon.js'
import { StateStore } from '../../../src/schedule/state.js'
import type { DetectFn } from '../../../src/schedule/cycle.js'
import { startCloudflare, type FakeCloudflare } from '../../helpers/cloudflare-server.js'
import { cloudflareEntry } from '../reconcile/support.js'
import { configWith, DAY, fakeCtx, fakeEntry, fakeProvider, fixedDetect, HOUR, MIN, T0, tempDir } from './support.js'

// The daemon loop on a fake clock: 30 days run in seconds. Process-level behaviour (signals, pid
// file, exit codes) is tested against the bundle in test/e2e/daemon.test.ts.

const IP = '192.0.2.10'
const OLD = '198.51.100.1'
const BUILD = Date.UTC(2026, 0, 1)

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  // In RAM where the host has it: 30 simulated days write the state hundreds of times, and a
  // rename on a journaling disk costs milliseconds (routers keep it in RAM too: /tmp/edge-ddns).
  tmp = tempDir('edge-ddns-daemon-', { ram: true })
})
afterEach(() => tmp.cleanup())

interface Harness {
  daemon: Daemon
  lines: string[]
  store: StateStore
  cycles: CycleInfo[]
  done: Promise<void>
}

function start(clock: FakeClock, config: Config, over: Partial<DaemonOptions> & { stopAt?: number; stopAfter?: number } = {}): Harness {
  const redactor = new Redactor()
  const log = memoryLogger(redactor, 'info')
  const store = StateStore.open({ dir: tmp.dir, log, now: () => clock.now() })
  const cycles: CycleInfo[] = []
  const ctxBase = fakeCtx(clock, { redactor })
  const http = createHttpClient({ timeoutMs: 5000 })
  const { stopAt, stopAfter, ...rest } = over
  let daemon!: Daemon
  daemon = new Daemon({
    config,
    reload: () => config,
    makeCtx: (cfg, signal) => ({ ...ctxBase, log, http, signal, timeouts: cfg.timeouts }),
    store,
    clock,
    log,
    buildTimeMs: BUILD,
    random: () => 0.5,
    onCycle: (info) => {
      cycles.push(info)
      if ((stopAt !== undefined && clock.now() >= stopAt) || (stopAfter !== undefined && cycles.length >= stopAfter)) daemon.stop('test')
    },
    ...rest,
  })
  const done = daemon.run()
  return { daemon, lines: log.lines, store, cycles, done }
}

describe('30 simulated days (BC-05)', () => {
  let cf: FakeCloudflare
  afterEach(async () => {
    await cf?.close()
  })

  it('BC-05: constant address, 5-minute interval, 30 days → exactly one write, and reads only every verify_every (local Cloudflare)', async () => {
    // verify_every 6 h keeps this test's real HTTP requests to a few hundred; the next test counts
    // reads at the default 1 h with a counting provider.
    const TOKEN = 'cfT0ken_abcdefghijklmnopqrstuvwxyz-012345'
    cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: OLD }] }] })
    const clock = new FakeClock(T0, { auto: true })
    const redactor = new Redactor()
    const entry = cloudflareEntry({ ...fakeCtx(clock, { redactor }) }, { token: TOKEN, zone: 'example.com', records: ['home.example.com'], base_url: cf.url })
    const config = configWith([entry], { state: { verify_every: '6h' }, daemon: { interval: '5m', jitter: 0 } })
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), stopAt: T0 + 30 * DAY })
    await h.done
    expect(h.cycles.length).toBe(30 * 24 * 12 + 1)
    expect(cf.writes()).toHaveLength(1)
    expect(cf.writes()[0]).toMatchObject({ method: 'PATCH', body: { content: IP } })
    const listings = cf.requests.filter((r) => r.method === 'GET' && /\/dns_records$/.test(r.path))
    // One read at start, then one per verify_every (6 h; interval 5 min, no jitter).
    expect(listings).toHaveLength(30 * 4 + 1)
    expect(cf.records('example.com').find((r) => r.name === 'home.example.com')?.content).toBe(IP)
  }, 120_000)

  it('BC-05: 30 days, default verify_every (1 h): one write; reads never closer than 1 h, never much later (jittered interval)', async () => {
    const clock = new FakeClock(T0, { auto: true })
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [OLD] } })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: { verify_every: '1h' }, daemon: { interval: '5m' } })
    let r = 0
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), stopAt: T0 + 30 * DAY, random: () => (r = (r + 0.37) % 1) })
    await h.done
    expect(fake.writes()).toHaveLength(1)
    const reads = fake.reads().map((c) => c.at)
    const gaps = reads.slice(1).map((t, i) => t - reads[i]!)
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(HOUR)
    expect(Math.max(...gaps)).toBeLessThanOrEqual(HOUR + 5 * MIN + 30_000)
    expect(reads.length).toBeGreaterThan(30 * 22)
  }, 60_000)

  it('BC-06: a 429 with Retry-After: 60 → the next call to the provider comes no sooner than 60 s later', async () => {
    const clock = new FakeClock(T0, { auto: true })
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [OLD] } })
    fake.script({ op: 'write', error: new EdgeError('ratelimit', 'fake: HTTP 429', { retryAfterSec: 60 }) })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '10s', jitter: 0 } })
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), stopAt: T0 + 10 * MIN })
    await h.done
    const at = fake.calls.map((c) => c.at - T0)
    expect(at.slice(0, 2)).toEqual([0, 0])
    expect(at[2]).toBeGreaterThanOrEqual(60_000)
    expect(at[2]).toBeLessThanOrEqual(70_000)
    expect(fake.writes()).toHaveLength(2)
  })

  it('a record the provider does not have (create = false) is missing on every cycle for a day: never failed, read once per verify_every', async () => {
    const clock = new FakeClock(T0, { auto: true })
    const fake = fakeProvider(clock, { initial: {} })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: { verify_every: '1h' }, daemon: { interval: '5m', jitter: 0 } })
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), stopAt: T0 + DAY })
    await h.done
    expect(h.cycles.length).toBeGreaterThan(280)
    for (const c of h.cycles) expect(c.result?.summary.counts).toMatchObject({ missing: 1, failed: 0 })
    expect(fake.writes()).toHaveLength(0)
    const reads = fake.reads().map((c) => c.at)
    expect(reads.length).toBeGreaterThanOrEqual(24)
    expect(reads.length).toBeLessThanOrEqual(25)
    expect(Math.min(...reads.slice(1).map((t, i) => t - reads[i]!))).toBeGreaterThanOrEqual(HOUR)
    expect(h.lines.some((l) => /backing off|next attempt/.test(l))).toBe(false)
    // The state's own reminder is said once; the provider's answer once per read.
    expect(h.lines.filter((l) => l.includes('missing: no such record at fake when last read'))).toHaveLength(1)
  }, 60_000)

  it('BC-02: abuse → no further calls for 30 days', async () => {
    const clock = new FakeClock(T0, { auto: true })
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [OLD] } })
    fake.script({ op: 'write', error: new EdgeError('provider', 'dyndns2: abuse', { code: 'abuse', retryable: false }) })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '5m' } })
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), stopAt: T0 + 30 * DAY })
    await h.done
    expect(fake.calls.map((c) => c.op)).toEqual(['read', 'write'])
    // Said once at error level, then only at debug.
    expect(h.lines.filter((l) => l.startsWith('warn: home.example.com A: stopped since'))).toHaveLength(1)
  }, 60_000)
})

/** A detection that blocks until released, to hold a cycle in flight. */
function gatedDetect(): DetectFn & { release(): void; waiting: boolean } {
  const inner = fixedDetect({ 4: IP })
  let open: (() => void) | undefined
  const fn = (async (cfg, fams, ctx) => {
    fn.waiting = true
    await new Promise<void>((res) => {
      open = res
      ctx.signal.addEventListener('abort', () => res(), { once: true })
    })
    fn.waiting = false
    return inner(cfg, fams, ctx)
  }) as DetectFn & { release(): void; waiting: boolean }
  fn.waiting = false
  fn.release = () => open?.()
  return fn
}

describe('triggers, reloads and stops (manual fake clock)', () => {
  function setup(over: Partial<DaemonOptions> = {}) {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [IP] } })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '1h', jitter: 0 } })
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), ...over })
    return { clock, fake, config, h }
  }

  it('BC-33: two triggers 100 ms apart give one cycle', async () => {
    const { clock, h } = setup()
    await settle()
    expect(h.cycles).toHaveLength(1)
    h.daemon.trigger('SIGUSR1')
    await clock.advance(100)
    h.daemon.trigger('SIGUSR1')
    await clock.advance(5_000)
    expect(h.cycles.map((c) => c.reason)).toEqual(['start', 'SIGUSR1'])
    expect(h.lines).toContain('info: daemon: SIGUSR1: counted with the trigger 0.1s ago')
    // 2 s later, a trigger counts again.
    h.daemon.trigger('SIGUSR1')
    await settle()
    expect(h.cycles).toHaveLength(3)
    h.daemon.stop('test')
    await h.done
  })

  it('BC-33: triggers during a cycle cause at most one follow-up cycle', async () => {
    const detect = gatedDetect()
    const { clock, h } = setup({ detect })
    await settle()
    expect(detect.waiting).toBe(true)
    for (let i = 0; i < 5; i++) {
      await clock.advance(3_000)
      h.daemon.trigger(`trigger ${i}`)
    }
    detect.release()
    await settle()
    expect(h.cycles.map((c) => c.reason)).toEqual(['start'])
    expect(detect.waiting).toBe(true)
    detect.release()
    await settle()
    expect(h.cycles.map((c) => c.reason)).toEqual(['start', 'trigger 0'])
    await clock.advance(10 * MIN)
    expect(h.cycles).toHaveLength(2)
    h.daemon.stop('test')
    await h.done
  })

  it('quiet sleeps share one wake-up signal; a trigger still wakes the loop, and the next sleep gets a fresh one', async () => {
    const clock = new FakeClock(T0)
    const signals: AbortSignal[] = []
    const watched = {
      now: () => clock.now(),
      sleep: (ms: number, signal?: AbortSignal): Promise<void> => {
        if (signal) signals.push(signal)
        return clock.sleep(ms, signal)
      },
    }
    const { h } = setup({ clock: watched })
    await settle()
    for (let i = 0; i < 5; i++) await clock.advance(HOUR)
    expect(h.cycles).toHaveLength(6)
    expect(new Set(signals).size).toBe(1)
    h.daemon.trigger('SIGUSR1')
    await settle()
    expect(h.cycles.map((c) => c.reason).at(-1)).toBe('SIGUSR1')
    expect(signals[0]!.aborted).toBe(true)
    expect(new Set(signals).size).toBe(2)
    expect(signals.at(-1)!.aborted).toBe(false)
    h.daemon.stop('test')
    await h.done
  })

  it('the interval runs cycles with jitter spread around it', async () => {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [IP] } })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '5m', jitter: '1m' } })
    const seq = [0, 0.999, 0.5]
    let i = 0
    const h = start(clock, config, { detect: fixedDetect({ 4: IP }), random: () => seq[i++ % 3]! })
    await settle()
    await clock.advance(20 * MIN)
    const starts = h.cycles.map((c) => c.nextAt - T0)
    expect(starts.slice(0, 3)).toEqual([4.5 * MIN, 4.5 * MIN + 5.5 * MIN - 60, 4.5 * MIN + 5.5 * MIN - 60 + 5 * MIN])
    h.daemon.stop('test')
    await h.done
  })

  it('SIGHUP: a good config takes effect in the same daemon; a bad one keeps the old and says so', async () => {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [IP], 'vpn.example.com/A': [OLD] } })
    const one = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '1h' } })
    const two = configWith([fakeEntry(fake.def, ['home.example.com', 'vpn.example.com'])], { state: {}, daemon: { interval: '1h' } })
    let next: Config | Error = two
    const h = start(clock, one, {
      detect: fixedDetect({ 4: IP }),
      reload: () => {
        if (next instanceof Error) throw next
        return next
      },
    })
    await settle()
    h.daemon.reload('SIGHUP')
    await settle()
    expect(h.cycles.map((c) => c.reason)).toEqual(['start', 'SIGHUP'])
    expect(fake.writes().flatMap((c) => c.names)).toEqual(['vpn.example.com/A'])
    expect(h.lines).toContain('info: daemon: SIGHUP: config reloaded from /etc/edge-ddns/edge-ddns.toml (1 domain entry)')
    next = new ConfigError('domains[0].zone', 'is required')
    h.daemon.reload('SIGHUP')
    await settle()
    expect(h.lines).toContain('error: daemon: SIGHUP: the new config is invalid; keeping the previous one: domains[0].zone: is required')
    h.daemon.trigger('SIGUSR1')
    await settle()
    expect(h.cycles.at(-1)?.result?.summary.records.map((r) => r.name)).toEqual(['home.example.com', 'vpn.example.com'])
    h.daemon.stop('test')
    await h.done
  })

  it('stop during a cycle: waits for it, aborts it after the grace, saves the state and ends', async () => {
    const detect = gatedDetect()
    const { h } = setup({ detect, stopGraceMs: 50 })
    await settle()
    expect(detect.waiting).toBe(true)
    h.daemon.stop('SIGTERM')
    await h.done
    expect(h.lines).toContain('info: daemon: SIGTERM: stopping after the cycle in flight')
    expect(h.lines).toContain('warn: daemon: the cycle in flight did not end within 0.1s; aborting it')
    expect(h.lines.at(-1)).toBe('info: daemon: stopped after 1 cycle')
    // Cut short by the stop, not by the provider: no failure and no back-off recorded.
    expect([...h.store.records.values()].filter((r) => r.failures > 0 || r.retry !== undefined)).toEqual([])
  })

  it('BC-30: while the clock is before the build date nothing is sent; one warning; cycles start once it is set', async () => {
    const clock = new FakeClock(Date.UTC(1970, 0, 1))
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': [OLD] } })
    const detect = fixedDetect({ 4: IP })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '5m' } })
    const h = start(clock, config, { detect })
    await settle()
    for (let i = 0; i < 10; i++) await clock.advance(10_000)
    h.daemon.trigger('SIGUSR1')
    await clock.advance(10_000)
    expect(detect.calls).toBe(0)
    expect(fake.calls).toHaveLength(0)
    expect(h.lines.filter((l) => l.includes('clock not synchronised'))).toHaveLength(1)
    clock.set(T0)
    await clock.advance(10_000)
    expect(fake.writes()).toHaveLength(1)
    expect(h.lines.some((l) => l.startsWith('info: daemon: clock synchronised'))).toBe(true)
    h.daemon.stop('test')
    await h.done
  })

  it('watch mode: an interface address change runs a cycle within watch_every', async () => {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': ['203.0.113.7'] } })
    const config = configWith([fakeEntry(fake.def, ['home.example.com'])], { state: {}, daemon: { interval: '1h', watch_every: '5s' } })
    config.detect.sources[4] = [{ kind: 'interface', label: 'interface:wan0', name: 'wan0' }]
    let addr = '203.0.113.7'
    const readers = {
      networkInterfaces: () => ({ wan0: [{ address: addr, netmask: '255.255.255.0', family: 'IPv4' as const, mac: '00:00:00:00:00:00', internal: false, cidr: `${addr}/24` }] }),
      readIfInet6: () => '',
    }
    const detect: DetectFn = async (_c, fams) => ({ 4: { family: 4, address: addr, source: 'interface:wan0', attempts: [] }, ...(fams.includes(6) ? {} : {}) })
    const h = start(clock, config, { detect, interfaceReaders: readers })
    await settle()
    await clock.advance(30_000)
    expect(h.cycles).toHaveLength(1)
    addr = '203.0.113.8'
    await clock.advance(5_000)
    expect(h.cycles.map((c) => c.reason)).toEqual(['start', 'watch'])
    expect(fake.writes()[0]?.values).toEqual(['203.0.113.8'])
    h.daemon.stop('test')
    await h.done
  })

  it('MQTT: the reporter gets every cycle, its button triggers a cycle, and it is closed on stop', async () => {
    const published: RunSummary[] = []
    let closed = 0
    let press: (() => void) | undefined
    const reporter = async (_c: Config, onCommand: () => void): Promise<Reporter> => {
      press = onCommand
      return {
        publish: async (s) => {
          published.push(s)
        },
        close: async () => {
          closed++
        },
      }
    }
    const { h } = setup({ reporter })
    await settle()
    expect(published).toHaveLength(1)
    press?.()
    await settle()
    expect(h.cycles.map((c) => c.reason)).toEqual(['start', 'mqtt "Update now"'])
    expect(published).toHaveLength(2)
    h.daemon.stop('SIGTERM')
    await h.done
    expect(closed).toBe(1)
  })
})
