import type { Config, DomainEntry } from '../config/types.js'
import type { Ctx } from '../context.js'
import { detectAddresses } from '../detect/select.js'
import type { Addresses, DetectConfig } from '../detect/types.js'
import type { Family, Outcome, RecordRef } from '../providers/types.js'
import { reconcile, type EntryResult } from '../reconcile/apply.js'
import type { LogLine } from '../reconcile/outcome.js'
import { addressOf, familyOf, type Action } from '../reconcile/plan.js'
import { exitCodeForRun, EXIT } from '../report/exit.js'
import { detectedReport, emptyCounts, recordReport, type RunSummary } from '../report/summary.js'
import { VERSION } from '../version.js'
import type { StateSettings } from './config.js'
import { entryFingerprint, gateRecord, noteResult, type EntryFingerprint, type Gate } from './policy.js'
import { recordKey, type StateStore } from './state.js'

/**
 * One cycle: detect, decide per record with the state, reconcile what needs the provider, record
 * the results in the state. `edge-ddns run` is one cycle; the daemon runs them in a loop.
 * Without a state store (a oneshot run with no state directory, as dness) every record is read.
 */

/** Detection, injectable (tests and the benchmark use a fixed address). */
export type DetectFn = (cfg: DetectConfig, families: Family[], ctx: Ctx) => Promise<Addresses>

/** Remembers what was said about each record, so that a daemon repeats a warning only when it changes. */
export class CycleMemo {
  private readonly said = new Map<string, string>()
  /** The level to log `line` at: its own when new for `key`, debug when said last time already. */
  level(key: string, line: LogLine): LogLine['level'] {
    if (line.level === 'debug') return 'debug'
    const k = `${key}\u0000${line.level}`
    const prev = this.said.get(k)
    this.said.set(k, line.text)
    return prev === line.text ? 'debug' : line.level
  }
  /** Forgets what was said about `key` (after a success: the next problem is news again). */
  forget(key: string): void {
    for (const lvl of ['info', 'warn', 'error']) this.said.delete(`${key}\u0000${lvl}`)
  }
}

/** Options of `runCycle`. */
export interface CycleOptions {
  /** `plan`: read only; the state is neither consulted nor written. */
  dryRun?: boolean
  /** `run --force`: ask the provider about every record; results are still recorded. */
  force?: boolean
  /** The state, or null/undefined to keep none. */
  store?: StateStore | null
  /** `[state]` settings (verify_every, force_update_after, backoff_max). */
  policy: StateSettings
  /** Uniform [0, 1) for back-off jitter; default Math.random. */
  random?: () => number
  detect?: DetectFn
  /** Thins out repeated warnings across a daemon's cycles; a fresh one per oneshot run. */
  memo?: CycleMemo
  /**
   * True when the cycle was cut short by a stop (SIGTERM): failures then say nothing about the
   * provider and are not recorded (no back-off after a restart); successes still are.
   */
  interrupted?: () => boolean
}

/** What a cycle did. */
export interface CycleResult {
  summary: RunSummary
  results: EntryResult[]
  addresses: Addresses
  families: Family[]
  /** Records handed to the reconciler (each costs provider calls); the rest were decided from the state. */
  asked: number
}

/** The families a config needs: every family some entry manages; both when there is no entry. */
export function familiesOf(config: Config): Family[] {
  if (config.domains.length === 0) return [4, 6]
  const set = new Set<Family>()
  for (const d of config.domains) for (const f of d.families) set.add(f)
  return ([4, 6] as Family[]).filter((f) => set.has(f))
}

/** Builds the RunSummary of a finished run (timestamps in ms since the epoch). */
export function buildSummary(results: EntryResult[], addresses: Addresses, startedMs: number, endedMs: number): RunSummary {
  const counts = emptyCounts()
  const records = results.flatMap((r) => r.outcomes.map((o) => recordReport(o, r.entry.type, r.entry.path)))
  for (const r of records) counts[r.status]++
  const internal = results.some((r) => r.outcomes.some((o) => o.error?.kind === 'internal'))
  const exitCode = exitCodeForRun({ records, counts }, internal)
  const v4 = detectedReport(addresses, 4)
  const v6 = detectedReport(addresses, 6)
  return {
    version: VERSION,
    time: new Date(startedMs).toISOString(),
    durationMs: Math.max(0, endedMs - startedMs),
    detected: { ...(v4 ? { ipv4: v4 } : {}), ...(v6 ? { ipv6: v6 } : {}) },
    records,
    counts,
    ok: exitCode === EXIT.OK,
    exitCode,
  }
}

