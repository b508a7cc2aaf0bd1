import type { Config } from '../config/types.js'
import type { Ctx } from '../context.js'
import { createDnsClient } from '../dns/client.js'
import { EdgeError } from '../errors.js'
import { createHttpClient } from '../net/http.js'
import { EXIT } from '../report/exit.js'
import type { Logger } from '../report/log.js'
import type { Redactor } from '../report/redact.js'
import { daemonSettings } from '../schedule/config.js'
import { Daemon, human } from '../schedule/daemon.js'
import { claimStateDir, holderText, releaseStateDir } from '../schedule/locks.js'
import type { DaemonSignal, ProcessPort } from '../schedule/signals.js'
import { ensureStateDir, StateStore } from '../schedule/state.js'
import { BUILD_TIME_MS, VERSION } from '../version.js'
import type { BaseEnv } from './app.js'
import { mqttOf, mqttReporter } from './report.js'
import { resolveStateDir } from './statedir.js'

/**
 * Signal handling from the first moment of `edge-ddns daemon`, before the config is loaded:
 * Node opens its inspector on SIGUSR1 unless a listener exists, and a SIGTERM during start-up
 * must still end the process cleanly. Signals that arrive before the daemon exists are kept:
 * a stop is honoured as soon as it can be; SIGHUP and SIGUSR1 are moot then (the config is being
 * read, and the first cycle runs at once).
 */
export class EarlySignals {
  private readonly offs: (() => void)[] = []
  private daemon: Daemon | undefined
  /** Set when SIGTERM or SIGINT came before the daemon existed. */
  stopRequested: DaemonSignal | undefined

  constructor(port: ProcessPort) {
    const on = (sig: DaemonSignal, fn: (d: Daemon) => void): void => {
      this.offs.push(
        port.onSignal(sig, () => {
          if (this.daemon) fn(this.daemon)
          else if (sig === 'SIGTERM' || sig === 'SIGINT') this.stopRequested ??= sig
        }),
      )
    }
    on('SIGTERM', (d) => d.stop('SIGTERM'))
    on('SIGINT', (d) => d.stop('SIGINT'))
    on('SIGHUP', (d) => d.reload('SIGHUP'))
    on('SIGUSR1', (d) => d.trigger('SIGUSR1'))
  }

  /** Routes the signals to `d` from now on. */
  attach(d: Daemon): void {
    this.daemon = d
    if (this.stopRequested) d.stop(this.stopRequested)
  }

  /** Removes the listeners. */
  dispose(): void {
    for (const off of this.offs.splice(0)) off()
  }
}

/**
 * `edge-ddns daemon`: runs until SIGTERM/SIGINT, then exits 0. A bad config at start has already
 * exited 78 (main); a state directory that cannot be created is a config error too (78); another
 * live daemon, or a oneshot `run` in progress, on the same state directory is exit 1.
 */
export async function daemonCommand(env: BaseEnv, log: Logger, redactor: Redactor): Promise<number> {
  const { args, config, io, clock, proc } = env
  if (env.early?.stopRequested) return EXIT.OK
  const choice = resolveStateDir(args, config, io.env, 'daemon', io.fileExists)
  if (!choice) throw new EdgeError('internal', 'no state directory for the daemon (this is a bug in edge-ddns, please report it)')
  const dir = choice.dir
  ensureStateDir(dir, log)
  const holder = claimStateDir(dir, 'daemon', proc.pid, proc, {
    onStale: (file, why) => log.info(`daemon: replaced the stale pid file ${file} (${why})`),
  })
  if (holder?.kind === 'daemon') {
    log.error(`daemon: another edge-ddns daemon (${holderText(holder)}) uses the state directory ${dir}; not starting a second one`)
    return EXIT.FAILED
  }
  if (holder) {
    log.error(`daemon: an edge-ddns run (${holderText(holder)}) holds the state directory ${dir} (${holder.file}); not starting alongside it; start again when it has ended`)
    return EXIT.FAILED
  }
  try {
    return await runDaemon(env, log, redactor, dir, choice.from)
  } finally {
    releaseStateDir(dir, 'daemon', proc.pid, proc)
  }
}

async function runDaemon(env: BaseEnv, log: Logger, redactor: Redactor, dir: string, from: string): Promise<number> {
  const { config, clock, proc } = env
  const store = StateStore.open({ dir, log, now: clock.now })

  // Clients per config: a reload may change the timeouts.
  let clientsFor: Config | undefined
  let clients: Pick<Ctx, 'http' | 'dns'> | undefined
  const makeCtx = (cfg: Config, signal: AbortSignal): Ctx => {
    if (clientsFor !== cfg || !clients) {
      clients = {
        http: createHttpClient({ timeoutMs: cfg.timeouts.httpMs, userAgent: `edge-ddns/${VERSION}` }),
        dns: createDnsClient({ dnsMs: cfg.timeouts.dnsMs, dnsRetries: cfg.timeouts.dnsRetries }),
      }
      clientsFor = cfg
    }
    return { signal, ...clients, log, redactor, now: clock.now, timeouts: cfg.timeouts }
  }

  const daemon = new Daemon({
    config,
    reload: env.reload,
    makeCtx,
    store,
    clock,
    log,
    buildTimeMs: BUILD_TIME_MS,
    reporter: mqttReporter({ log, redactor, now: clock.now, store, stateDir: dir }),
  })
  const d = daemonSettings(config)
  log.info(
    `daemon: started (pid ${proc.pid}, ${config.file ?? 'no config file'}, state ${dir} from ${from}, every ${human(d.intervalMs)}${mqttOf(config) ? ', mqtt' : ''})`,
  )
  env.early?.attach(daemon)
  await daemon.run()
  return EXIT.OK
}
