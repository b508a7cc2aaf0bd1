import type { EdgeError } from '../errors.js'

/**
 * What a failure means for the next call, and how long to wait.
 *
 * - `block`: the provider refused for a reason that only the user can fix (bad credentials, no
 *   permission, a host it does not know, content it rejects, a name held by a CNAME, dyndns2
 *   `badauth`/`abuse`/`nohost`…): the record is stopped until its config changes (BC-02, BC-23).
 *   Retrying these is what turns a typo into a ban (BC-05).
 * - `hold`: the provider said "too many" (429 with Retry-After, "too frequent"): no call to that
 *   provider account until the time it gave (BC-06). Never shorter than the back-off.
 * - `backoff`: anything else (timeouts, 5xx, a garbled answer, a missing record): per-record
 *   exponential back-off with jitter, from 1 minute up to `backoff_max` (default 1 hour).
 */
export type FailureClass = 'block' | 'hold' | 'backoff'

/** First back-off step, in milliseconds. */
export const BACKOFF_BASE_MS = 60_000
/** Hold after a rate-limit answer that gave no Retry-After, in milliseconds. */
export const DEFAULT_HOLD_MS = 60_000

/** Error kinds that stop a record until its config changes. */
export const BLOCKING_KINDS: ReadonlySet<string> = new Set(['auth', 'forbidden', 'invalid', 'notfound', 'conflict'])
/** dyndns2 answers that stop a record (BC-02), whatever kind the provider gave them. */
export const BLOCKING_CODES: ReadonlySet<string> = new Set(['badauth', 'abuse', 'badagent', 'nohost', 'notfqdn', 'numhost', '!donator'])

/** Classifies a record's failure (see FailureClass). */
export function classifyFailure(err: Pick<EdgeError, 'kind' | 'code' | 'retryable'>): FailureClass {
  const code = typeof err.code === 'string' ? err.code.toLowerCase() : undefined
  if (code !== undefined && BLOCKING_CODES.has(code)) return 'block'
  if (err.kind === 'ratelimit') return 'hold'
  if (BLOCKING_KINDS.has(err.kind) && !err.retryable) return 'block'
  return 'backoff'
}

/**
 * The wait after the `failures`-th failure in a row: 1 min, 2, 4, 8 … capped at `capMs`, with
 * "equal jitter" (a uniform value between half and all of it) so that many agents failing
 * together do not come back together.
 * @param random a uniform number in [0, 1).
 * @returns milliseconds.
 */
export function backoffMs(failures: number, capMs: number, random: () => number): number {
  const n = Math.max(1, Math.floor(failures))
  const raw = Math.min(capMs, BACKOFF_BASE_MS * 2 ** Math.min(n - 1, 30))
  return Math.round(raw / 2 + (random() * raw) / 2)
}
