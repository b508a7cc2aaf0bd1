import type { Ctx } from '../context.js'
import type { DomainEntry } from '../config/types.js'
import type { Addresses } from '../detect/types.js'
import { EdgeError, toEdgeError } from '../errors.js'
import type { Change, Current, Outcome, Provider, RecordRef } from '../providers/types.js'
import { outcomeLines, outcomeWithoutWrite } from './outcome.js'
import { addressOf, familyOf, planEntry, type Action } from './plan.js'

/**
 * The reconcile stage: per entry, read what the provider holds, plan, write the changes.
 *
 * Guarantees:
 * - a family without a detected address is neither read nor written (BC-12);
 * - a failed read writes nothing for those records (BC-34); an equal value sends nothing (unless
 *   the caller forces a keep-alive write with `forceWrite`);
 * - one record or entry failing never stops the others: every exception is caught per entry and
 *   becomes `failed` outcomes for that entry's records;
 * - every record of every entry gets exactly one Outcome, in `entry.records` order, and one log
 *   line (see outcome.ts);
 * - in a dry run nothing but reads is sent.
 *
 * Providers of one run share one Ctx object, made fresh per call: a provider may cache what it
 * learns per Ctx (the Cloudflare zones listing is asked once per account and run).
 */

/** The result of one entry. */
export interface EntryResult {
  entry: DomainEntry
  /** One per record, in `entry.records` order. */
  actions: Action[]
  /** One per record, in `entry.records` order. */
  outcomes: Outcome[]
}

/** Options of a run. */
export interface ReconcileOptions {
  /** Read and plan only: no write is sent (`edge-ddns plan`). */
  dryRun: boolean
  /** Entries worked on at once; default 4. */
  concurrency?: number
  /**
   * Records to write even though the provider already holds the address (`force_update_after`:
   * a keep-alive for providers that expire idle hosts). A planned `keep` of such a record becomes
   * an `update` to the same address, but only when the record holds exactly that one value: a
   * record with extra values is never rewritten. Default: none.
   */
  forceWrite?: (ref: RecordRef) => boolean
}

/** Entries in flight at once by default: enough to overlap network waits, few enough for a router. */
export const DEFAULT_CONCURRENCY = 4

/**
 * Reconciles every entry against the detected addresses.
 * Never throws for a provider or record failure; returns one EntryResult per entry, in order.
 */
export async function reconcile(entries: DomainEntry[], addresses: Addresses, ctx: Ctx, opts: ReconcileOptions): Promise<EntryResult[]> {
  const runCtx: Ctx = { ...ctx }
  const limit = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENCY)
  return mapLimit(entries, limit, (entry) => reconcileEntry(entry, addresses, runCtx, opts.dryRun, opts.forceWrite))
}

async function reconcileEntry(
  entry: DomainEntry,
  addresses: Addresses,
  ctx: Ctx,
  dryRun: boolean,
  forceWrite: ((ref: RecordRef) => boolean) | undefined,
): Promise<EntryResult> {
  let actions: Action[]
  let outcomes: Outcome[]
  try {
    ;({ actions, outcomes } = await runEntry(entry, addresses, ctx, dryRun, forceWrite))
  } catch (e) {
    // Records of a family without an address are still `skip`; every other record fails.
    const error = toEdgeError(e)
    actions = planEntry(
      entry,
      addresses,
      entry.records.map(() => ({ kind: 'failed', error })),
    )
    outcomes = actions.map((a) => outcomeWithoutWrite(a, false) as Outcome)
  }
  for (let i = 0; i < outcomes.length; i++) {
    const o = outcomes[i] as Outcome
    for (const line of outcomeLines(o, actions[i], entry.type, dryRun, entry.def.capabilities.read)) ctx.log[line.level](line.text)
  }
  return { entry, actions, outcomes }
}

async function runEntry(
  entry: DomainEntry,
  addresses: Addresses,
  ctx: Ctx,
  dryRun: boolean,
  forceWrite: ((ref: RecordRef) => boolean) | undefined,
): Promise<{ actions: Action[]; outcomes: Outcome[] }> {
  const wanted = entry.records.map((ref, i) => ({ ref, i })).filter(({ ref }) => addressOf(addresses, familyOf(ref.type)) !== undefined)
  const current: (Current | undefined)[] = entry.records.map(() => undefined)
  let provider: Provider | undefined
  if (wanted.length > 0) {
    if (ctx.signal.aborted) throw new EdgeError('transient', 'aborted: run deadline reached')
    provider = entry.def.create(entry.settings, { families: entry.families, ...(entry.ttl !== undefined ? { ttl: entry.ttl } : {}) })
    let read: Current[]
    try {
      read = await provider.read(
        wanted.map((w) => w.ref),
        ctx,
      )
      if (!Array.isArray(read) || read.length !== wanted.length) {
        throw new EdgeError('internal', `${entry.type}: read returned ${Array.isArray(read) ? read.length : 'no'} results for ${wanted.length} records (this is a bug in edge-ddns, please report it)`)
      }
    } catch (e) {
      const error = toEdgeError(e)
      read = wanted.map(() => ({ kind: 'failed', error }))
    }
    wanted.forEach((w, k) => {
      current[w.i] = read[k]
    })
  }

  const actions = planEntry(entry, addresses, current).map((a) =>
    forceWrite && a.kind === 'keep' && a.current.values.length === 1 && forceWrite(a.ref)
      ? ({ kind: 'update', ref: a.ref, value: a.value, current: a.current } satisfies Action)
      : a,
  )
  const outcomes: (Outcome | undefined)[] = actions.map((a) => outcomeWithoutWrite(a, dryRun))
  const writes: { i: number; change: Change }[] = []
  actions.forEach((a, i) => {
    if (outcomes[i] === undefined && (a.kind === 'update' || a.kind === 'create')) {
      writes.push({ i, change: { ref: a.ref, value: a.value, current: a.current, create: a.kind === 'create' } })
    }
  })

  if (writes.length > 0 && provider) {
    let results: Outcome[]
    try {
      if (ctx.signal.aborted) throw new EdgeError('transient', 'aborted: run deadline reached')
      results = await provider.write(
        writes.map((w) => w.change),
        ctx,
      )
      if (!Array.isArray(results) || results.length !== writes.length) {
        throw new EdgeError('internal', `${entry.type}: write returned ${Array.isArray(results) ? results.length : 'no'} outcomes for ${writes.length} changes (this is a bug in edge-ddns, please report it)`)
      }
    } catch (e) {
      const error = toEdgeError(e)
      results = writes.map((w) => ({
        ref: w.change.ref,
        status: 'failed',
        value: w.change.value,
        ...(w.change.current.kind === 'present' ? { previous: w.change.current.values } : {}),
        error,
      }))
    }
    writes.forEach((w, k) => {
      // The provider's outcome, but always for the record it was asked about.
      outcomes[w.i] = { ...(results[k] as Outcome), ref: w.change.ref }
    })
  }

  return {
    actions,
    outcomes: outcomes.map(
      (o, i) =>
        o ?? {
          ref: entry.records[i]!,
          status: 'failed',
          error: new EdgeError('internal', 'no outcome for this record (this is a bug in edge-ddns, please report it)'),
        },
    ),
  }
}

/** Runs `fn` over `items` with at most `limit` at once; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
