import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError, type ErrorKind } from '../../errors.js'
import { outcomeOf } from '../push/outcome.js'
import type { Current, Outcome, Provider, RecordRef } from '../types.js'

/**
 * The read/write loop every API provider shares (the JSON REST APIs of this folder, Route 53,
 * Alibaba Cloud DNS, DNSPod, GoDaddy, Porkbun); a provider supplies only a Driver (how to read,
 * update and create records at its service).
 *
 * - read: either one `list` for all the entry's records, each record's value then picked by name
 *   and type (a CNAME where an A/AAAA is wanted is a `conflict`, never "absent"; a failed listing
 *   fails every record, BC-34), or one `get` per record, in turn. Records of other names are
 *   never touched (BC-11); a failed lookup is `failed`, never "absent" (BC-34).
 * - write: changes one after the other; an update hands the driver the records read (so it can
 *   send back their TTL, ids and other fields: only the value changes), and only when the name
 *   holds one value; a create only when the change says so, otherwise `missing`. A driver that
 *   answers `false` says the service already held the value (`unchanged`).
 * After refused credentials, an unknown zone, a rate limit or an outage the remaining calls of
 * the entry are not sent (ACCOUNT_STOPPING).
 */

/**
 * After an error of one of these kinds, the entry's remaining calls are not sent in this run: the
 * answer would be the same (refused credentials, unknown domain, an endpoint that is not the API,
 * a wrong clock under a signature) or sending more makes it worse (rate limit, an overloaded or
 * unreachable server). A conflict or an invalid record is about one record and stops nothing.
 */
export const ACCOUNT_STOPPING: ReadonlySet<ErrorKind> = new Set(['auth', 'forbidden', 'ratelimit', 'notfound', 'transient', 'protocol', 'provider', 'clock'])

/**
 * Runs `one` for each item in turn. Never throws: a thrown error becomes that item's failure, and
 * after an ACCOUNT_STOPPING error the remaining items fail with the same error, unsent.
 */
async function inTurn<I, O>(items: I[], one: (item: I) => Promise<O>, failed: (item: I, error: EdgeError) => O): Promise<O[]> {
  const out: O[] = []
  let stop: EdgeError | undefined
  for (const item of items) {
    try {
      if (stop) throw stop
      out.push(await one(item))
    } catch (e) {
      const error = toEdgeError(e)
      out.push(failed(item, error))
      if (ACCOUNT_STOPPING.has(error.kind)) stop = error
    }
  }
  return out
}

/** One record as a listing gives it: its full name, type and value, plus the service's own fields. */
export interface Rec {
  /** Full name, any case, trailing dot allowed (`home.example.com`). */
  name: string
  type: string
  /** The address (A/AAAA) or target (CNAME). */
  value: string
  [field: string]: unknown
}

/** One record (Route 53: one RRset) at the asked name and type, as a signed API lists it. */
export interface ZoneRecord {
  /** The service's id (Route 53: the name; the change addresses the RRset by name and type). */
  id: string
  values: string[]
  /** Seconds, when the service gave one; sent back unchanged on update. */
  ttl?: number
  /** Service fields sent back unchanged on update (line, status, weight...). */
  keep?: Record<string, string | number>
}

/** What `read` leaves in `Current.meta`: the records of the ref's type at its name, as the driver gave them. */
export interface Meta<R = Rec> {
  records: R[]
}

/** What a provider tells the shared loop: `list` or `get`. Each throws EdgeError; none logs a secret. */
export interface Driver<R = Rec> {
  /**
   * The records at the names of `refs`, any type (records at other names are ignored), as `Rec`s.
   * @throws EdgeError when the listing fails (every ref then fails).
   */
  list?(refs: RecordRef[], ctx: Ctx): Promise<R[]>
  /** The records of `ref.type` at `ref.fqdn` only. @throws EdgeError `conflict` for a CNAME there. */
  get?(ref: RecordRef, ctx: Ctx): Promise<R[]>
  /** The value(s) of a record; default its `value`. */
  value?: (r: R) => string | string[]
  /**
   * Sets the record(s) `recs` (of `ref`'s type at its name, as read) to `value`, keeping every
   * other field; `false` when the service says nothing changed.
   */
  update(ref: RecordRef, value: string, recs: R[], ctx: Ctx): Promise<unknown>
  /** Creates `ref` with `value`; `false` when it already existed. */
  create(ref: RecordRef, value: string, ctx: Ctx): Promise<unknown>
}

/** The key of a listed name: lower case, no trailing dot. */
const key = (n: string): string => n.toLowerCase().replace(/\.$/, '')

/** `<provider>: home.example.com <what>; an A record cannot exist beside it` (BC-11). */
export function beside(name: string, ref: RecordRef, what: string, hint?: string): EdgeError {
  return new EdgeError('conflict', `${name}: ${ref.fqdn} ${what}; an ${ref.type} record cannot exist beside it`, { hint })
}

