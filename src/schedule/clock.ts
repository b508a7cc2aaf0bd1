/**
 * Time, injected. Everything time-based in the daemon (the interval, back-off, hold-offs,
 * `verify_every`, trigger coalescing) asks a Clock, so tests and the benchmark can run 30 days in
 * milliseconds with `FakeClock`.
 *
 * Two things deliberately stay on real timers: the per-cycle deadline (`timeouts.run`) and the
 * network timeouts. They guard against a hung peer in wall time, which a fake clock cannot see.
 */

/** The time source of the scheduler. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /**
   * Resolves after `ms` milliseconds (0 or less: on the next turn of the event loop), or early
   * when `signal` aborts. Never rejects: the caller checks `signal.aborted` to tell which.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

/** The real clock: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      signal?.addEventListener('abort', done, { once: true })
    }),
}

interface Sleeper {
  at: number
  seq: number
  resolve(): void
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * A clock that moves only when told to, for tests and the benchmark.
 *
 * - Manual (default): `sleep` waits until `advance`/`advanceTo` moves the time past its end; due
 *   sleepers wake in time order, each at its own instant.
 * - `auto: true`: a discrete-event simulation for a single sleeper at a time (the daemon loop):
 *   `sleep(ms)` moves the time forward by `ms` at once and resolves on the next macrotask, so a
 *   loop that sleeps 5 minutes per cycle runs 30 days in a few seconds of real time.
 */
export class FakeClock implements Clock {
  private t: number
  private seq = 0
  private readonly sleepers: Sleeper[] = []
  private readonly auto: boolean

  /** @param startMs the initial time, milliseconds since the epoch. */
  constructor(startMs: number, opts: { auto?: boolean } = {}) {
    this.t = startMs
    this.auto = opts.auto ?? false
  }

  now(): number {
    return this.t
  }

  /** Sleepers still waiting (manual mode). */
  get pending(): number {
    return this.sleepers.length
  }

  /** When the earliest sleeper wakes, or undefined when none waits. */
  nextWake(): number | undefined {
    return this.sleepers[0]?.at
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.auto) {
      if (!signal?.aborted) this.t += Math.max(0, ms)
      return new Promise((resolve) => setImmediate(resolve))
    }
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const s: Sleeper = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve, ...(signal ? { signal } : {}) }
      if (signal) {
        s.onAbort = () => {
          const i = this.sleepers.indexOf(s)
          if (i >= 0) this.sleepers.splice(i, 1)
          resolve()
        }
        signal.addEventListener('abort', s.onAbort, { once: true })
      }
      this.sleepers.push(s)
      this.sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq)
    })
  }

  /** Sets the time without waking anyone (a clock step, e.g. NTP setting a 1970 clock). */
  set(ms: number): void {
    this.t = ms
  }

  /**
   * Moves the time forward by `ms`, waking each due sleeper at its own instant in order, and lets
   * the woken code run (a few event-loop turns) before moving on.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.t + ms)
  }

  /** Like `advance`, to an absolute time. */
  async advanceTo(target: number): Promise<void> {
    for (;;) {
      const s = this.sleepers[0]
      if (!s || s.at > target) break
      this.sleepers.shift()
      this.t = Math.max(this.t, s.at)
      if (s.signal && s.onAbort) s.signal.removeEventListener('abort', s.onAbort)
      s.resolve()
      await settle()
    }
    this.t = Math.max(this.t, target)
    await settle()
  }
}

/** Lets pending promise callbacks and immediates run: a few turns of the event loop. */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}
