import type { Config } from '../config/types.js'
import { DEFAULT_TIMEOUTS } from '../context.js'
import type { Addresses } from '../detect/types.js'
import type { Family, OutcomeStatus } from '../providers/types.js'
import type { EntryResult } from '../reconcile/apply.js'
import { EXIT } from '../report/exit.js'
import type { RunSummary } from '../report/summary.js'
import { stateSettings } from '../schedule/config.js'
import { buildSummary, familiesOf, runCycle } from '../schedule/cycle.js'
import { claimStateDir, holderText, releaseStateDir } from '../schedule/locks.js'
import { ensureStateDir, StateStore } from '../schedule/state.js'
import type { CommandEnv } from './app.js'
import { mqttOf, publishOneshot } from './report.js'
import { resolveStateDir, type StateDirChoice } from './statedir.js'

export { buildSummary, familiesOf }

/**
 * `edge-ddns run` and `edge-ddns plan` (dryRun): detect, reconcile, report.
 * Without any `[[domains]]` entry it only detects and prints the addresses, as dness does.
 *
 * State: `run` keeps state only when a state directory is given (`--state-dir`, `[state] dir`,
 * `$STATE_DIRECTORY`); then an unchanged address verified less than `verify_every` ago costs no
 * provider call, holds and back-offs apply (a 429 is recorded, never slept on: the run exits 1),
 * and `--force` ignores the state once. `plan` never reads or writes the state.
 * A run with a state directory holds it for its whole length (`claimStateDir`): while the daemon,
 * or another run, holds it, the run refuses with exit 1 and sends nothing.
 * MQTT: after a run (not a plan), when `[mqtt]` is configured (see report.ts).
 * Returns the exit code.
 */
export async function runCommand(env: CommandEnv, dryRun: boolean): Promise<number> {
  const { config, ctx, io, args, proc } = env
  const choice = dryRun ? null : resolveStateDir(args, config, io.env, 'oneshot', io.fileExists)
  if (!choice) return runWith(env, dryRun, null)
  ensureStateDir(choice.dir, ctx.log)
  const holder = claimStateDir(choice.dir, 'run', proc.pid, proc, {
    holdMs: runHoldMs(config),
    onStale: (file, why) => ctx.log.info(`run: replaced the stale lock ${file} (${why})`),
  })
  if (holder) {
    ctx.log.error(
      holder.kind === 'daemon'
        ? `run: the edge-ddns daemon (${holderText(holder)}) holds the state directory ${choice.dir}; not running alongside it (edge-ddns trigger asks the daemon for a cycle now)`
        : `run: another edge-ddns run (${holderText(holder)}) holds the state directory ${choice.dir} (${holder.file}); not running alongside it`,
    )
    return EXIT.FAILED
  }
  try {
    return await runWith(env, dryRun, choice)
  } finally {
    releaseStateDir(choice.dir, 'run', proc.pid, proc)
  }
}

/**
 * The longest a run can hold the state directory, in ms: its deadline (`timeouts.run`), the MQTT
 * report after it (`connect_timeout` + `publish_timeout` + 1 s), and a minute for the rest. Only
 * a process in another PID namespace, which cannot look the run up, goes by it.
 */
export function runHoldMs(config: Pick<Config, 'timeouts' | 'extra'>): number {
  const mqtt = mqttOf(config)
  const report = mqtt ? (mqtt.connectTimeoutSec + mqtt.publishTimeoutSec + 1) * 1000 : 0
  return (config.timeouts ?? DEFAULT_TIMEOUTS).runMs + report + 60_000
}

/** The run itself; `choice` is the state directory, held by this process, or null for none. */
async function runWith(env: CommandEnv, dryRun: boolean, choice: StateDirChoice | null): Promise<number> {
  const { config, ctx, io, args } = env
  let store: StateStore | null = null
  const stateDir = choice?.dir
  if (choice) {
    store = StateStore.open({ dir: choice.dir, log: ctx.log, now: ctx.now })
    ctx.log.debug(`state: ${store.file} (from ${choice.from})${args.force ? '; ignored for this run (--force)' : ''}`)
  }
  const cycle = await runCycle(config, ctx, { dryRun, force: args.force, store, policy: stateSettings(config) })
  store?.save()
  const { results, addresses, families, summary } = cycle

  let code: number
  if (config.domains.length === 0) code = printAddressesOnly(env, addresses, families, summary)
  else {
    if (dryRun) {
      // A plan succeeds when every record could be read and has an address; planned writes are fine.
      const bad = results.flatMap((r) => r.actions).filter((a) => a.kind === 'fail' || a.kind === 'missing' || a.kind === 'skip')
      summary.exitCode = bad.length ? EXIT.FAILED : EXIT.OK
      summary.ok = bad.length === 0
    }
    if (args.json) io.stdout(`${ctx.redactor.json(dryRun ? { ...summary, plan: planJson(results) } : summary)}\n`)
    else io.stdout(ctx.redactor.redact(dryRun ? planText(results) : resultText(summary)))
    code = summary.exitCode
  }
  const mqtt = mqttOf(config)
  if (!dryRun && mqtt) {
    const res = await publishOneshot(config, summary, { log: ctx.log, redactor: ctx.redactor, now: ctx.now, store, stateDir })
    if (code === EXIT.OK && res && !res.ok && (mqtt.required || args.mqttRequired)) {
      ctx.log.error('mqtt: the publish failed and MQTT is required (--mqtt-required or [mqtt] required); exit 1')
      code = EXIT.FAILED
    }
  }
  return code
}

function printAddressesOnly(env: CommandEnv, addresses: Addresses, families: Family[], summary: RunSummary): number {
  const { io, args, ctx } = env
  const found = families.filter((f) => addresses[f]?.address)
  // One family is enough: many homes have no IPv6.
  summary.ok = found.length > 0
  summary.exitCode = found.length ? EXIT.OK : EXIT.FAILED
  if (args.json) {
    io.stdout(`${ctx.redactor.json(summary)}\n`)
  } else {
    for (const f of families) {
      const r = addresses[f]
      const label = f === 4 ? 'ipv4' : 'ipv6'
      if (r?.address) io.stdout(`${label} ${r.address} (${r.source ?? 'unknown source'})\n`)
      else io.stdout(`${label} none\n`)
    }
  }
  return summary.exitCode
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
