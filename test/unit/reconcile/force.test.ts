import { describe, expect, it } from 'vitest'
import { reconcile } from '../../../src/reconcile/apply.js'
import { FakeClock } from '../../../src/schedule/clock.js'
import { fakeCtx, fakeEntry, fakeProvider, T0 } from '../schedule/support.js'
import { addresses } from './support.js'

// forceWrite: the keep-alive write of force_update_after, for providers that expire idle hosts.

describe('reconcile with forceWrite', () => {
  it('turns a keep of a single-valued record into a write of the same address', async () => {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': ['192.0.2.10'], 'vpn.example.com/A': ['192.0.2.10'] } })
    const entry = fakeEntry(fake.def, ['home.example.com', 'vpn.example.com'])
    const ctx = fakeCtx(clock)
    const [r] = await reconcile([entry], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false, forceWrite: (ref) => ref.fqdn === 'home.example.com' })
    expect(r!.outcomes.map((o) => o.status)).toEqual(['updated', 'unchanged'])
    expect(fake.writes().map((c) => [c.names, c.values])).toEqual([[['home.example.com/A'], ['192.0.2.10']]])
  })

  it('never rewrites a record holding other values too, and sends nothing in a dry run', async () => {
    const clock = new FakeClock(T0)
    const fake = fakeProvider(clock, { initial: { 'home.example.com/A': ['192.0.2.10', '192.0.2.99'] } })
    const entry = fakeEntry(fake.def, ['home.example.com'])
    const ctx = fakeCtx(clock)
    const [r] = await reconcile([entry], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: false, forceWrite: () => true })
    expect(r!.outcomes[0]?.status).toBe('unchanged')
    const fake2 = fakeProvider(clock, { initial: { 'home.example.com/A': ['192.0.2.10'] } })
    const [d] = await reconcile([fakeEntry(fake2.def, ['home.example.com'])], addresses({ 4: '192.0.2.10' }), ctx, { dryRun: true, forceWrite: () => true })
    expect(d!.outcomes[0]?.status).toBe('skipped')
    expect(fake.writes()).toHaveLength(0)
    expect(fake2.writes()).toHaveLength(0)
  })
})
