import type { Config } from '../config/types.js'
import type { Ctx } from '../context.js'
import type { InterfaceReaders } from '../detect/interface.js'
import { toEdgeError } from '../errors.js'
import type { Logger } from '../report/log.js'
import type { RunSummary } from '../report/summary.js'
import type { Clock } from './clock.js'
import { daemonSettings, stateSettings } from './config.js'
import { CycleMemo, familiesOf, runCycle, type CycleResult, type DetectFn } from './cycle.js'
import type { StateStore } from './state.js'
import { interfaceSources, probeInterfaces } from './watch.js'

/**
 * The daemon: the cycle of cycle.ts in a loop, with a state store, triggers and reloads.
 *
 * - A cycle runs at start, then every `[daemon] interval` (default 5 min) give or take half of
 *   `jitter`, so that many agents do not call a provider in step.
 * - `trigger()` (SIGUSR1, `edge-ddns trigger`, the MQTT "Update now" button, a watched interface
 *   changing) runs a cycle now. Triggers within 2 s of the last accepted one count as one; while
 *   a cycle runs, any number of triggers queue at most one follow-up cycle (BC-33). A trigger
 *   never bypasses a record's back-off or hold: with the address unchanged it costs no provider call.
 * - `reload()` (SIGHUP) reads the config again in this process, after the cycle in flight; an
 *   invalid new config is logged and the old one keeps running. A good one takes effect at once
 *   and a cycle follows.
 * - `stop()` (SIGTERM, SIGINT) lets the cycle in flight finish for `stopGraceMs` (3 s), then aborts
 *   it; the state is saved, the reporter closed (MQTT publishes `offline`) and `run()` resolves.
 *   A second stop aborts at once.
 * - While the clock is before the build date (a router without RTC before NTP, BC-30), cycles are
 *   deferred: nothing is sent, one warning is logged, the clock is checked again every 10 s.
 * - The state is saved after each cycle that changed it (an unchanged address changes nothing:
 *   no flash wear).
 *
 * Log lines (stable): `daemon: ready: first cycle done …`, `daemon: cycle done (<reason>): …`,
 * `daemon: SIGUSR1: running a cycle now`, `daemon: SIGUSR1: counted with the trigger 0.1s ago`,
 * `daemon: SIGHUP: config reloaded …`, `daemon: SIGHUP: the new config is invalid; keeping the previous one: …`.
 */

/** Publishes each cycle somewhere (MQTT). */
export interface Reporter {
  /** Publishes a cycle's summary; bounded in time, never throws. */
  publish(summary: RunSummary, config: Config): Promise<void>
  /** Says goodbye (MQTT `offline`); bounded, never throws. */
  close(): Promise<void>
}

/**
 * Opens a reporter for a config, or returns null when the config asks for none.
 * `onCommand` is called when the user asks for a cycle through it (the "Update now" button).
 */
export type ReporterFactory = (config: Config, onCommand: () => void) => Promise<Reporter | null>

/** After each cycle, for tests and the benchmark. */
export interface CycleInfo {
  n: number
  reason: string
  result?: CycleResult
  /** When the next timer cycle is due (ms since the epoch). */
  nextAt: number
}

/** Options of the daemon. */
export interface DaemonOptions {
  /** The config loaded at start. */
  config: Config
  /** Reads the config again (SIGHUP); throws ConfigError when it is wrong. */
  reload(): Config | Promise<Config>
  /** Builds the Ctx of one cycle; `signal` aborts it (deadline, stop). Its `now` must be `clock.now`. */
  makeCtx(config: Config, signal: AbortSignal): Ctx
  store: StateStore
  clock: Clock
  log: Logger
  /** A clock before this (ms since the epoch) is not synchronised yet. */
  buildTimeMs: number
  random?: () => number
  detect?: DetectFn
  /** For watch mode; the system's by default. */
  interfaceReaders?: InterfaceReaders
  reporter?: ReporterFactory
  /** Called after each cycle. */
  onCycle?(info: CycleInfo): void
  /** Called with each newly applied config (after a reload), e.g. to set the log level. */
  onConfig?(config: Config): void
  /** Milliseconds a stop waits for the cycle in flight before aborting it; default 3000. */
  stopGraceMs?: number
  /** Triggers closer than this (ms) count as one; default 2000. */
  coalesceMs?: number
}

