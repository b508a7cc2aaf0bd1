import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import { writeInTurn } from '../serial.js'
import type { Current, Outcome, Provider, RecordRef } from '../types.js'

/**
 * The read/write loop every JSON API provider of this folder shares; a provider supplies only a
 * Driver (how to list, update and create records at its service).
 *
 * - read: one `list` for all the entry's records; each record's value is what the service holds
 *   at that name and type (read through the API: `via: 'api'`). Records of other names are never
 *   touched (BC-11); a CNAME where an A/AAAA is wanted is a `conflict`, never "absent"; a failed
 *   listing fails every record, never "absent" (BC-34).
 * - write: changes one after the other; an update hands the driver the records read (so it can
 *   send back their TTL, ids and other fields: only the value changes); a create only when the
 *   change says so, otherwise `missing`. After refused credentials, an unknown zone, a rate
 *   limit or an outage the remaining changes fail unsent (serial.ts `writeInTurn`).
 */

/** One record as a service holds it: its full name, type and value, plus the service's own fields. */
export interface Rec {
  /** Full name, any case, trailing dot allowed (`home.example.com`). */
  name: string
  type: string
  /** The address (A/AAAA) or target (CNAME). */
  value: string
  [field: string]: unknown
}

/** What a provider tells the shared loop. */
export interface Driver {
  /**
   * The records at the names of `refs` (any type; records at other names are ignored).
   * @throws EdgeError when the listing fails (every ref then fails).
   */
  list(refs: RecordRef[], ctx: Ctx): Promise<Rec[]>
  /** Sets the record(s) `recs` (of `ref`'s type at its name, as listed) to `value`, keeping every other field. */
  update(ref: RecordRef, value: string, recs: Rec[], ctx: Ctx): Promise<unknown>
  /** Creates `ref` with `value`. */
  create(ref: RecordRef, value: string, ctx: Ctx): Promise<unknown>
}

const key = (n: string): string => n.toLowerCase().replace(/\.$/, '')

/** A Provider around `d`; `name` prefixes the messages it makes itself. */
export function apiProvider(name: string, d: Driver): Provider {
  return {
    async read(refs, ctx) {
      let all: Rec[]
      try {
        all = await d.list(refs, ctx)
      } catch (e) {
        const error = toEdgeError(e)
        return refs.map(() => ({ kind: 'failed', error }))
      }
      return refs.map((ref): Current => {
        const at = all.filter((r) => key(r.name) === ref.fqdn)
        const recs = at.filter((r) => r.type.toUpperCase() === ref.type)
        const cname = at.find((r) => r.type.toUpperCase() === 'CNAME')
        if (!recs.length && cname) {
          return { kind: 'failed', error: new EdgeError('conflict', `${name}: ${ref.fqdn} is a CNAME (to ${cname.value}); no ${ref.type} can sit beside it`) }
        }
        return recs.length ? { kind: 'present', values: recs.map((r) => r.value), via: 'api', meta: recs } : { kind: 'absent', via: 'api' }
      })
    },

    write: (changes, ctx) =>
      writeInTurn(changes, async ({ ref, value, current: cur, create }): Promise<Outcome> => {
        if (cur.kind === 'failed') throw cur.error
        if (cur.kind === 'present') {
          await d.update(ref, value, cur.meta as Rec[], ctx)
          return { ref, status: 'updated', value, previous: cur.values }
        }
        if (!create) return { ref, status: 'missing', value }
        await d.create(ref, value, ctx)
        return { ref, status: 'created', value }
      }),
  }
}

const runs = new WeakMap<Ctx, Map<string, Promise<unknown>>>()

/**
 * `fn()` once per run (a run is one Ctx) and `key`: a zone id or an access token is fetched once
 * however many entries need it, and a failure is remembered for the run too (the same answer
 * would come back).
 */
export function once<T>(ctx: Ctx, key: string, fn: () => Promise<T>): Promise<T> {
  let m = runs.get(ctx)
  if (!m) runs.set(ctx, (m = new Map()))
  let p = m.get(key) as Promise<T> | undefined
  if (!p) m.set(key, (p = fn()))
  return p
}
