import { providers } from '../providers/registry.js'
import { missingAt } from '../reconcile/outcome.js'
import { EXIT } from '../report/exit.js'
import type { Logger } from '../report/log.js'
import { human } from '../schedule/daemon.js'
import { checkPidFile } from '../schedule/locks.js'
import { iso, STATE_FILE, StateStore, type RecordState } from '../schedule/state.js'
import type { BaseEnv } from './app.js'
import { resolveStateDir } from './statedir.js'

/**
 * `edge-ddns status`: prints the state of each record (value, last change, last verify, hold-offs)
 * and whether the daemon runs. Reads only; never writes the state (a damaged file is reported,
 * not set aside). `--json` prints the state file's object plus `daemon`.
 * Exit 0 when a state file exists, 1 when there is none yet.
 */
export function statusCommand(env: BaseEnv, log: Logger): number {
  const { args, config, io, proc } = env
  const choice = resolveStateDir(args, config, io.env, 'daemon', io.fileExists)
  if (!choice) return EXIT.FAILED
  const dir = choice.dir
  const now = io.now()
  let daemon: string
  let pid: number | undefined
  try {
    const st = checkPidFile(dir, proc)
    if (st.kind === 'running') pid = st.pid
    daemon = st.kind === 'running' ? `running (pid ${st.pid})` : st.kind === 'stale' ? `not running (stale pid file: ${st.why})` : 'not running'
  } catch (e) {
    daemon = `unknown (${(e as NodeJS.ErrnoException).code ?? 'error'} reading the pid file)`
  }
  const store = StateStore.open({ dir, log, now: () => now, readOnly: true })
  if (args.json) {
    io.stdout(`${JSON.stringify({ dir, file: store.file, daemon: { running: pid !== undefined, ...(pid ? { pid } : {}) }, state: store.loaded ? store.toJSON(store.writtenAt ?? now) : null, ...(store.problem ? { problem: store.problem } : {}) }, null, 2)}\n`)
    return store.loaded ? EXIT.OK : EXIT.FAILED
  }
  const lines: string[] = []
  const head = store.loaded
    ? `${store.file}${store.writtenAt ? ` (written ${iso(store.writtenAt)}, ${human(Math.abs(now - store.writtenAt))} ${store.writtenAt <= now ? 'ago' : 'ahead'})` : ''}`
    : store.problem
      ? `${store.file} ${store.problem} (the daemon or the next run sets it aside and starts afresh)`
      : `none yet in ${dir} (no ${STATE_FILE})`
  lines.push(`state: ${head}`)
  lines.push(`daemon: ${daemon}`)
  const holds = [...store.holds].filter(([, h]) => h.until > now)
  for (const [account, h] of holds) lines.push(`hold: ${h.provider} account ${account}: no call before ${iso(h.until)} (in ${human(h.until - now)}): ${h.reason}`)
  const recs = [...store.records.values()].sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
  if (store.loaded && recs.length === 0) lines.push('no records yet')
  for (const r of recs) lines.push(...recordLines(r, now))
  io.stdout(`${lines.join('\n')}\n`)
  return store.loaded ? EXIT.OK : EXIT.FAILED
}

function when(t: number | undefined, now: number): string {
  return t === undefined ? 'never' : `${iso(t)} (${human(Math.abs(now - t))} ${t <= now ? 'ago' : 'ahead'})`
}

/**
 * The "last change" of a record, honestly: a change edge-ddns made or saw, or, for a value it only
 * ever read, when it first saw it. State files from before `changed` meant a change set it at the
 * first read too (equal to `seen`); a record edge-ddns never wrote is read as such a sighting,
 * which for the rare value changed elsewhere shows when edge-ddns first saw that value.
 */
function lastChange(r: RecordState, now: number): string {
  const sighting = r.changed === undefined || (r.written === undefined && r.changed === r.seen)
  if (!sighting) return when(r.changed, now)
  const first = r.seen ?? r.changed
  return first === undefined ? 'never' : `none by edge-ddns (value first seen ${when(first, now)})`
}

/** How a provider type reads records back (push-only ones over DNS); `api` for an unknown type. */
function readBy(type: string | undefined): 'api' | 'dns' {
  return type !== undefined && Object.prototype.hasOwnProperty.call(providers, type) ? (providers[type]?.capabilities.read ?? 'api') : 'api'
}

function recordLines(r: RecordState, now: number): string[] {
  const value = r.value ?? (r.missing !== undefined ? `(${missingAt(r.provider ?? 'the provider', readBy(r.provider))})` : '(no value yet)')
  const out = [`${r.name} ${r.type} (${r.provider}${r.zone ? `, zone ${r.zone}` : ''}): ${value}`]
  out.push(`  last change: ${lastChange(r, now)}`)
  out.push(`  last write:  ${when(r.written, now)}`)
  out.push(`  last verify: ${when(r.verified, now)}`)
  if (r.answer) out.push(`  last answer: ${r.answer}${r.answered ? `, ${when(r.answered, now)}` : ''}`)
  if (r.blocked) {
    out.push(`  hold-off: stopped since ${iso(r.blocked.at)} (${r.blocked.kind}${r.blocked.code ? ` ${r.blocked.code}` : ''}) until its entry in the config changes, or run --force`)
  } else if (r.retry !== undefined && r.retry > now) {
    out.push(`  hold-off: backing off until ${iso(r.retry)} (in ${human(r.retry - now)}) after ${r.failures} failure${r.failures === 1 ? '' : 's'}`)
  } else if (r.failures > 0) {
    out.push(`  failures in a row: ${r.failures}`)
  }
  return out
}