/** Default grace for the cycle in flight at a stop, in milliseconds. */
export const STOP_GRACE_MS = 3000
/** Triggers closer than this count as one (BC-33), in milliseconds. */
export const COALESCE_MS = 2000
/** How often a deferred daemon looks at the clock again, in milliseconds. */
export const CLOCK_RECHECK_MS = 10_000

const UNITS = [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const

/** `300000` → `5m`, `90500` → `1m30s`, `400` → `0.4s`. */
export function human(ms: number): string {
  if (ms < 10_000) return `${Math.round(ms / 100) / 10}s`
  let s = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [u, n] of UNITS) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`)
      s %= n
    }
  }
  return parts.join('') || '0s'
}

function countsText(r: CycleResult | undefined): string {
  if (!r) return 'failed'
  const parts = Object.entries(r.summary.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
  return parts.length ? parts.join(', ') : 'no records'
}

/** The daemon. Create it, call `run()`, and wire signals to `trigger`, `reload` and `stop`. */
export class Daemon {
  private config: Config
  private readonly o: DaemonOptions
  private readonly memo = new CycleMemo()
  private readonly random: () => number
  private reporter: Reporter | null = null
  private stopping = false
  private pending: string | undefined
  private reloadPending: string | undefined
  private lastTriggerAt: number | undefined
  private wakeCtl: AbortController | undefined
  private inflight: AbortController | undefined
  private graceTimer: ReturnType<typeof setTimeout> | undefined
  private nextCycleAt = 0
  private nextPollAt = 0
  private watchBase: string | undefined
  private deferred = false
  private cycles = 0

  constructor(opts: DaemonOptions) {
    this.o = opts
    this.config = opts.config
    this.random = opts.random ?? Math.random
  }

  /** Cycles run so far. */
  get cycleCount(): number {
    return this.cycles
  }

  /** True while a cycle runs. */
  get busy(): boolean {
    return this.inflight !== undefined
  }

  /** Asks for a cycle now (see the class comment for coalescing). `reason` names the source in the log. */
  trigger(reason: string): void {
    if (this.stopping) return
    const now = this.o.clock.now()
    const coalesce = this.o.coalesceMs ?? COALESCE_MS
    if (this.lastTriggerAt !== undefined && now - this.lastTriggerAt >= 0 && now - this.lastTriggerAt < coalesce) {
      this.o.log.info(`daemon: ${reason}: counted with the trigger ${human(now - this.lastTriggerAt)} ago`)
      return
    }
    this.lastTriggerAt = now
    if (this.pending !== undefined) {
      this.o.log.info(`daemon: ${reason}: a cycle is already queued`)
      return
    }
    this.pending = reason
    if (this.inflight) this.o.log.info(`daemon: ${reason}: a cycle is running; one more will follow`)
    else this.o.log.info(`daemon: ${reason}: running a cycle now`)
    this.wakeCtl?.abort()
  }

  /** Asks for the config to be read again, after the cycle in flight. */
  reload(reason = 'SIGHUP'): void {
    if (this.stopping) return
    this.reloadPending = reason
    if (this.inflight) this.o.log.info(`daemon: ${reason}: reloading the config after the cycle in flight`)
    this.wakeCtl?.abort()
  }

  /** Stops: the cycle in flight gets `stopGraceMs`, then is aborted; a second call aborts at once. */
  stop(reason: string): void {
    if (this.stopping) {
      if (this.inflight && !this.inflight.signal.aborted) {
        this.o.log.info(`daemon: ${reason}: aborting the cycle in flight`)
        this.inflight.abort()
      }
      return
    }
    this.stopping = true
    this.o.log.info(`daemon: ${reason}: stopping${this.inflight ? ' after the cycle in flight' : ''}`)
    this.wakeCtl?.abort()
    if (this.inflight) {
      const grace = this.o.stopGraceMs ?? STOP_GRACE_MS
      this.graceTimer = setTimeout(() => {
        if (this.inflight && !this.inflight.signal.aborted) {
          this.o.log.warn(`daemon: the cycle in flight did not end within ${human(grace)}; aborting it`)
          this.inflight.abort()
        }
      }, grace)
    }
  }

  /** Runs until `stop()`. Never throws; a bug inside a cycle is logged and the loop goes on. */
  async run(): Promise<void> {
    const { clock, log } = this.o
    await this.openReporter()
    this.nextCycleAt = clock.now()
    this.resetWatch()
    while (!this.stopping) {
      if (this.reloadPending !== undefined) await this.applyReload()
      if (this.stopping) break
      const now = clock.now()
      if (this.pending !== undefined || now >= this.nextCycleAt) {
        if (now < this.o.buildTimeMs) {
          if (!this.deferred) {
            log.warn(`daemon: clock not synchronised yet (${new Date(now).toISOString()} is before this build); deferring cycles, nothing is sent until it is`)
            this.deferred = true
          }
          await this.sleepUntil(now + CLOCK_RECHECK_MS)
          continue
        }
        if (this.deferred) {
          log.info(`daemon: clock synchronised (${new Date(now).toISOString()}); running the deferred cycle`)
          this.deferred = false
        }
        const reason = this.pending ?? (this.cycles === 0 ? 'start' : 'timer')
        this.pending = undefined
        await this.cycle(reason)
        continue
      }
      const watching = this.watchBase !== undefined
      if (watching && now >= this.nextPollAt) {
        this.poll(now)
        continue
      }
      await this.sleepUntil(watching ? Math.min(this.nextCycleAt, this.nextPollAt) : this.nextCycleAt)
    }
    if (this.graceTimer) clearTimeout(this.graceTimer)
    this.o.store.save()
    if (this.reporter) await this.reporter.close()
    log.info(`daemon: stopped after ${this.cycles} cycle${this.cycles === 1 ? '' : 's'}`)
  }

  private async sleepUntil(at: number): Promise<void> {
    // One controller serves every sleep until a wake-up uses it. Node 20 builds each AbortSignal
    // with Object.setPrototypeOf and then adds fields, so every signal gets hidden classes of its
    // own: 400-650 bytes of old-generation heap (measured), most of what a quiet cycle left there.
    // The loop checks for work before it sleeps, so a wake-up that finds no sleeper loses nothing.
    if (!this.wakeCtl || this.wakeCtl.signal.aborted) this.wakeCtl = new AbortController()
    await this.o.clock.sleep(at - this.o.clock.now(), this.wakeCtl.signal)
  }

  private nextWait(): number {
    const d = daemonSettings(this.config)
    return Math.max(0, Math.round(d.intervalMs + (this.random() - 0.5) * d.jitterMs))
  }

  private async cycle(reason: string): Promise<void> {
    const { clock, log, store } = this.o
    const config = this.config
    const ac = new AbortController()
    this.inflight = ac
    // Wall time on purpose: the deadline guards against a hung peer, which a fake clock cannot see.
    const deadline = setTimeout(() => ac.abort(), config.timeouts.runMs)
    const started = clock.now()
    let result: CycleResult | undefined
    try {
      const ctx = this.o.makeCtx(config, ac.signal)
      result = await runCycle(config, ctx, {
        store,
        policy: stateSettings(config),
        random: this.random,
        memo: this.memo,
        interrupted: () => this.stopping,
        ...(this.o.detect ? { detect: this.o.detect } : {}),
      })
    } catch (e) {
      const err = toEdgeError(e)
      log.error(`daemon: cycle failed: ${err.message}`)
    } finally {
      clearTimeout(deadline)
      if (this.graceTimer) clearTimeout(this.graceTimer)
      this.graceTimer = undefined
      this.inflight = undefined
    }
    store.save()
    this.cycles++
    this.nextCycleAt = clock.now() + this.nextWait()
    const next = human(this.nextCycleAt - clock.now())
    const counts = countsText(result)
    const took = human(clock.now() - started)
    if (this.cycles === 1) {
      log.info(`daemon: ready: first cycle done in ${took} (${counts}); next cycle in ${next}`)
    } else {
      const s = result?.summary.counts
      const news = !result || reason !== 'timer' || (s !== undefined && s.updated + s.created + s.failed + s.missing > 0)
      log[news ? 'info' : 'debug'](`daemon: cycle done (${reason}) in ${took}: ${counts}; ${result?.asked ?? 0} asked the provider; next in ${next}`)
    }
    if (result && this.reporter) await this.reporter.publish(result.summary, config)
    this.o.onCycle?.({ n: this.cycles, reason, ...(result ? { result } : {}), nextAt: this.nextCycleAt })
  }

  private async applyReload(): Promise<void> {
    const reason = this.reloadPending ?? 'reload'
    this.reloadPending = undefined
    let next: Config
    try {
      next = await this.o.reload()
    } catch (e) {
      const err = toEdgeError(e)
      this.o.log.error(`daemon: ${reason}: the new config is invalid; keeping the previous one: ${err.message}`)
      return
    }
    const oldMqtt = JSON.stringify(this.config.extra.mqtt ?? null)
    if (stateSettings(next).dir !== stateSettings(this.config).dir) {
      this.o.log.warn(`daemon: ${reason}: [state] dir changed; this daemon keeps using ${this.o.store.dir} (a restart applies the change, unless --state-dir overrides it)`)
    }
    this.config = next
    this.o.onConfig?.(next)
    this.o.log.info(`daemon: ${reason}: config reloaded${next.file ? ` from ${next.file}` : ''} (${next.domains.length} ${next.domains.length === 1 ? 'domain entry' : 'domain entries'})`)
    if (JSON.stringify(next.extra.mqtt ?? null) !== oldMqtt) {
      if (this.reporter) await this.reporter.close()
      this.reporter = null
      await this.openReporter()
    }
    this.resetWatch()
    // New records should not wait for the interval; not a trigger, so never coalesced away.
    this.pending ??= reason
  }

  private async openReporter(): Promise<void> {
    if (!this.o.reporter) return
    try {
      this.reporter = await this.o.reporter(this.config, () => this.trigger('mqtt "Update now"'))
    } catch (e) {
      this.o.log.warn(`daemon: reporting disabled: ${toEdgeError(e).message}`)
      this.reporter = null
    }
  }

  private resetWatch(): void {
    const d = daemonSettings(this.config)
    const families = familiesOf(this.config)
    if (!d.watch || this.config.domains.length === 0 || interfaceSources(this.config, families).length === 0) {
      this.watchBase = undefined
      return
    }
    this.watchBase = probeInterfaces(this.config, families, this.o.interfaceReaders)
    this.nextPollAt = this.o.clock.now() + d.watchEveryMs
  }

  private poll(now: number): void {
    const d = daemonSettings(this.config)
    this.nextPollAt = now + d.watchEveryMs
    const seen = probeInterfaces(this.config, familiesOf(this.config), this.o.interfaceReaders)
    if (seen === this.watchBase) return
    this.o.log.info('daemon: watch: an interface address changed')
    this.o.log.debug(`daemon: watch: ${this.watchBase ?? ''} -> ${seen}`)
    this.watchBase = seen
    this.trigger('watch')
  }
}
