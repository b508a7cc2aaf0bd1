import type { RunSummary } from './summary.js'
import type { ErrorKind } from '../errors.js'

/** Process exit codes (sysexits.h where one fits). */
export const EXIT = {
  /** Every record is right. */
  OK: 0,
  /** A record or a needed detection failed; a missing record counts. */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** A bug in edge-ddns (EX_SOFTWARE). */
  INTERNAL: 70,
  /** A temporary condition, try later: the clock is not synchronised yet (EX_TEMPFAIL). */
  DEFERRED: 75,
  /** The config file is wrong; nothing was sent (EX_CONFIG). */
  CONFIG: 78,
} as const

/** Exit code for an error that ended the process before or outside a run. */
export function exitCodeForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'config':
      return EXIT.CONFIG
    case 'usage':
      return EXIT.USAGE
    case 'clock':
      return EXIT.DEFERRED
    case 'internal':
      return EXIT.INTERNAL
    default:
      return EXIT.FAILED
  }
}

/**
 * Exit code of a finished run: 0 when every record ended updated, created or unchanged;
 * 1 when any record failed, was missing, or was skipped because its family had no address.
 * A bug while handling a record (kind internal) makes it 70.
 */
export function exitCodeForRun(s: Pick<RunSummary, 'records' | 'counts'>, internal: boolean): number {
  if (internal) return EXIT.INTERNAL
  const bad = s.counts.failed + s.counts.missing + s.counts.skipped
  return bad > 0 ? EXIT.FAILED : EXIT.OK
}