/**
 * Runs one cycle. Never throws for a provider, record or detection failure (they are outcomes);
 * the state is updated in memory, and the caller saves it.
 */
export async function runCycle(config: Config, ctx: Ctx, opts: CycleOptions): Promise<CycleResult> {
  const started = ctx.now()
  const families = familiesOf(config)
  const addresses = await (opts.detect ?? detectAddresses)(config.detect, families, ctx)
  const done = (results: EntryResult[], asked: number): CycleResult => ({
    summary: buildSummary(results, addresses, started, ctx.now()),
    results,
    addresses,
    families,
    asked,
  })
  if (config.domains.length === 0) return done([], 0)

  const dryRun = opts.dryRun ?? false
  const store = dryRun ? null : (opts.store ?? null)
  const memo = opts.memo ?? new CycleMemo()
  const random = opts.random ?? Math.random
  const now = ctx.now()
  const say = (key: string, line: LogLine): void => ctx.log[memo.level(key, line)](line.text)

  const fingerprints = new Map<DomainEntry, EntryFingerprint>()
  const fpOf = (entry: DomainEntry): (() => EntryFingerprint) => () => {
    let fp = fingerprints.get(entry)
    if (!fp && store) {
      fp = entryFingerprint(entry, ctx.redactor, store.salt)
      fingerprints.set(entry, fp)
    }
    return fp as EntryFingerprint
  }

  // Per entry and record: a decision from the state, or a call.
  const gates = new Map<RecordRef, Gate>()
  const forced = new Set<RecordRef>()
  const subEntries: DomainEntry[] = []
  for (const entry of config.domains) {
    const ask: RecordRef[] = []
    for (const ref of entry.records) {
      const desired = addressOf(addresses, familyOf(ref.type))
      if (!store || opts.force || desired === undefined) {
        ask.push(ref)
        continue
      }
      const gate = gateRecord(entry, ref, recordKey(entry.account, ref), desired, {
        store,
        policy: opts.policy,
        now,
        redactor: ctx.redactor,
        fingerprint: fpOf(entry),
        say,
      })
      if (gate.kind === 'call') {
        ask.push(ref)
        if (gate.force) forced.add(ref)
      } else gates.set(ref, gate)
    }
    if (ask.length > 0) subEntries.push(ask.length === entry.records.length ? entry : { ...entry, records: ask })
  }

  const asked = subEntries.reduce((n, e) => n + e.records.length, 0)
  const reconciled = subEntries.length
    ? await reconcile(subEntries, addresses, ctx, { dryRun, ...(forced.size ? { forceWrite: (ref: RecordRef) => forced.has(ref) } : {}) })
    : []
  const bySub = new Map<string, EntryResult>(reconciled.map((r) => [r.entry.path, r]))

  const results: EntryResult[] = config.domains.map((entry) => {
    const sub = bySub.get(entry.path)
    const actions: Action[] = []
    const outcomes: Outcome[] = []
    for (const ref of entry.records) {
      const gate = gates.get(ref)
      if (gate && gate.kind === 'skip') {
        ctx.log[memo.level(gate.key, gate.line)](gate.line.text)
        actions.push(gate.action)
        outcomes.push(gate.outcome)
        continue
      }
      const i = sub ? sub.entry.records.indexOf(ref) : -1
      const a = sub?.actions[i]
      const o = sub?.outcomes[i]
      if (!sub || i < 0 || !a || !o) continue
      actions.push(a)
      outcomes.push(o)
      const cutShort = o.status === 'failed' && ctx.signal.aborted && (opts.interrupted?.() ?? false)
      if (store && !cutShort) {
        const key = recordKey(entry.account, ref)
        if (o.status === 'updated' || o.status === 'created' || o.status === 'unchanged') memo.forget(key)
        noteResult(entry, ref, key, a, o, {
          store,
          policy: opts.policy,
          now: ctx.now(),
          redactor: ctx.redactor,
          random,
          fingerprint: fpOf(entry),
          say,
        })
      }
    }
    return { entry, actions, outcomes }
  })
  return done(results, asked)
}
