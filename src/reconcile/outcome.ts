import { EdgeError } from '../errors.js'
import type { Outcome } from '../providers/types.js'
import type { LogLevel } from '../report/log.js'
import type { Action } from './plan.js'

/**
 * Outcomes of records that are not written, and the one log line per record event.
 *
 * The lines are stable (tests and users grep them), one per record, prefixed with the record:
 *   home.example.com A: updated 192.0.2.1 -> 192.0.2.10 (cloudflare)
 *   home.example.com A: created 192.0.2.10 (cloudflare)
 *   home.example.com A: unchanged 192.0.2.10
 *   home.example.com A: missing: no such record at cloudflare (set create = true to create it)
 *   home.example.com AAAA: skipped: no IPv6 address detected: <why>
 *   home.example.com A: failed: cloudflare: HTTP 403 from api.cloudflare.com: Invalid access token (code 9109)
 *   home.example.com A: would update 192.0.2.1 -> 192.0.2.10 (cloudflare)      (dry run)
 * followed, when there are any, by `<record>: warning: ...` and `<record>: hint: ...` lines.
 */

/** A log line to emit. */
export interface LogLine {
  level: LogLevel
  text: string
}

/** Prefix naming a record: `home.example.com A`. */
export function recordLabel(o: { ref: { fqdn: string; type: string } }): string {
  return `${o.ref.fqdn} ${o.ref.type}`
}

/** Marks an Outcome made in a dry run for a write that was not sent. */
export const DRY_RUN_WARNING = 'dry run: nothing was sent'

/**
 * The Outcome of an action that needs no write (keep, missing, skip, fail), or, in a dry run, of a
 * planned write that was not sent: that one has status `skipped`, no error, and the warning
 * `dry run: nothing was sent`, so a summary never claims a change that did not happen.
 * Returns undefined for update/create outside a dry run (the provider's write gives those).
 */
export function outcomeWithoutWrite(a: Action, dryRun: boolean): Outcome | undefined {
  switch (a.kind) {
    case 'keep':
      return { ref: a.ref, status: 'unchanged', value: a.value, previous: a.current.values, ...(a.warnings ? { warnings: a.warnings } : {}) }
    case 'missing':
      return { ref: a.ref, status: 'missing', value: a.value }
    case 'skip':
      return { ref: a.ref, status: 'skipped', error: new EdgeError('detect', a.reason) }
    case 'fail':
      return { ref: a.ref, status: 'failed', ...(a.value !== undefined ? { value: a.value } : {}), error: a.error }
    case 'update':
      return dryRun ? { ref: a.ref, status: 'skipped', value: a.value, previous: a.current.values, warnings: [DRY_RUN_WARNING] } : undefined
    case 'create':
      return dryRun ? { ref: a.ref, status: 'skipped', value: a.value, warnings: [DRY_RUN_WARNING] } : undefined
  }
}

/**
 * Where a missing record was looked for: at the provider (its API), or, for a push-only provider
 * that reads records back over DNS (`readBy: 'dns'`), in the DNS, which is what answered.
 */
export function missingAt(provider: string, readBy: 'api' | 'dns' = 'api'): string {
  return readBy === 'dns' ? `no such record in the DNS (${provider} records are read back over DNS)` : `no such record at ${provider}`
}

/**
 * The log lines of one record: the event line, then its warnings and hint.
 * `action` is the planned action (it tells a dry-run line from a real one); `provider` is the
 * entry's provider type, `readBy` how it reads records back (its capabilities' `read`).
 */
export function outcomeLines(o: Outcome, action: Action | undefined, provider: string, dryRun: boolean, readBy: 'api' | 'dns' = 'api'): LogLine[] {
  const label = recordLabel(o)
  const lines: LogLine[] = []
  const prev = o.previous?.length ? o.previous.join(', ') : '(none)'
  const planned = dryRun && (action?.kind === 'update' || action?.kind === 'create')
  if (planned && action?.kind === 'update') {
    lines.push({ level: 'info', text: `${label}: would update ${prev} -> ${o.value} (${provider})` })
  } else if (planned) {
    lines.push({ level: 'info', text: `${label}: would create ${o.value} (${provider})` })
  } else {
    switch (o.status) {
      case 'updated':
        lines.push({ level: 'info', text: `${label}: updated ${prev} -> ${o.value} (${provider})` })
        break
      case 'created':
        lines.push({ level: 'info', text: `${label}: created ${o.value} (${provider})` })
        break
      case 'unchanged':
        lines.push({ level: 'info', text: `${label}: unchanged ${o.value}` })
        break
      case 'missing':
        lines.push({ level: 'warn', text: `${label}: missing: ${missingAt(provider, readBy)} (set create = true to create it)` })
        break
      case 'skipped':
        lines.push({ level: 'warn', text: `${label}: skipped: ${o.error?.message ?? 'no reason given'}` })
        break
      case 'failed':
        lines.push({ level: 'error', text: `${label}: failed: ${o.error?.message ?? 'unknown error'}` })
        break
    }
  }
  for (const w of o.warnings ?? []) if (w !== DRY_RUN_WARNING) lines.push({ level: 'warn', text: `${label}: warning: ${w}` })
  if (o.status === 'failed' && o.error?.hint) lines.push({ level: 'info', text: `${label}: hint: ${o.error.hint}` })
  return lines
}
