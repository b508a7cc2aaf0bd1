import { describe, expect, it } from 'vitest'
import { FakeClock, settle, systemClock } from '../../../src/schedule/clock.js'

describe('FakeClock', () => {
  it('manual: sleepers wake in time order, each at its own instant', async () => {
    const c = new FakeClock(1000)
    const woke: [string, number][] = []
    void c.sleep(300).then(() => woke.push(['b', c.now()]))
    void c.sleep(100).then(() => woke.push(['a', c.now()]))
    void c.sleep(5000).then(() => woke.push(['c', c.now()]))
    await c.advance(1000)
    expect(woke).toEqual([
      ['a', 1100],
      ['b', 1300],
    ])
    expect(c.now()).toBe(2000)
    expect(c.pending).toBe(1)
    expect(c.nextWake()).toBe(6000)
  })

  it('manual: an abort wakes a sleeper early and drops it', async () => {
    const c = new FakeClock(0)
    const ac = new AbortController()
    let done = false
    void c.sleep(60_000, ac.signal).then(() => (done = true))
    await settle()
    expect(done).toBe(false)
    ac.abort()
    await settle()
    expect(done).toBe(true)
    expect(c.pending).toBe(0)
    expect(c.now()).toBe(0)
  })

  it('auto: each sleep moves the time at once (a loop runs 30 days in no time)', async () => {
    const c = new FakeClock(0, { auto: true })
    for (let i = 0; i < 30 * 288; i++) await c.sleep(300_000)
    expect(c.now()).toBe(30 * 86_400_000)
  })
})

describe('systemClock', () => {
  it('sleep ends early on abort and never rejects', async () => {
    const ac = new AbortController()
    const p = systemClock.sleep(60_000, ac.signal)
    ac.abort()
    await expect(p).resolves.toBeUndefined()
  })
})
