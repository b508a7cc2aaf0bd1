import { DEFAULT_TIMEOUTS, type Ctx } from '../context.js'
import { EdgeError, toEdgeError } from '../errors.js'
import type { Config } from '../config/types.js'
import { findConfigPath, loadConfig } from '../config/load.js'
import { createHttpClient } from '../net/http.js'
import { createDnsClient } from '../dns/client.js'
import { createLogger, type Logger } from '../report/log.js'
import { Redactor } from '../report/redact.js'
import { EXIT, exitCodeForKind } from '../report/exit.js'
import { BUILD_TIME_MS, VERSION } from '../version.js'
import { parseCliArgs, USAGE, type Args } from './args.js'
import { readEnvFile } from './envfile.js'
import { providers } from '../providers/registry.js'
import { providerDetail, providerText } from '../providers/table.js'
import { checkCommand } from './check.js'
import { detectCommand } from './detect.js'
import { runCommand } from './run.js'
import { daemonCommand, EarlySignals } from './daemon.js'
import { statusCommand } from './status.js'
import { triggerCommand } from './trigger.js'
import { systemClock, type Clock } from '../schedule/clock.js'
import { processPort, type ProcessPort } from '../schedule/signals.js'

/** What the CLI talks to; the real process in main.ts, buffers in tests. */
export interface Io {
  argv: string[]
  env: Record<string, string | undefined>
  stdout(text: string): void
  /** One log line (no newline). */
  stderr(line: string): void
  /** Milliseconds since the epoch. */
  now(): number
  fileExists(path: string): boolean
  /** Signals, pid and kill for `daemon` and `trigger`; default the real process. */
  proc?: ProcessPort
  /** The daemon's clock; default `now` above with real timers. */
  clock?: Clock
  /**
   * Called before a long-running command (the daemon) starts: from then on printing must never
   * block the event loop, even into a full pipe (main.ts switches from synchronous writes to the
   * buffering streams).
   */
  longRunning?(): void
}

/** What every command gets once the config is loaded. */
export interface BaseEnv {
  args: Args
  config: Config
  io: Io
  /** Lines the config stage wants the user to see (`check` prints them). */
  warnings: string[]
  rendered: string
  /** The config file in use (null: none). */
  path: string | null
  /** Reads the config again as at start (the env file too): the daemon's SIGHUP. Throws ConfigError. */
  reload(): Config
  /** The daemon's clock. */
  clock: Clock
  proc: ProcessPort
  /** Signals caught since start (daemon only). */
  early?: EarlySignals
}

/** Everything a networked command (run, plan, detect) needs. */
export interface CommandEnv extends BaseEnv {
  ctx: Ctx
}

/**
 * The whole CLI: parses arguments, loads the config, builds the context and runs one command.
 * Returns the exit code; never throws (an unexpected error is exit 70 with "please report").
 */
export async function main(io: Io): Promise<number> {
  const redactor = new Redactor()
  const log = createLogger(io.stderr, redactor, 'info')
  let args: Args
  try {
    args = parseCliArgs(io.argv)
  } catch (e) {
    // The error and a pointer to --help go to stderr; stdout stays for results.
    log.error(`${toEdgeError(e).message} (see edge-ddns --help)`)
    return EXIT.USAGE
  }
  if (args.help) {
    io.stdout(`${USAGE}\n`)
    return EXIT.OK
  }
  if (args.version) {
    io.stdout(`${VERSION}\n`)
    return EXIT.OK
  }
  if (args.command === 'providers') {
    // From the registry alone: no config, no network.
    if (args.provider === undefined) {
      io.stdout(providerText(providers))
      return EXIT.OK
    }
    const detail = providerDetail(providers, args.provider)
    if (detail === undefined) {
      log.error(`providers: unknown provider type or dyndns2 preset '${args.provider}' (edge-ddns providers lists them)`)
      return EXIT.USAGE
    }
    io.stdout(detail)
    return EXIT.OK
  }
  if (args.logLevel) log.setLevel(args.logLevel)
  const proc = io.proc ?? processPort
  // First thing for the daemon: until a SIGUSR1 listener exists, Node opens its inspector on one.
  const early = args.command === 'daemon' ? new EarlySignals(proc) : undefined
  if (args.command === 'daemon') io.longRunning?.()
  try {
    return await withConfig(args, io, log, redactor, proc, early)
  } catch (e) {
    const err = toEdgeError(e)
    log.error(err.hint ? `${err.message} (${err.hint})` : err.message)
    return exitCodeForKind(err.kind)
  } finally {
    early?.dispose()
  }
}

async function withConfig(args: Args, io: Io, log: Logger, redactor: Redactor, proc: ProcessPort, early: EarlySignals | undefined): Promise<number> {
  const readEnv = (): Record<string, string | undefined> => (args.envFile ? { ...readEnvFile(args.envFile), ...io.env } : io.env)
  const env = readEnv()
  const path = findConfigPath(args.config, env, io.fileExists)
  const { config, warnings, rendered } = loadConfig({ path, env, redactor })
  if (!args.logLevel && config.logLevel) log.setLevel(config.logLevel)
  if (path) log.debug(`config: loaded ${path} (${plural(config.domains.length, 'domain entry', 'domain entries')})`)
  else log.debug('config: none found; detecting and printing the WAN address only')
  for (const w of warnings) log.warn(`config: ${w}`)
  if (args.command === 'check') return checkCommand(config, rendered, warnings, io, redactor)

  const clock: Clock = io.clock ?? { now: io.now, sleep: systemClock.sleep }
  const reload = (): Config => {
    const next = loadConfig({ path, env: readEnv(), redactor })
    for (const w of next.warnings) log.warn(`config: ${w}`)
    if (!args.logLevel) log.setLevel(next.config.logLevel ?? 'info')
    return next.config
  }
  const base: BaseEnv = { args, config, io, warnings, rendered, path, reload, clock, proc, ...(early ? { early } : {}) }
  if (args.command === 'status') return statusCommand(base, log)
  if (args.command === 'trigger') return triggerCommand(base, log)
  if (args.command === 'daemon') return daemonCommand(base, log, redactor)

  // A router without a real-time clock boots in 1970: TLS and TSIG would fail in confusing ways,
  // so nothing is sent until NTP has set the clock (BC-30).
  if (io.now() < BUILD_TIME_MS) {
    throw new EdgeError('clock', `clock not synchronised yet (${new Date(io.now()).toISOString()} is before this build); deferring, nothing sent`)
  }

  const timeouts = config.timeouts ?? DEFAULT_TIMEOUTS
  const ac = new AbortController()
  const deadline = setTimeout(() => ac.abort(), timeouts.runMs)
  const ctx: Ctx = {
    signal: ac.signal,
    http: createHttpClient({ timeoutMs: timeouts.httpMs, userAgent: `edge-ddns/${VERSION}` }),
    dns: createDnsClient({ dnsMs: timeouts.dnsMs, dnsRetries: timeouts.dnsRetries }),
    log,
    redactor,
    now: io.now,
    timeouts,
  }
  const cmdEnv: CommandEnv = { ...base, ctx }
  try {
    if (args.command === 'detect') return await detectCommand(cmdEnv)
    return await runCommand(cmdEnv, args.command === 'plan')
  } finally {
    clearTimeout(deadline)
  }
}

/** `1 record`, `2 records`. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
