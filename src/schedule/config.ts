import { ConfigError } from '../errors.js'
import type { Config } from '../config/types.js'
import { keyPath, optBool, optString, rejectUnknown, type Table } from '../config/fields.js'
import { parseDuration } from '../config/duration.js'
import type { ParseCtx } from '../providers/types.js'

/**
 * The `[state]` and `[daemon]` sections (registered in config/sections.ts).
 *
 * ```toml
 * [state]
 * dir = "/var/lib/edge-ddns"     # else --state-dir, $STATE_DIRECTORY, the daemon's default
 * verify_every = "1h"            # read a record again after this long without a change
 * force_update_after = "25d"     # write again after this long even when unchanged (default off)
 * backoff_max = "1h"             # cap of the per-record back-off after failures
 *
 * [daemon]
 * interval = "5m"                # time between cycles ("30s", "5m", "24h" or seconds)
 * jitter = "30s"                 # spread of each wait around the interval (default interval/10, at most 1m)
 * watch = true                   # interface sources: poll the addresses and run a cycle on a change
 * watch_every = "5s"             # how often to poll them
 * ```
 * Precedence for the state directory: `--state-dir`, then `[state] dir`, then
 * `$STATE_DIRECTORY`, then (daemon, status, trigger only) the default.
 */

/** The validated `[state]` section; times in milliseconds. */
export interface StateSettings {
  /** Absolute or relative path, as written. */
  dir?: string
  verifyEveryMs: number
  /** Undefined: off. */
  forceUpdateAfterMs?: number
  backoffMaxMs: number
}

/** The validated `[daemon]` section; times in milliseconds. */
export interface DaemonSettings {
  intervalMs: number
  jitterMs: number
  watch: boolean
  watchEveryMs: number
}

export const DEFAULT_VERIFY_EVERY_MS = 3_600_000
export const DEFAULT_BACKOFF_MAX_MS = 3_600_000
export const DEFAULT_INTERVAL_MS = 300_000
export const DEFAULT_WATCH_EVERY_MS = 5_000
/** Largest default jitter: one minute. */
const MAX_DEFAULT_JITTER_MS = 60_000

const STATE_KEYS = ['dir', 'verify_every', 'force_update_after', 'backoff_max'] as const
const DAEMON_KEYS = ['interval', 'jitter', 'watch', 'watch_every'] as const

const ms = (v: unknown, path: string, min: number, max?: number): number =>
  Math.round(parseDuration(v, path, { min, ...(max !== undefined ? { max } : {}) }) * 1000)

/**
 * Validates `[state]`. Light: no I/O (the directory is created when it is first used).
 * @throws ConfigError naming the key.
 */
export function parseStateSection(t: Table, path: string, _ctx?: ParseCtx): StateSettings {
  rejectUnknown(t, STATE_KEYS, path)
  const out: StateSettings = { verifyEveryMs: DEFAULT_VERIFY_EVERY_MS, backoffMaxMs: DEFAULT_BACKOFF_MAX_MS }
  const dir = optString(t, 'dir', path)
  if (dir !== undefined) {
    if (dir.includes('\0')) throw new ConfigError(keyPath(path, 'dir'), 'is not a usable path')
    out.dir = dir
  }
  if (t.verify_every !== undefined) out.verifyEveryMs = ms(t.verify_every, keyPath(path, 'verify_every'), 60, 366 * 86_400)
  const fua = t.force_update_after
  if (fua !== undefined && fua !== false && fua !== 0 && fua !== 'off') {
    if (fua === true) throw new ConfigError(keyPath(path, 'force_update_after'), 'expected a duration such as "25d", or false for off')
    // An hour at least: a shorter keep-alive is exactly the "too frequent" pattern providers ban (BC-05).
    out.forceUpdateAfterMs = ms(fua, keyPath(path, 'force_update_after'), 3600, 366 * 86_400)
  }
  if (t.backoff_max !== undefined) out.backoffMaxMs = ms(t.backoff_max, keyPath(path, 'backoff_max'), 60, 7 * 86_400)
  return out
}

/**
 * Validates `[daemon]`.
 * @throws ConfigError naming the key.
 */
export function parseDaemonSection(t: Table, path: string, _ctx?: ParseCtx): DaemonSettings {
  rejectUnknown(t, DAEMON_KEYS, path)
  const intervalMs = t.interval === undefined ? DEFAULT_INTERVAL_MS : ms(t.interval, keyPath(path, 'interval'), 1, 7 * 86_400)
  const jitterMs = t.jitter === undefined ? defaultJitterMs(intervalMs) : ms(t.jitter, keyPath(path, 'jitter'), 0)
  if (jitterMs > intervalMs) throw new ConfigError(keyPath(path, 'jitter'), `must not exceed the interval (${intervalMs / 1000}s)`)
  const watch = optBool(t, 'watch', path) ?? true
  const watchEveryMs = t.watch_every === undefined ? DEFAULT_WATCH_EVERY_MS : ms(t.watch_every, keyPath(path, 'watch_every'), 1, 3600)
  return { intervalMs, jitterMs, watch, watchEveryMs }
}

/** A tenth of the interval, at most a minute. */
export function defaultJitterMs(intervalMs: number): number {
  return Math.min(MAX_DEFAULT_JITTER_MS, Math.round(intervalMs / 10))
}

/** `[state]` of a loaded config, with defaults when the section is absent. */
export function stateSettings(config: Pick<Config, 'extra'>): StateSettings {
  const s = config.extra.state as StateSettings | undefined
  return s ?? { verifyEveryMs: DEFAULT_VERIFY_EVERY_MS, backoffMaxMs: DEFAULT_BACKOFF_MAX_MS }
}

/** `[daemon]` of a loaded config, with defaults when the section is absent. */
export function daemonSettings(config: Pick<Config, 'extra'>): DaemonSettings {
  const d = config.extra.daemon as DaemonSettings | undefined
  return d ?? { intervalMs: DEFAULT_INTERVAL_MS, jitterMs: defaultJitterMs(DEFAULT_INTERVAL_MS), watch: true, watchEveryMs: DEFAULT_WATCH_EVERY_MS }
}

