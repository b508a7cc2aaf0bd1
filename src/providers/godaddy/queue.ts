import type { Ctx } from '../../context.js'

/**
 * One provider account's calls, one at a time, with a minimum gap between the start of one call
 * and the next (BC-06: providers throttle bursts; Porkbun's proxy answers 502/503, GoDaddy allows
 * 60 requests a minute per key).
 *
 * Queues live per run: the reconciler hands every entry of a run the same Ctx, so entries of one
 * account share a queue within a run, and nothing outlives the run. The gap is measured on the
 * monotonic clock (`performance.now()`), not `ctx.now()`: it paces real network traffic, and a test's
 * fake wall clock must not stall it. Used by the GoDaddy and Porkbun providers.
 */
export class AccountQueue {
  private tail: Promise<void> = Promise.resolve()
  private lastStart = -Infinity

  /**
   * Runs `fn` after every call queued before it has settled, and at least `minGapMs` milliseconds
   * after the previous call started. A rejected call does not block the ones after it. The wait
   * ends early when `signal` aborts (the request then fails as the HTTP client reports it).
   */
  run<T>(fn: () => Promise<T>, minGapMs: number, signal?: AbortSignal): Promise<T> {
    const result = this.tail.then(async () => {
      const wait = this.lastStart + minGapMs - performance.now()
      if (wait > 0) await sleep(wait, signal)
      this.lastStart = performance.now()
      return fn()
    })
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const done = (): void => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}

const runs = new WeakMap<Ctx, Map<string, AccountQueue>>()

/** The queue of `account` (a provider's account key, never a secret) in the run of `ctx`. */
export function accountQueue(ctx: Ctx, account: string): AccountQueue {
  let m = runs.get(ctx)
  if (!m) {
    m = new Map()
    runs.set(ctx, m)
  }
  let q = m.get(account)
  if (!q) {
    q = new AccountQueue()
    m.set(account, q)
  }
  return q
}
