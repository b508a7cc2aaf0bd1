import { ConfigError } from '../errors.js'
import type { Family } from '../providers/types.js'
import type { LogLevel } from '../report/log.js'
import { typeName, type Table } from './fields.js'

/**
 * What it takes for a dness.conf to work unchanged (dness: github.com/nickbabcock/dness, its
 * `src/config.rs` and README). dness's keys are `ip_resolver`, `[log] level` and `[[domains]]`
 * with `type`, `ip_types` and the provider's keys; they mean the same here. The helpers below map
 * dness's values onto edge-ddns's, and accept what dness accepts (its parsers ignore case).
 */

/**
 * dness's log levels (Rust `log::LevelFilter`, any case) onto edge-ddns's four.
 * `Trace` is shown as `debug` (there is nothing more verbose); `Off` as `error`, because a service
 * that hides its own errors helps nobody.
 */
const DNESS_LOG_LEVELS: Readonly<Record<string, LogLevel>> = {
  off: 'error',
  error: 'error',
  warn: 'warn',
  warning: 'warn',
  info: 'info',
  debug: 'debug',
  trace: 'debug',
}

/**
 * `[log] level`: `Off`, `Error`, `Warn`, `Info`, `Debug` or `Trace`, any case.
 * @throws ConfigError naming `path`.
 */
export function parseLogLevel(v: unknown, path: string): LogLevel {
  if (typeof v !== 'string') throw new ConfigError(path, `expected a string such as "Info", got ${typeName(v)}`)
  const name = v.trim().toLowerCase()
  const level = Object.hasOwn(DNESS_LOG_LEVELS, name) ? DNESS_LOG_LEVELS[name] : undefined
  if (level === undefined) throw new ConfigError(path, 'must be one of "Off", "Error", "Warn", "Info", "Debug", "Trace" (any case)')
  return level
}

/** dness's `ip_resolver` values; it compares them ignoring case. The default, as in dness, is opendns. */
export const DNESS_RESOLVERS: readonly string[] = ['opendns', 'ipify']

/**
 * `ip_types` of a `[[domains]]` entry: dness writes `["4"]`, `["6"]` or `["4", "6"]`; integers
 * `4`/`6` and a single value are accepted too. Duplicates collapse; the order is 4 then 6.
 * Absent: `[4]`, as in dness.
 * @throws ConfigError naming `path` (or `path[i]`).
 */
export function parseIpTypes(v: unknown, path: string): Family[] {
  if (v === undefined) return [4]
  const arr = Array.isArray(v) ? v : [v]
  if (arr.length === 0) throw new ConfigError(path, 'must name at least one address family: ["4"], ["6"] or ["4", "6"]')
  const seen = new Set<Family>()
  arr.forEach((x, i) => {
    const at = Array.isArray(v) ? `${path}[${i}]` : path
    const n = typeof x === 'string' ? x.trim().replace(/^ipv/i, '') : typeof x === 'number' || typeof x === 'bigint' ? String(x) : null
    if (n === '4') seen.add(4)
    else if (n === '6') seen.add(6)
    else throw new ConfigError(at, `must be "4" or "6"${n === null ? `, got ${typeName(x)}` : ''}`)
  })
  return ([4, 6] as const).filter((f) => seen.has(f))
}

/**
 * The provider keys of one `[[domains]]` entry as dness would read them, before the provider's
 * own `parse` sees them.
 *
 * Cloudflare: dness's CloudflareConfig once required `email`, `key` and `token` all together, and it
 * sends the token whenever it is non-empty, ignoring email and key (its README example sets all
 * three). edge-ddns's Cloudflare provider refuses token together with email/key, so here a
 * non-empty `token` drops `email` and `key`, with a warning naming the keys.
 */
export function dnessEntry(type: string, entry: Table, path: string, warn: (msg: string) => void): Table {
  if (type !== 'cloudflare') return entry
  const token = entry.token
  if (typeof token !== 'string' || token.trim() === '') return entry
  const dropped = ['email', 'key'].filter((k) => entry[k] !== undefined)
  if (dropped.length === 0) return entry
  const out: Table = { ...entry }
  for (const k of dropped) delete out[k]
  warn(`${path}: token is set, so ${dropped.join(' and ')} ${dropped.length > 1 ? 'are' : 'is'} ignored (as dness does); remove ${dropped.length > 1 ? 'them' : 'it'}`)
  return out
}
