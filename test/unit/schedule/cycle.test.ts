import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EdgeError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { FakeClock } from '../../../src/schedule/clock.js'
import { stateSettings } from '../../../src/schedule/config.js'
import { runCycle } from '../../../src/schedule/cycle.js'
import { StateStore, recordKey } from '../../../src/schedule/state.js'
import { configWith, DAY, fakeCtx, fakeEntry, fakeProvider, fixedDetect, HOUR, MIN, T0, tempDir } from './support.js'

// State-aware cycles, one at a time, on a fake clock and a counting fake provider.

const IP = '192.0.2.10'
const OLD = '198.51.100.1'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

function world(opts: { read?: 'api' | 'dns'; lagging?: boolean; state?: Record<string, unknown>; initial?: string } = {}) {
  const clock = new FakeClock(T0)
  const redactor = new Redactor()
  const fake = fakeProvider(clock, { read: opts.read ?? 'api', lagging: opts.lagging ?? false, initial: { 'home.example.com/A': [opts.initial ?? OLD] } })
  let entry = fakeEntry(fake.def, ['home.example.com'], { redactor })
  const detect = fixedDetect({ 4: IP })
  let config = configWith([entry], { state: opts.state ?? {} })
  const ctx = fakeCtx(clock, { redactor })
  const store = StateStore.open({ dir: tmp.dir, log: ctx.log, now: () => clock.now() })
  const cycle = (o: { force?: boolean; dryRun?: boolean } = {}) =>
    runCycle(config, ctx, { store, policy: stateSettings(config), detect, random: () => 0.5, ...o })
  return {
    clock,
    fake,
    ctx,
    store,
    detect,
    cycle,
    key: () => recordKey(entry.account, entry.records[0]!),
    setSecret(secret: string) {
      entry = fakeEntry(fake.def, ['home.example.com'], { redactor, secret })
      config = configWith([entry], { state: opts.state ?? {} })
    },
  }
}

