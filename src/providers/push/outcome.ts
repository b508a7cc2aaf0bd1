import { isIP } from 'node:net'
import { ConfigError, EdgeError, toEdgeError } from '../../errors.js'
import type { ServerAddress } from '../../dns/names.js'
import type { Change, Family, Outcome, Provider } from '../types.js'
import { stopsAccount } from './http.js'
import { readBack, type ReadbackDeps } from './readback.js'
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
 * (`good 198.51.100.7`, Namecheap's `<IP>`), of any family; absent when it echoes none. `stop`:
 * the failure is about the account, so the entry's other requests are not sent (`pushWrite`).
 */
export type PushResult = { ok: true; changed: boolean; warnings?: string[]; recorded?: string[] } | { ok: false; error: EdgeError; stop?: boolean }

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

/** The error of a change a v4-only service cannot write: `<what> only; remove "6" from ip_types` (`what`: `noip takes IPv4`). */
export function ipv4Only(what: string): ConfigError {
  return new ConfigError('', `${what} only; remove "6" from ip_types`)
}

/** The changes of one name, by family. */
export interface Pair {
  v4?: Change
  v6?: Change
}

/** The changes by `key` (the host name, unless given) and family, in the order first seen. */
export function byHost(changes: Change[], key = (ch: Change): string => ch.ref.fqdn): Map<string, Pair> {
  const m = new Map<string, Pair>()
  for (const ch of changes) {
    const e = m.get(key(ch)) ?? {}
    e[familyOfChange(ch) === 6 ? 'v6' : 'v4'] = ch
    m.set(key(ch), e)
  }
  return m
}

/** The changes of a Pair, IPv4 first. */
export const both = (e: Pair): Change[] => [e.v4, e.v6].filter((c): c is Change => c !== undefined)

/** What one request answered: one result for all its changes, or one per change. */
export type Answered = PushResult | ((ch: Change) => PushResult)

/**
 * The write loop of the push-only providers. A change whose value is not an address of its
 * record's family (a bug upstream) or that `reject` refuses fails unsent; the others are grouped
 * into requests by `plan` and sent one after the other by `send`. After an answer that would
 * repeat for the account (`stopsAccount`, or a result marked `stop`: bad credentials, a block,
 * a rate limit, a network failure) the remaining requests are not sent: their changes fail with
 * "not sent after an earlier answer for this <what>: <that error>". Outcomes come in the order of
 * `changes`; never throws.
 */
export async function pushWrite<U extends { changes: Change[] }>(
  name: string,
  changes: Change[],
  what: string,
  reject: (ch: Change) => EdgeError | undefined,
  plan: (ok: Change[]) => U[],
  send: (u: U) => Promise<Answered>,
): Promise<Outcome[]> {
  const results = new Map<Change, Outcome>()
  const ok: Change[] = []
  for (const ch of changes) {
    const bad =
      familyOfAddress(ch.value) !== familyOfChange(ch)
        ? new EdgeError('internal', `${name}: "${ch.value}" is not an address for an ${ch.ref.type} record (this is a bug in edge-ddns, please report it)`)
        : reject(ch)
    if (bad) results.set(ch, outcomeOf(ch, { ok: false, error: bad }))
    else ok.push(ch)
  }
  let stop: EdgeError | undefined
  for (const u of plan(ok)) {
    let r: Answered
    try {
      if (stop) {
        const { kind, message, retryable, code, hint, retryAfterSec } = stop
        throw new EdgeError(kind, `not sent after an earlier answer for this ${what}: ${message}`, { retryable, code, hint, retryAfterSec })
      }
      r = await send(u)
    } catch (e) {
      r = { ok: false, error: toEdgeError(e) }
    }
    for (const ch of u.changes) {
      const x = typeof r === 'function' ? r(ch) : r
      results.set(ch, outcomeOf(ch, x))
      if (!x.ok && (x.stop || stopsAccount(x.error))) stop ??= x.error
    }
  }
  return changes.map((ch) => results.get(ch) as Outcome)
}

/** A push-only provider: the current value read back by DNS (readback.ts), `write` as given. */
export function pushProvider(provider: string, resolver: ServerAddress | undefined, deps: { readback?: ReadbackDeps }, write: Provider['write']): Provider {
  return { read: (refs, ctx) => readBack(refs, ctx, { provider, resolver }, deps.readback), write }
}
