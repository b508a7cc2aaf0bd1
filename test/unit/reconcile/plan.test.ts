import { describe, expect, it } from 'vitest'
import type { DomainEntry } from '../../../src/config/types.js'
import { EdgeError } from '../../../src/errors.js'
import type { Current, ProviderDef, RecordRef } from '../../../src/providers/types.js'
import { canonicalAddress, noAddressReason, planEntry } from '../../../src/reconcile/plan.js'
import { addresses } from './support.js'

const A: RecordRef = { fqdn: 'home.example.com', type: 'A' }
const AAAA: RecordRef = { fqdn: 'home.example.com', type: 'AAAA' }

function entry(records: RecordRef[], create = false): DomainEntry {
  return {
    index: 0,
    path: 'domains[0]',
    type: 'test',
    def: {} as ProviderDef,
    settings: {},
    families: [4, 6],
    create,
    records,
    account: 'test',
  }
}

const present = (...values: string[]): Current => ({ kind: 'present', values })
const absent: Current = { kind: 'absent' }
const failed = (msg: string): Current => ({ kind: 'failed', error: new EdgeError('transient', msg) })

describe('planEntry', () => {
  it.each([
    ['BC-34: equal value → keep (nothing sent)', present('192.0.2.10'), false, 'keep'],
    ['one other value → update', present('192.0.2.1'), false, 'update'],
    ['BC-34: absent and create = true → create', absent, true, 'create'],
    ['absent and create = false → missing (dness)', absent, false, 'missing'],
    ['BC-34: read failed → fail, never create', failed('HTTP 500'), true, 'fail'],
    ['present without values counts as absent', present(), true, 'create'],
  ])('%s', (_name, cur, create, kind) => {
    const [a] = planEntry(entry([A], create), addresses({ 4: '192.0.2.10' }), [cur])
    expect(a!.kind).toBe(kind)
    expect(a!.ref).toBe(A)
  })

  it('update carries the value and what the provider held', () => {
    const cur = present('192.0.2.1')
    const [a] = planEntry(entry([A]), addresses({ 4: '192.0.2.10' }), [cur])
    expect(a).toEqual({ kind: 'update', ref: A, value: '192.0.2.10', current: cur })
  })

  it('a failed read keeps its error', () => {
    const cur = failed('cloudflare: HTTP 500 from api.cloudflare.com')
    const [a] = planEntry(entry([A]), addresses({ 4: '192.0.2.10' }), [cur])
    expect(a).toMatchObject({ kind: 'fail', value: '192.0.2.10', error: { message: 'cloudflare: HTTP 500 from api.cloudflare.com' } })
  })

  it('BC-12: no IPv4 address → skip with the reason, whatever the provider holds', () => {
    const acts = planEntry(entry([A, AAAA]), addresses({ 4: null, 6: '2001:db8::10' }), [undefined, present('2001:db8::1')])
    expect(acts[0]).toEqual({ kind: 'skip', ref: A, family: 4, reason: 'no IPv4 address detected: http:ipify: HTTP 503 from api.ipify.org' })
    expect(acts[1]).toMatchObject({ kind: 'update', value: '2001:db8::10' })
  })

  it('BC-12: a family that was not detected at all is skipped too', () => {
    const [a] = planEntry(entry([AAAA]), addresses({ 4: '192.0.2.10' }), [undefined])
    expect(a).toMatchObject({ kind: 'skip', reason: 'no IPv6 address detected: IPv6 was not detected this run' })
  })

  it('IPv6 values compare in canonical form', () => {
    const [a] = planEntry(entry([AAAA]), addresses({ 6: '2001:DB8:0:0::10' }), [present('2001:db8::10')])
    expect(a!.kind).toBe('keep')
  })

  it('several values including the desired one → keep, the others named in a warning and left alone', () => {
    const [a] = planEntry(entry([A]), addresses({ 4: '192.0.2.10' }), [present('192.0.2.9', '192.0.2.10')])
    expect(a).toMatchObject({ kind: 'keep', warnings: ['also holds 192.0.2.9, left alone (edge-ddns never deletes records)'] })
  })

  it('several values, none the desired one → fail with a conflict, no write', () => {
    const [a] = planEntry(entry([A]), addresses({ 4: '192.0.2.10' }), [present('192.0.2.1', '192.0.2.2')])
    expect(a!.kind).toBe('fail')
    const e = (a as { error: EdgeError }).error
    expect(e.kind).toBe('conflict')
    expect(e.message).toBe(
      '2 A records at home.example.com (192.0.2.1, 192.0.2.2) and none is 192.0.2.10; edge-ddns changes a name only when it holds one A record',
    )
  })

  it('never plans a write of an address of the wrong family', () => {
    const bad = { 4: { family: 4 as const, address: '2001:db8::10', attempts: [] } }
    const [a] = planEntry(entry([A]), bad, [present('192.0.2.1')])
    expect(a!.kind).toBe('fail')
    expect((a as { error: EdgeError }).error.kind).toBe('internal')
  })

  it('a record that should have been read but was not fails (a bug, never a write)', () => {
    const [a] = planEntry(entry([A]), addresses({ 4: '192.0.2.10' }), [])
    expect(a).toMatchObject({ kind: 'fail', error: { kind: 'internal' } })
  })

  it('keeps the order of entry.records', () => {
    const refs = [A, AAAA, { fqdn: 'www.example.com', type: 'A' as const }]
    const acts = planEntry(entry(refs, true), addresses({ 4: '192.0.2.10', 6: '2001:db8::10' }), [absent, present('2001:db8::10'), present('192.0.2.1')])
    expect(acts.map((a) => [a.ref.fqdn, a.ref.type, a.kind])).toEqual([
      ['home.example.com', 'A', 'create'],
      ['home.example.com', 'AAAA', 'keep'],
      ['www.example.com', 'A', 'update'],
    ])
  })

  it('noAddressReason names every source that failed', () => {
    expect(
      noAddressReason(6, {
        family: 6,
        attempts: [
          { source: 'dns:opendns', error: new EdgeError('transient', 'timed out after 2 s') },
          { source: 'http:ipify', error: new EdgeError('detect', 'not an IPv6 address') },
        ],
      }),
    ).toBe('no IPv6 address detected: dns:opendns: timed out after 2 s; http:ipify: not an IPv6 address')
    expect(noAddressReason(4, { family: 4, attempts: [] })).toBe('no IPv4 address detected: no source configured')
  })

  it.each([
    ['2001:DB8::0:10', '2001:db8::10'],
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
    ['192.0.2.1', '192.0.2.1'],
  ])('canonicalAddress(%s) = %s', (a, b) => {
    expect(canonicalAddress(a)).toBe(b)
  })
})
