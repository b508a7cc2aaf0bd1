import { isIP } from 'node:net'
import { EdgeError } from '../../errors.js'
import type { Change, Family, Outcome } from '../types.js'
import { canonicalAddress } from '../../net/address.js'

/**
 * Outcomes of push-only writes. A push-only service answers per request, not per record; these
 * helpers turn that answer into one Outcome per Change.
 *
 * A Change with `create = true` (the entry says `create = true` and DNS showed no record) is sent
 * like any other: push-only services create nothing on their own, but most of them add the A or
 * AAAA record of a host that exists in the account (No-IP, Dynu, deSEC, DuckDNS do). When the
 * service accepts it the outcome is `created`; when the host does not exist it answers `nohost`
 * (or its own word), which is a `failed` outcome naming that.
 */

/** The family of an address: 4, 6, or 0 when it is not one. */
export function familyOfAddress(a: string): 0 | Family {
  const f = isIP(a)
  return f === 4 || f === 6 ? f : 0
}

/** The family a Change writes. */
export function familyOfChange(ch: Change): Family {
  return ch.ref.type === 'AAAA' ? 6 : 4
}

export { canonicalAddress }

/** Seconds before a push whose answer echoed another address is tried again. */
const RECORDED_OTHER_RETRY_SEC = 1800

/**
 * What the service said for one change. `recorded`: the addresses its answer says it now holds
 * (`good 198.51.100.7`, Namecheap's `<IP>`), of any family; absent when it echoes none.
 */
export type PushResult = { ok: true; changed: boolean; warnings?: string[]; recorded?: string[] } | { ok: false; error: EdgeError }

/**
 * The message when the addresses a service echoed for one family do not include the one sent
 * (BC-03); undefined when they do, or when it echoed none of that family.
 */
export function recordedOther(recorded: string[], family: Family, sent: string): string | undefined {
  const mine = recorded.filter((a) => familyOfAddress(a) === family)
  if (mine.length === 0 || mine.some((a) => canonicalAddress(a) === canonicalAddress(sent))) return undefined
  return `the service recorded ${mine.join(', ')}, not ${sent}`
}

/**
 * The Outcome of one change: `updated` (or `created` for a create) when the service changed it,
 * `unchanged` when it said the value was already set, `failed` with the error otherwise.
 * After a "no change" answer while DNS showed another value, a warning says DNS has not caught up.
 */
export function outcomeOf(ch: Change, r: PushResult): Outcome {
  const previous = ch.current.kind === 'present' ? { previous: ch.current.values } : {}
  if (!r.ok) return { ref: ch.ref, status: 'failed', value: ch.value, ...previous, error: r.error }
  // The service holds another address than the one sent: a success would be trusted by the state
  // for as long as the WAN address stays the same, leaving the wrong address published.
  const other = recordedOther(r.recorded ?? [], familyOfChange(ch), ch.value)
  if (other) {
    const error = new EdgeError('provider', other, { retryable: true, retryAfterSec: RECORDED_OTHER_RETRY_SEC, code: 'recorded-other' })
    return { ref: ch.ref, status: 'failed', value: ch.value, ...previous, error }
  }
  const warnings = [...(r.warnings ?? [])]
  if (!r.changed && ch.current.kind === 'present') {
    warnings.push(`the service already had ${ch.value}; DNS still showed ${ch.current.values.join(', ')} (not caught up yet?)`)
  }
  const status = r.changed ? (ch.create ? 'created' : 'updated') : 'unchanged'
  return { ref: ch.ref, status, value: ch.value, ...previous, ...(warnings.length ? { warnings } : {}) }
}

/**
 * Splits changes into those that can be sent and failed outcomes for those that cannot: a change
 * whose value is not an address of its record's family (a bug upstream, never sent), or whose
 * family the provider cannot write (`reject` returns the error).
 */
export function checkChanges(changes: Change[], reject: (ch: Change) => EdgeError | undefined, invalid: (ch: Change) => EdgeError): { ok: Change[]; failed: Map<Change, Outcome> } {
  const ok: Change[] = []
  const failed = new Map<Change, Outcome>()
  for (const ch of changes) {
    const bad = familyOfAddress(ch.value) !== familyOfChange(ch) ? invalid(ch) : reject(ch)
    if (bad) failed.set(ch, outcomeOf(ch, { ok: false, error: bad }))
    else ok.push(ch)
  }
  return { ok, failed }
}
