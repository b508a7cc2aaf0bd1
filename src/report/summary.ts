import type { Addresses } from '../detect/types.js'
import type { Outcome, OutcomeStatus, RecordType } from '../providers/types.js'

/** The detected address of one family as reported (no error objects: this is serialised). */
export interface DetectedReport {
  address?: string
  source?: string
  /** Why no address, when `address` is absent. */
  error?: string
}

/** One record's line in the summary. */
export interface RecordReport {
  name: string
  type: RecordType
  /** Provider type of the entry (`cloudflare`). */
  provider: string
  /** The entry's config path (`domains[0]`). */
  entry: string
  status: OutcomeStatus
  value?: string
  previous?: string[]
  error?: string
  warnings?: string[]
}

/**
 * The machine-readable result of one run: printed by `--json`, published to MQTT `<base>/state`.
 * Times are ISO 8601 UTC; durations are milliseconds. Contains no secret (it passes the Redactor).
 */
export interface RunSummary {
  version: string
  /** Start of the run. */
  time: string
  durationMs: number
  detected: { ipv4?: DetectedReport; ipv6?: DetectedReport }
  records: RecordReport[]
  counts: Record<OutcomeStatus, number>
  /** True when every record ended updated, created or unchanged and detection found what was needed. */
  ok: boolean
  /** The process exit code the run maps to. */
  exitCode: number
}

/** Zeroed counters, in display order. */
export function emptyCounts(): Record<OutcomeStatus, number> {
  return { updated: 0, created: 0, unchanged: 0, missing: 0, failed: 0, skipped: 0 }
}

/** Builds the report of one family's detection. */
export function detectedReport(a: Addresses, family: 4 | 6): DetectedReport | undefined {
  const r = a[family]
  if (!r) return undefined
  if (r.address) return { address: r.address, ...(r.source ? { source: r.source } : {}) }
  const errs = r.attempts.map((t) => `${t.source}: ${t.error?.message ?? 'no address'}`)
  return { error: errs.length ? errs.join('; ') : 'no source configured' }
}

/** Turns an Outcome into its report line. */
export function recordReport(o: Outcome, provider: string, entry: string): RecordReport {
  const r: RecordReport = { name: o.ref.fqdn, type: o.ref.type, provider, entry, status: o.status }
  if (o.value !== undefined) r.value = o.value
  if (o.previous !== undefined) r.previous = o.previous
  if (o.error) r.error = o.error.message
  if (o.warnings?.length) r.warnings = o.warnings
  return r
}
