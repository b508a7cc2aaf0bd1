import { type EdgeError, type ErrorKind, toEdgeError } from '../errors.js'
import type { Change, Current, Outcome, RecordRef } from './types.js'

/**
 * After an error of one of these kinds, the entry's remaining calls are not sent in this run: the
 * answer would be the same (refused credentials, unknown domain, an endpoint that is not the API)
 * or sending more makes it worse (rate limit, an overloaded or unreachable server). A conflict or
 * an invalid record is about one record and stops nothing.
 */
export const ACCOUNT_STOPPING: ReadonlySet<ErrorKind> = new Set(['auth', 'forbidden', 'ratelimit', 'notfound', 'transient', 'protocol', 'provider'])

/**
 * Runs `one` for each item in turn (an API with one call per record). Never throws: a thrown
 * error becomes that item's failure, and after an ACCOUNT_STOPPING error the remaining items fail
 * with the same error, unsent.
 */
async function inTurn<I, O>(items: I[], one: (item: I) => Promise<O>, failed: (item: I, error: EdgeError) => O): Promise<O[]> {
  const out: O[] = []
  let stop: EdgeError | undefined
  for (const item of items) {
    if (stop) {
      out.push(failed(item, stop))
      continue
    }
    try {
      out.push(await one(item))
    } catch (e) {
      const error = toEdgeError(e)
      out.push(failed(item, error))
      if (ACCOUNT_STOPPING.has(error.kind)) stop = error
    }
  }
  return out
}

/** `Provider.read` for APIs with one lookup per record; see `inTurn`. */
export function readInTurn(refs: RecordRef[], one: (ref: RecordRef) => Promise<Current>): Promise<Current[]> {
  return inTurn(refs, one, (_ref, error) => ({ kind: 'failed', error }))
}

/** `Provider.write` for APIs with one call per change; see `inTurn`. */
export function writeInTurn(changes: Change[], one: (ch: Change) => Promise<Outcome>): Promise<Outcome[]> {
  return inTurn(changes, one, (ch, error) => ({
    ref: ch.ref,
    status: 'failed',
    value: ch.value,
    ...(ch.current.kind === 'present' ? { previous: ch.current.values } : {}),
    error,
  }))
}
