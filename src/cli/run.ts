import type { Config } from '../config/types.js'
import { detectAddresses } from '../detect/select.js'
import type { Addresses } from '../detect/types.js'
import type { Family, OutcomeStatus } from '../providers/types.js'
import { reconcile, type EntryResult } from '../reconcile/apply.js'
import { EXIT, exitCodeForRun } from '../report/exit.js'
import { detectedReport, emptyCounts, recordReport, type RunSummary } from '../report/summary.js'
import { VERSION } from '../version.js'
import type { CommandEnv } from './app.js'

/** The families a config needs: every family some entry manages; both when there is no entry. */
export function familiesOf(config: Config): Family[] {
  if (config.domains.length === 0) return [4, 6]
  const set = new Set<Family>()
  for (const d of config.domains) for (const f of d.families) set.add(f)
  return ([4, 6] as Family[]).filter((f) => set.has(f))
}

/**
 * `edge-ddns run` and `edge-ddns plan` (dryRun): detect, reconcile, report.
 * Without any `[[domains]]` entry it only detects and prints the addresses, as dness does.
 * Returns the exit code.
 */
export async function runCommand(env: CommandEnv, dryRun: boolean): Promise<number> {
  const { config, ctx, io, args } = env
  const started = io.now()
  const families = familiesOf(config)
  const addresses = await detectAddresses(config.detect, families, ctx)

  if (config.domains.length === 0) return printAddressesOnly(env, addresses, families, started)

  const results = await reconcile(config.domains, addresses, ctx, { dryRun })
  const summary = buildSummary(results, addresses, started, io.now())
  if (dryRun) {
    // A plan succeeds when every record could be read and has an address; planned writes are fine.
    const bad = results.flatMap((r) => r.actions).filter((a) => a.kind === 'fail' || a.kind === 'missing' || a.kind === 'skip')
    summary.exitCode = bad.length ? EXIT.FAILED : EXIT.OK
    summary.ok = bad.length === 0
  }
  if (args.json) io.stdout(`${ctx.redactor.redact(JSON.stringify(dryRun ? { ...summary, plan: planJson(results) } : summary, null, 2))}\n`)
  else io.stdout(ctx.redactor.redact(dryRun ? planText(results) : resultText(summary)))
  return summary.exitCode
}

function printAddressesOnly(env: CommandEnv, addresses: Addresses, families: Family[], started: number): number {
  const { io, args, ctx } = env
  const found = families.filter((f) => addresses[f]?.address)
  if (args.json) {
    const summary = buildSummary([], addresses, started, io.now())
    summary.ok = found.length > 0
    summary.exitCode = found.length ? EXIT.OK : EXIT.FAILED
    io.stdout(`${ctx.redactor.redact(JSON.stringify(summary, null, 2))}\n`)
  } else {
    for (const f of families) {
      const r = addresses[f]
      const label = f === 4 ? 'ipv4' : 'ipv6'
      if (r?.address) io.stdout(`${label} ${r.address} (${r.source ?? 'unknown source'})\n`)
      else io.stdout(`${label} none\n`)
    }
  }
  // One family is enough: many homes have no IPv6.
  return found.length ? EXIT.OK : EXIT.FAILED
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

const ORDER: OutcomeStatus[] = ['updated', 'created', 'unchanged', 'missing', 'failed', 'skipped']

function resultText(s: RunSummary): string {
  const width = Math.max(4, ...s.records.map((r) => r.name.length))
  const lines = s.records.map((r) => {
    const what = r.status === 'updated' ? `${r.previous?.join(', ') ?? '?'} -> ${r.value}` : (r.value ?? '')
    const err = r.error ? `  ${r.error}` : ''
    return `${r.name.padEnd(width)}  ${r.type.padEnd(4)}  ${r.status.padEnd(9)}  ${what}${err}`.trimEnd()
  })
  const counts = ORDER.filter((k) => s.counts[k] > 0).map((k) => `${s.counts[k]} ${k}`)
  lines.push(counts.length ? counts.join(', ') : 'no records')
  return `${lines.join('\n')}\n`
}

function planJson(results: EntryResult[]): Array<Record<string, unknown>> {
  return results.flatMap((r) =>
    r.actions.map((a) => ({
      entry: r.entry.path,
      provider: r.entry.type,
      name: a.ref.fqdn,
      type: a.ref.type,
      action: a.kind,
      ...('value' in a && a.value !== undefined ? { value: a.value } : {}),
      ...('current' in a && a.current.kind === 'present' ? { current: a.current.values } : {}),
      ...(a.kind === 'fail' ? { error: a.error.message } : {}),
      ...(a.kind === 'skip' ? { reason: a.reason } : {}),
    })),
  )
}

function planText(results: EntryResult[]): string {
  const rows = planJson(results)
  if (rows.length === 0) return 'no records\n'
  const width = Math.max(...rows.map((r) => String(r.name).length))
  const lines = rows.map((r) => {
    const cur = Array.isArray(r.current) ? r.current.join(', ') : '(none)'
    const detail =
      r.action === 'update'
        ? `${cur} -> ${String(r.value)}`
        : r.action === 'create'
          ? `create ${String(r.value)}`
          : r.action === 'keep'
            ? String(r.value)
            : r.action === 'missing'
              ? `absent; would not create (create = false)`
              : String(r.error ?? r.reason ?? '')
    return `${String(r.action).padEnd(7)}  ${String(r.name).padEnd(width)}  ${String(r.type).padEnd(4)}  ${detail}`
  })
  const writes = rows.filter((r) => r.action === 'update' || r.action === 'create').length
  lines.push(`plan: ${writes} write${writes === 1 ? '' : 's'} would be sent; nothing was sent`)
  return `${lines.join('\n')}\n`
}