describe('state-aware cycles', () => {
  it('BC-05: an unchanged address verified less than verify_every ago costs no provider call', async () => {
    const w = world()
    const first = await w.cycle()
    expect(first.summary.records[0]).toMatchObject({ status: 'updated', value: IP })
    expect(w.fake.calls.map((c) => c.op)).toEqual(['read', 'write'])
    for (let i = 1; i < 12; i++) {
      await w.clock.advance(5 * MIN)
      const r = await w.cycle()
      expect(r.summary.records[0]).toMatchObject({ status: 'unchanged', value: IP })
      expect(r.asked).toBe(0)
    }
    expect(w.fake.calls).toHaveLength(2)
    // verify_every (1 h) after the write: read again, no write (the value is right).
    await w.clock.advance(5 * MIN)
    const r = await w.cycle()
    expect(r.asked).toBe(1)
    expect(w.fake.calls.map((c) => c.op)).toEqual(['read', 'write', 'read'])
    expect(w.fake.calls[2]!.at - w.fake.calls[0]!.at).toBeGreaterThanOrEqual(HOUR)
  })

  it('after verify_every an edit made elsewhere is read and corrected', async () => {
    const w = world({ state: { verify_every: '30m' } })
    await w.cycle()
    w.fake.records.set('home.example.com/A', ['203.0.113.99'])
    await w.clock.advance(20 * MIN)
    expect((await w.cycle()).asked).toBe(0)
    await w.clock.advance(10 * MIN)
    const r = await w.cycle()
    expect(r.summary.records[0]).toMatchObject({ status: 'updated', previous: ['203.0.113.99'], value: IP })
    expect(w.fake.writes()).toHaveLength(2)
  })

  it('a new address is written at once, whatever verify_every says', async () => {
    const w = world()
    await w.cycle()
    await w.clock.advance(5 * MIN)
    w.detect.set({ 4: '192.0.2.11' })
    const r = await w.cycle()
    expect(r.summary.records[0]).toMatchObject({ status: 'updated', value: '192.0.2.11' })
    expect(w.fake.writes().map((c) => c.values)).toEqual([[IP], ['192.0.2.11']])
  })

  it('push-only providers are not pushed again while the address is unchanged, even when DNS still shows the old answer', async () => {
    const w = world({ read: 'dns', lagging: true, state: { verify_every: '1m' } })
    await w.cycle()
    expect(w.fake.writes()).toHaveLength(1)
    // DNS (lagging) still answers the old address; hours pass, past verify_every many times.
    for (let i = 0; i < 24; i++) {
      await w.clock.advance(HOUR)
      const r = await w.cycle()
      expect(r.summary.records[0]?.status).toBe('unchanged')
    }
    expect(w.fake.writes()).toHaveLength(1)
    expect(w.fake.reads()).toHaveLength(1)
  })

  it('force_update_after writes the same address again after that long, and not before', async () => {
    const w = world({ state: { force_update_after: '25d', verify_every: '1d' }, initial: IP })
    await w.cycle()
    expect(w.fake.writes()).toHaveLength(0)
    for (let d = 1; d <= 30; d++) {
      await w.clock.advance(DAY)
      await w.cycle()
    }
    // The record was only confirmed (never written) at T0, so the keep-alive counts from then.
    expect(w.fake.writes().map((c) => c.at)).toEqual([T0 + 25 * DAY])
    expect(w.fake.writes()[0]?.values).toEqual([IP])
  })

  it('BC-06: a 429 with Retry-After 60 holds every call to that account for 60 s, recorded in the state', async () => {
    const w = world()
    w.fake.script({ op: 'read', error: new EdgeError('ratelimit', 'fake: HTTP 429: slow down', { retryAfterSec: 60 }) })
    const r = await w.cycle()
    expect(r.summary.records[0]?.status).toBe('failed')
    expect(r.summary.exitCode).toBe(1)
    expect(w.store.holdOf('fake:api.example:user1', w.clock.now())?.until).toBe(T0 + 60_000)
    for (const dt of [10_000, 20_000, 29_000]) {
      await w.clock.advance(dt)
      const again = await w.cycle()
      expect(again.summary.records[0]?.error).toMatch(/^held: no call to fake before 2026-03-01T00:01:00.000Z/)
    }
    expect(w.fake.calls).toHaveLength(1)
    await w.clock.advance(1_000)
    await w.cycle()
    expect(w.fake.calls.map((c) => c.at - T0)).toEqual([0, 60_000, 60_000])
  })

  it.each([
    ['abuse', new EdgeError('provider', 'dyndns2: abuse', { code: 'abuse', retryable: false })],
    ['badauth', new EdgeError('auth', 'dyndns2: badauth', { code: 'badauth', retryable: false })],
    ['a 403', new EdgeError('forbidden', 'HTTP 403 ACCESS_DENIED', { retryable: false })],
  ])('BC-02: after %s the record is stopped: no further calls until its config changes', async (_n, error) => {
    const w = world()
    w.fake.script({ op: 'write', error })
    await w.cycle()
    expect(w.fake.calls.map((c) => c.op)).toEqual(['read', 'write'])
    expect(w.store.get(w.key())?.blocked).toMatchObject({ kind: error.kind })
    for (let i = 0; i < 100; i++) {
      await w.clock.advance(HOUR)
      const r = await w.cycle()
      expect(r.summary.records[0]).toMatchObject({ status: 'failed' })
      expect(r.summary.records[0]?.error).toMatch(/^stopped since .*change this entry in the config/)
    }
    expect(w.fake.calls).toHaveLength(2)
    // New credentials: tried again.
    w.setSecret('fake-secret-0002')
    const r = await w.cycle()
    expect(r.summary.records[0]?.status).toBe('updated')
    expect(w.fake.calls).toHaveLength(4)
    expect(w.ctx.lines).toContain('info: home.example.com A: its credentials changed since it was stopped (' + error.kind + '); trying again')
  })

  it('the state never holds a secret, only salted hashes', async () => {
    const w = world()
    w.fake.script({ op: 'read', error: new EdgeError('auth', 'bad token', { retryable: false }) })
    await w.cycle()
    w.store.save()
    const text = JSON.stringify(w.store.toJSON())
    expect(text).not.toContain('fake-secret-0001')
    expect(w.store.get(w.key())?.blocked?.secretHash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('transient failures back off exponentially, capped at backoff_max', async () => {
    const w = world({ state: { backoff_max: '10m' } })
    w.fake.script({ op: 'read', error: new EdgeError('transient', 'HTTP 503'), times: 6 })
    const gaps: number[] = []
    let last = w.clock.now()
    for (let i = 0; i < 200 && w.fake.reads().length < 7; i++) {
      await w.clock.advance(10_000)
      const before = w.fake.reads().length
      await w.cycle()
      if (w.fake.reads().length > before) {
        gaps.push(w.clock.now() - last)
        last = w.clock.now()
      }
    }
    // random() is 0.5: each wait is 3/4 of 1, 2, 4, 8 min, then the 10-minute cap (rounded up to the 10 s steps).
    expect(gaps.slice(0, 5)).toEqual([10_000, 50_000, 90_000, 180_000, 360_000])
    expect(gaps[5]).toBe(450_000)
    expect(w.fake.writes()).toHaveLength(1)
  })

  it('BC-34: a failed write is not trusted: the next cycle reads before deciding', async () => {
    const w = world()
    await w.cycle()
    await w.clock.advance(5 * MIN)
    w.detect.set({ 4: '192.0.2.11' })
    w.fake.script({ op: 'write', error: new EdgeError('transient', 'timeout') })
    await w.cycle()
    // Back to the old address, which the state holds as published: still read (not verified).
    w.detect.set({ 4: IP })
    await w.clock.advance(5 * MIN)
    const r = await w.cycle()
    expect(r.asked).toBe(1)
  })

  it('run --force ignores the state once and records the result', async () => {
    const w = world()
    await w.cycle()
    await w.clock.advance(MIN)
    const forced = await w.cycle({ force: true })
    expect(forced.asked).toBe(1)
    expect(w.fake.reads()).toHaveLength(2)
    expect(w.store.get(w.key())?.verified).toBe(T0 + MIN)
  })

  it('a dry run neither uses nor changes the state', async () => {
    const w = world()
    const r = await w.cycle({ dryRun: true })
    expect(r.asked).toBe(1)
    expect(w.store.records.size).toBe(0)
  })
})

describe('a record the provider does not have', () => {
  function missingWorld(opts: { create?: boolean } = {}) {
    const clock = new FakeClock(T0)
    const redactor = new Redactor()
    const fake = fakeProvider(clock, { initial: {} })
    let entry = fakeEntry(fake.def, ['home.example.com'], { redactor, create: opts.create ?? false })
    let config = configWith([entry], { state: {} })
    const ctx = fakeCtx(clock, { redactor })
    const store = StateStore.open({ dir: tmp.dir, log: ctx.log, now: () => clock.now() })
    let detect = fixedDetect({ 4: IP })
    return {
      clock,
      fake,
      ctx,
      store,
      cycle: () => runCycle(config, ctx, { store, policy: stateSettings(config), detect, random: () => 0.5 }),
      rec: () => store.get(recordKey(entry.account, entry.records[0]!)),
      setCreate(create: boolean) {
        entry = fakeEntry(fake.def, ['home.example.com'], { redactor, create })
        config = configWith([entry], { state: {} })
      },
      /** Replaces the entry: another secret, or extra settings (as a fixed base_url would be). */
      setEntry(o: { secret?: string; settings?: Record<string, unknown> }) {
        const e = fakeEntry(fake.def, ['home.example.com'], { redactor, ...(o.secret !== undefined ? { secret: o.secret } : {}) })
        entry = { ...e, settings: { ...(e.settings as Record<string, unknown>), ...o.settings } }
        config = configWith([entry], { state: {} })
      },
      setAddress(ip: string) {
        detect = fixedDetect({ 4: ip })
      },
    }
  }

  it('is missing on every cycle, never failed: no failure counted, no back-off, read again after verify_every', async () => {
    const w = missingWorld()
    const first = await w.cycle()
    expect(first.summary.records[0]).toMatchObject({ status: 'missing', value: IP })
    expect(first.summary.counts).toMatchObject({ missing: 1, failed: 0 })
    expect(w.rec()).toMatchObject({ missing: T0, failures: 0, answer: 'missing: no such record at fake' })
    expect(w.rec()).not.toHaveProperty('retry')
    expect(w.rec()).not.toHaveProperty('error')
    expect(w.rec()).not.toHaveProperty('value')
    for (let i = 1; i < 12; i++) {
      await w.clock.advance(5 * MIN)
      const r = await w.cycle()
      expect(r.summary.records[0]).toMatchObject({ status: 'missing', value: IP })
      expect(r.summary.records[0]).not.toHaveProperty('error')
      expect(r.asked).toBe(0)
      expect(w.rec()?.failures).toBe(0)
    }
    expect(w.fake.reads()).toHaveLength(1)
    await w.clock.advance(5 * MIN)
    const again = await w.cycle()
    expect(again.asked).toBe(1)
    expect(again.summary.records[0]).toMatchObject({ status: 'missing' })
    expect(w.fake.reads()).toHaveLength(2)
    expect(w.rec()).toMatchObject({ missing: T0 + HOUR, failures: 0 })
    expect(w.fake.writes()).toHaveLength(0)
  })

  it.each([
    ['its settings changed (a fixed zone or base URL)', { settings: { base_url: 'https://api2.example' } }],
    ['its credentials changed', { secret: 'fake-secret-0002' }],
  ])('is read again at the next cycle when %s, not an hour later', async (_n, change) => {
    const w = missingWorld()
    await w.cycle()
    await w.clock.advance(5 * MIN)
    expect((await w.cycle()).asked).toBe(0)
    w.setEntry(change)
    // The user fixed the entry: the record is there for the new settings.
    w.fake.records.set('home.example.com/A', [OLD])
    await w.clock.advance(5 * MIN)
    const r = await w.cycle()
    expect(r.asked).toBe(1)
    expect(r.summary.records[0]).toMatchObject({ status: 'updated', previous: [OLD], value: IP })
    expect(w.rec()).not.toHaveProperty('missing')
    expect(w.rec()).not.toHaveProperty('missingFor')
  })

  it('is read again at the next cycle when the address to publish changed; the new read is kept for the new address', async () => {
    const w = missingWorld()
    await w.cycle()
    expect(w.rec()?.missingFor).toMatchObject({ value: IP })
    w.setAddress('192.0.2.77')
    await w.clock.advance(5 * MIN)
    const r = await w.cycle()
    expect(r.asked).toBe(1)
    expect(r.summary.records[0]).toMatchObject({ status: 'missing', value: '192.0.2.77' })
    expect(w.fake.reads()).toHaveLength(2)
    expect(w.rec()).toMatchObject({ missing: T0 + 5 * MIN, missingFor: { value: '192.0.2.77' } })
    // Unchanged from then on: answered from the state again.
    await w.clock.advance(5 * MIN)
    expect((await w.cycle()).asked).toBe(0)
    expect(w.fake.reads()).toHaveLength(2)
  })

  it('a missing read kept without what it was for (an older state file) is read again', async () => {
    const w = missingWorld()
    await w.cycle()
    const rec = w.rec()!
    delete rec.missingFor
    await w.clock.advance(5 * MIN)
    expect((await w.cycle()).asked).toBe(1)
    expect(w.rec()?.missingFor).toMatchObject({ value: IP })
  })

  it('what a missing read was for survives a save and a load', async () => {
    const w = missingWorld()
    await w.cycle()
    w.store.save()
    const again = StateStore.open({ dir: tmp.dir, log: w.ctx.log, now: () => w.clock.now() })
    const rec = [...again.records.values()][0]
    expect(rec?.missingFor).toEqual(w.rec()?.missingFor)
    expect(rec?.missingFor?.configHash).toMatch(/^[0-9a-f]{16}$/)
  })

  it('once the user creates it, the next read after verify_every puts the address there', async () => {
    const w = missingWorld()
    await w.cycle()
    w.fake.records.set('home.example.com/A', [OLD])
    await w.clock.advance(HOUR)
    const r = await w.cycle()
    expect(r.summary.records[0]).toMatchObject({ status: 'updated', previous: [OLD], value: IP })
    expect(w.rec()).toMatchObject({ value: IP, written: T0 + HOUR, changed: T0 + HOUR })
    expect(w.rec()).not.toHaveProperty('missing')
  })

  it('with create = true it is created on the first cycle; turning create on later creates it at once', async () => {
    const created = missingWorld({ create: true })
    const r = await created.cycle()
    expect(r.summary.records[0]).toMatchObject({ status: 'created', value: IP })
    expect(created.fake.records.get('home.example.com/A')).toEqual([IP])

    const w = missingWorld()
    await w.cycle()
    w.setCreate(true)
    await w.clock.advance(5 * MIN)
    const now = await w.cycle()
    expect(now.summary.records[0]).toMatchObject({ status: 'created', value: IP })
    expect(w.rec()).toMatchObject({ value: IP, written: T0 + 5 * MIN })
    expect(w.rec()).not.toHaveProperty('missing')
  })

  it('ends a run of failures without counting one', async () => {
    const w = missingWorld()
    w.fake.script({ op: 'read', error: new EdgeError('transient', 'fake: timed out'), times: 2 })
    expect((await w.cycle()).summary.records[0]).toMatchObject({ status: 'failed' })
    expect(w.rec()?.failures).toBe(1)
    await w.clock.advance(HOUR)
    expect((await w.cycle()).summary.records[0]).toMatchObject({ status: 'failed' })
    expect(w.rec()?.failures).toBe(2)
    await w.clock.advance(HOUR)
    expect((await w.cycle()).summary.records[0]).toMatchObject({ status: 'missing' })
    expect(w.rec()).toMatchObject({ failures: 0, missing: T0 + 2 * HOUR })
    expect(w.rec()).not.toHaveProperty('retry')
  })
})

describe('a first read is a sighting, not a change', () => {
  it('sets seen but not changed; a later write sets changed', async () => {
    const w = world({ initial: IP })
    const first = await w.cycle()
    expect(first.summary.records[0]).toMatchObject({ status: 'unchanged', value: IP })
    expect(w.store.get(w.key())).toMatchObject({ value: IP, seen: T0, verified: T0 })
    expect(w.store.get(w.key())).not.toHaveProperty('changed')
    expect(w.store.get(w.key())).not.toHaveProperty('written')
    await w.clock.advance(5 * MIN)
    w.detect.set({ 4: '192.0.2.11' })
    await w.cycle()
    expect(w.store.get(w.key())).toMatchObject({ value: '192.0.2.11', changed: T0 + 5 * MIN, written: T0 + 5 * MIN, seen: T0 + 5 * MIN })
  })

  it('a first write is a change', async () => {
    const w = world()
    await w.cycle()
    expect(w.store.get(w.key())).toMatchObject({ value: IP, changed: T0, written: T0 })
  })

  it('a read showing another address than the known one is a change', async () => {
    const w = world({ initial: IP })
    await w.cycle()
    // Someone else puts the address there too, after it moved: edge-ddns reads it, writes nothing.
    w.detect.set({ 4: '192.0.2.11' })
    w.fake.records.set('home.example.com/A', ['192.0.2.11'])
    await w.clock.advance(5 * MIN)
    expect((await w.cycle()).summary.records[0]).toMatchObject({ status: 'unchanged', value: '192.0.2.11' })
    expect(w.store.get(w.key())).toMatchObject({ value: '192.0.2.11', changed: T0 + 5 * MIN })
    expect(w.store.get(w.key())).not.toHaveProperty('written')
  })
})
