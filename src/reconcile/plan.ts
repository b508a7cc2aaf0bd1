import { isIP } from 'node:net'
import type { DomainEntry } from '../config/types.js'
import type { Addresses, FamilyResult } from '../detect/types.js'
import { EdgeError } from '../errors.js'
import type { Current, Family, RecordRef, RecordType } from '../providers/types.js'
import { canonicalAddress } from '../net/address.js'

/**
 * The planner: desired state (the detected addresses) against current state (what the provider
 * holds), per record. Pure: no I/O, no clock, no logging.
 *
 * Rules (BC-12, BC-34):
 * - no address for the record's family → `skip`, and nothing is read or written for it, ever;
 * - the read failed → `fail`, no write (a failed lookup is never taken as "absent");
 * - absent → `create` when the entry says `create = true`, else `missing` (dness behaviour);
 * - the desired address is among the values → `keep`, nothing is sent;
 * - exactly one other value → `update`;
 * - several values, none the desired one → `fail` with a conflict. edge-ddns cannot know which of
 *   them is its own, and it never deletes records, so it changes nothing and says so. When the
 *   desired address is among several values the record is kept and the others are named in a
 *   warning: they are left alone.
 */

type Present = Extract<Current, { kind: 'present' }>
type Absent = Extract<Current, { kind: 'absent' }>

/** What the reconciler will do with one record. */
export type Action =
  /** The provider already holds the address: nothing is sent. */
  | { kind: 'keep'; ref: RecordRef; value: string; current: Present; warnings?: string[] }
  /** One record holds another address: it is changed to `value`. */
  | { kind: 'update'; ref: RecordRef; value: string; current: Present }
  /** No record, and the entry says `create = true`: it is created with `value`. */
  | { kind: 'create'; ref: RecordRef; value: string; current: Absent }
  /** No record, and the entry does not create: reported missing (counts as a failure). */
  | { kind: 'missing'; ref: RecordRef; value: string; current: Absent }
  /** No address was detected for the record's family: nothing is read or written. */
  | { kind: 'skip'; ref: RecordRef; family: Family; reason: string }
  /** The record cannot be handled this run (read failed, conflict, bad address). */
  | { kind: 'fail'; ref: RecordRef; value?: string; error: EdgeError }

/** The address family of a record type. */
export function familyOf(type: RecordType): Family {
  return type === 'AAAA' ? 6 : 4
}

/** `IPv4` / `IPv6`, for messages. */
export function familyName(f: Family): string {
  return f === 6 ? 'IPv6' : 'IPv4'
}

/** The detected address of `family`, if any. */
export function addressOf(addresses: Addresses, family: Family): string | undefined {
  return addresses[family]?.address
}

/**
 * Why a family has no address, e.g. `no IPv4 address detected: http:ipify: HTTP 503 from api.ipify.org`.
 */
export function noAddressReason(family: Family, r: FamilyResult | undefined): string {
  const head = `no ${familyName(family)} address detected`
  if (!r) return `${head}: ${familyName(family)} was not detected this run`
  if (r.attempts.length === 0) return `${head}: no source configured`
  const why = r.attempts.map((a) => `${a.source}: ${a.error?.message ?? 'no address'}`).join('; ')
  return `${head}: ${why}`
}

export { canonicalAddress }

/** True when `values` holds `want` (compared canonically). */
function holds(values: string[], want: string): boolean {
  const w = canonicalAddress(want)
  return values.some((v) => canonicalAddress(v) === w)
}

/**
 * Plans one entry. `current[i]` is what the provider holds for `entry.records[i]`; it may be
 * undefined for a record whose family has no address (such records are not read).
 * Returns one Action per record, in the order of `entry.records`.
 */
export function planEntry(entry: DomainEntry, addresses: Addresses, current: ReadonlyArray<Current | undefined>): Action[] {
  return entry.records.map((ref, i) => planRecord(ref, entry.create, addresses, current[i]))
}

function planRecord(ref: RecordRef, create: boolean, addresses: Addresses, cur: Current | undefined): Action {
  const family = familyOf(ref.type)
  const value = addressOf(addresses, family)
  if (value === undefined) return { kind: 'skip', ref, family, reason: noAddressReason(family, addresses[family]) }
  if (isIP(value) !== family) {
    return {
      kind: 'fail',
      ref,
      error: new EdgeError('internal', `detected ${familyName(family)} address "${value}" is not an ${familyName(family)} address (this is a bug in edge-ddns, please report it)`),
    }
  }
  if (!cur) {
    return { kind: 'fail', ref, value, error: new EdgeError('internal', 'record was not read (this is a bug in edge-ddns, please report it)') }
  }
  switch (cur.kind) {
    case 'failed':
      return { kind: 'fail', ref, value, error: cur.error }
    case 'absent':
      return create ? { kind: 'create', ref, value, current: cur } : { kind: 'missing', ref, value, current: cur }
    case 'present': {
      if (cur.values.length === 0) {
        const absent: Absent = { kind: 'absent', ...(cur.via ? { via: cur.via } : {}), ...(cur.meta !== undefined ? { meta: cur.meta } : {}) }
        return create ? { kind: 'create', ref, value, current: absent } : { kind: 'missing', ref, value, current: absent }
      }
      if (holds(cur.values, value)) {
        const others = cur.values.filter((v) => canonicalAddress(v) !== canonicalAddress(value))
        return others.length
          ? { kind: 'keep', ref, value, current: cur, warnings: [`also holds ${others.join(', ')}, left alone (edge-ddns never deletes records)`] }
          : { kind: 'keep', ref, value, current: cur }
      }
      if (cur.values.length === 1) return { kind: 'update', ref, value, current: cur }
      return {
        kind: 'fail',
        ref,
        value,
        error: new EdgeError(
          'conflict',
          `${cur.values.length} ${ref.type} records at ${ref.fqdn} (${cur.values.join(', ')}) and none is ${value}; edge-ddns changes a name only when it holds one ${ref.type} record`,
          { retryable: false, hint: `delete the extra ${ref.type} records of ${ref.fqdn} at the provider` },
        ),
      }
    }
  }
}
