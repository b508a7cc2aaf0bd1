import { ConfigError } from '../errors.js'
import { typeName } from './fields.js'

/** Seconds per unit of a duration string. */
const UNIT_SECONDS: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
}

/** Bounds for `parseDuration`, in seconds. */
export interface DurationBounds {
  /** Smallest accepted value in seconds (inclusive); default 0. */
  min?: number
  /** Largest accepted value in seconds (inclusive); default unbounded. */
  max?: number
}

/**
 * A duration from the config, in seconds.
 *
 * Accepted: a non-negative number of seconds (`30`, `1.5`), or a string of one or more
 * `<number><unit>` parts with units `ms`, `s`, `m`, `h`, `d`, `w` (`"30s"`, `"5m"`, `"24h"`,
 * `"25d"`, `"1h30m"`, `"1h 30m"`); a string of digits alone counts as seconds.
 *
 * @param path the config key, for the error (`timeouts.http`).
 * @returns seconds, possibly fractional (`"500ms"` is 0.5).
 * @throws ConfigError naming `path` for any other value, or one outside `bounds`.
 */
export function parseDuration(v: unknown, path: string, bounds: DurationBounds = {}): number {
  let seconds: number
  if (typeof v === 'number' || typeof v === 'bigint') {
    seconds = Number(v)
    if (!Number.isFinite(seconds) || seconds < 0) throw new ConfigError(path, 'must be a non-negative number of seconds')
  } else if (typeof v === 'string') {
    seconds = parseDurationString(v, path)
  } else {
    throw new ConfigError(path, `expected a duration such as 30, "30s", "5m" or "1h30m", got ${typeName(v)}`)
  }
  const min = bounds.min ?? 0
  if (seconds < min) throw new ConfigError(path, `must be at least ${formatSeconds(min)}`)
  if (bounds.max !== undefined && seconds > bounds.max) throw new ConfigError(path, `must be at most ${formatSeconds(bounds.max)}`)
  return seconds
}

function parseDurationString(raw: string, path: string): number {
  const s = raw.trim().toLowerCase()
  const bad = (): ConfigError =>
    new ConfigError(path, 'is not a duration; write seconds (30) or parts like "30s", "5m", "24h", "25d", "1h30m"')
  if (s === '') throw bad()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s)
  // Parts follow each other with optional spaces; `ms` must be tried before `m`.
  const part = /\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y
  let total = 0
  let pos = 0
  while (pos < s.length) {
    part.lastIndex = pos
    const m = part.exec(s)
    if (!m) throw bad()
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!
    pos = part.lastIndex
    // Trailing spaces after the last part are fine.
    if (/^\s*$/.test(s.slice(pos))) break
  }
  // Sums of fractional units (0.001 × n) drift; round to the millisecond.
  return Math.round(total * 1000) / 1000
}

/** `90` → `1m30s`, `0.5` → `500ms`: for messages. */
export function formatSeconds(sec: number): string {
  if (sec < 1 && sec > 0) return `${Math.round(sec * 1000)}ms`
  let rest = Math.round(sec)
  if (rest === 0) return '0s'
  const out: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size)
    if (n > 0) {
      out.push(`${n}${unit}`)
      rest -= n * size
    }
  }
  return out.join('')
}
