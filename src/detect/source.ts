import { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'

/**
 * What one source returns for one family: an address as the source gave it (the caller
 * validates it against the address policy) and extra facts for `detect`.
 */
export interface SourceResult {
  address: string
  notes?: string[]
}

/** `IPv4` / `IPv6`, for messages. */
export function ipv(family: Family): string {
  return `IPv${family}`
}

/** The error of a source that has nothing for this family (no server or URL configured for it). */
export function notServed(family: Family): EdgeError {
  return new EdgeError('detect', `this source does not serve ${ipv(family)}`, { retryable: false, code: 'NOT_SERVED' })
}

/** Attaches notes for `detect` to an error (a netifd interface that is down still has its prefixes). */
export function attachNotes(err: EdgeError, notes: string[]): EdgeError {
  return notes.length ? Object.assign(err, { notes }) : err
}

/** The notes attached by `attachNotes`, if any. */
export function notesOf(err: unknown): string[] | undefined {
  const n = (err as { notes?: unknown } | null)?.notes
  return Array.isArray(n) && n.every((x) => typeof x === 'string') ? (n as string[]) : undefined
}