/**
 * The items of `all` at the asked name (`field` compared case-insensitively with `name`) and of
 * `ref.type`, for services that list every type at a name.
 * @throws EdgeError kind `conflict` when a CNAME is there (BC-11).
 */
export function atName<T extends Record<string, unknown>>(provider: string, ref: RecordRef, all: T[], name: string, field: string, typeField: string): T[] {
  const here = all.filter((x) => String(x[field]).toLowerCase() === name)
  if (here.some((x) => x[typeField] === 'CNAME')) throw beside(provider, ref, 'has a CNAME record')
  return here.filter((x) => x[typeField] === ref.type)
}

/** `<provider>: home.example.com has 2 A records; ...`: an update asked of a name holding several values. */
export function notOne(name: string, ref: RecordRef, n: number): EdgeError {
  return new EdgeError('conflict', `${name}: ${ref.fqdn} has ${n} ${ref.type} records; edge-ddns updates a name only when it holds one`)
}

/** A Provider around `d`; `name` prefixes the messages it makes itself. */
export function apiProvider<R>(name: string, d: Driver<R>): Provider {
  const value = d.value ?? ((r: R) => (r as Rec).value)
  return {
    async read(refs, ctx) {
      let get = d.get
      if (d.list) {
        let all: R[]
        try {
          all = await d.list(refs, ctx)
        } catch (e) {
          const error = toEdgeError(e)
          return refs.map(() => ({ kind: 'failed', error }))
        }
        get = async (ref) => {
          const at = (all as Rec[]).filter((r) => key(r.name) === ref.fqdn)
          const cname = at.find((r) => r.type.toUpperCase() === 'CNAME')
          const recs = at.filter((r) => r.type.toUpperCase() === ref.type)
          if (!recs.length && cname) throw beside(name, ref, `is a CNAME (to ${cname.value})`)
          return recs as R[]
        }
      }
      return inTurn(
        refs,
        async (ref): Promise<Current> => {
          const records = await get!(ref, ctx)
          const meta: Meta<R> = { records }
          return records.length ? { kind: 'present', values: records.flatMap(value), via: 'api', meta } : { kind: 'absent', via: 'api', meta }
        },
        (_ref, error) => ({ kind: 'failed', error }),
      )
    },

    write: (changes, ctx) =>
      inTurn(
        changes,
        async ({ ref, value: v, current: cur, create }): Promise<Outcome> => {
          if (cur.kind === 'failed') return { ref, status: 'failed', value: v, error: cur.error }
          if (cur.kind === 'present') {
            if (cur.values.length !== 1) throw notOne(name, ref, cur.values.length)
            const same = (await d.update(ref, v, (cur.meta as Meta<R> | undefined)?.records ?? [], ctx)) === false
            return { ref, status: same ? 'unchanged' : 'updated', value: v, previous: cur.values }
          }
          if (!create) return { ref, status: 'missing', value: v }
          return { ref, status: (await d.create(ref, v, ctx)) === false ? 'unchanged' : 'created', value: v }
        },
        (ch, error) => outcomeOf(ch, { ok: false, error }),
      ),
  }
}

const runs = new WeakMap<Ctx, Map<string, unknown>>()

/** The value of `key` for the run of `ctx` (a run is one Ctx), made by `fn` the first time. */
function perRun<T>(ctx: Ctx, key: string, fn: () => T): T {
  let m = runs.get(ctx)
  if (!m) runs.set(ctx, (m = new Map()))
  if (!m.has(key)) m.set(key, fn())
  return m.get(key) as T
}

/**
 * `fn()` once per run and `key`: a zone id or an access token is fetched once however many
 * entries need it, and a failure is remembered for the run too (the same answer would come back).
 */
export function once<T>(ctx: Ctx, key: string, fn: () => Promise<T>): Promise<T> {
  return perRun(ctx, `once ${key}`, fn)
}

/**
 * Runs `fn` as the next call of `account` (a provider's account key, never a secret) in the run
 * of `ctx`: one at a time, after every call queued before it has settled, and at least `gapMs`
 * after the previous call started (BC-06: Porkbun's proxy answers 502/503 to bursts, Route 53
 * allows five calls a second). A rejected call does not block the ones after it; the wait ends
 * early when the run's signal aborts. The gap is measured on the monotonic clock
 * (`performance.now()`), not `ctx.now()`: it paces real network traffic, and a test's fake wall
 * clock must not stall it. Queues live per run, so entries of one account share one.
 */
export function queued<T>(ctx: Ctx, account: string, gapMs: number, fn: () => Promise<T>): Promise<T> {
  const q = perRun(ctx, `queue ${account}`, () => ({ tail: Promise.resolve() as Promise<unknown>, last: -Infinity }))
  const result = q.tail.then(async () => {
    const wait = q.last + gapMs - performance.now()
    if (wait > 0) await sleep(wait, ctx.signal)
    q.last = performance.now()
    return fn()
  })
  q.tail = result.catch(() => undefined)
  return result
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
