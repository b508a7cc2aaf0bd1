import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { LOG_LEVELS, type LogLevel } from '../report/log.js'

/** The commands `edge-ddns` knows. `run` is the default. */
export const COMMANDS = ['run', 'plan', 'detect', 'check', 'daemon', 'trigger', 'status', 'providers'] as const
export type Command = (typeof COMMANDS)[number]

/** The parsed command line. */
export interface Args {
  command: Command
  config?: string
  envFile?: string
  logLevel?: LogLevel
  json: boolean
  help: boolean
  version: boolean
  mqttRequired: boolean
  /** `--state-dir`: where the state file and the daemon's pid file live. */
  stateDir?: string
  /** `run --force`: ignore the state for one run (every record is read; results are still recorded). */
  force: boolean
  /** `providers TYPE`: the provider type (or dyndns2 preset) to explain. */
  provider?: string
}

export const USAGE = `Usage: edge-ddns [command] [options]

Commands:
  run       detect the WAN address and fix the configured records (default)
  plan      dry run: read every record and print what would change; writes nothing
  detect    ask every configured address source and print each answer
  check     validate the config and print it with secrets as ***
  daemon    run a cycle every [daemon] interval (default 5m); SIGUSR1 or 'trigger' runs one now,
            SIGHUP reloads the config, SIGTERM stops
  trigger   ask the running daemon for a cycle now (through its pid file in the state directory)
  status    print the state: per record its value, last change, last verify and hold-offs
  providers list every provider type with its keys (* = required);
            'providers TYPE' explains one type's keys and links its API documentation

Options:
  -c, --config PATH      config file (else $EDGE_DDNS_CONFIG, else /etc/edge-ddns/edge-ddns.toml if present)
  -e, --env-file PATH    read variables for the config template from PATH (KEY=value lines);
                         the process environment wins over the file
  -l, --log-level LEVEL  debug, info, warn or error (overrides [log] level)
      --json             print the run summary as JSON on stdout
      --mqtt-required    count a failed MQTT publish as a failure (exit 1)
  -s, --state-dir DIR    state directory (else [state] dir, else $STATE_DIRECTORY; the daemon,
                         status and trigger default to /var/lib/edge-ddns, /tmp/edge-ddns on OpenWrt);
                         run keeps state only when one of these is set
  -f, --force            run: ignore the state once and read every record (results are recorded)
  -h, --help             this text
  -V, --version          print the version

Exit codes: 0 ok; 1 a record or detection failed; 2 usage; 70 internal error;
75 deferred (clock not synchronised); 78 config error.`

/**
 * Parses argv (without node and script).
 * @throws UsageError for unknown options, a bad level, or more than one command.
 */
export function parseCliArgs(argv: string[]): Args {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        'env-file': { type: 'string', short: 'e' },
        'log-level': { type: 'string', short: 'l' },
        json: { type: 'boolean' },
        'mqtt-required': { type: 'boolean' },
        'state-dir': { type: 'string', short: 's' },
        force: { type: 'boolean', short: 'f' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'V' },
      },
    })
  } catch (e) {
    // Node's parseArgs text ends in advice about '--' that does not apply here: keep its first sentence.
    throw new UsageError((e as Error).message.split('. To specify a positional')[0] ?? 'bad arguments')
  }
  const { values, positionals } = parsed
  const cmd = positionals[0] ?? 'run'
  const most = cmd === 'providers' ? 2 : 1
  if (positionals.length > most) {
    throw new UsageError(cmd === 'providers' ? `providers takes one type at a time, got: ${positionals.slice(1).join(' ')}` : `one command at a time, got: ${positionals.join(' ')}`)
  }
  if (!(COMMANDS as readonly string[]).includes(cmd)) {
    throw new UsageError(`unknown command '${cmd}' (commands: ${COMMANDS.join(', ')})`)
  }
  if (values.force && cmd !== 'run') throw new UsageError(`--force applies to run only, not ${cmd}`)
  if (values['state-dir'] === '') throw new UsageError('--state-dir needs a directory')
  const level = values['log-level']
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level.toLowerCase())) {
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`)
  }
  return {
    command: cmd as Command,
    ...(values.config !== undefined ? { config: values.config } : {}),
    ...(values['env-file'] !== undefined ? { envFile: values['env-file'] } : {}),
    ...(level !== undefined ? { logLevel: level.toLowerCase() as LogLevel } : {}),
    json: values.json ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
    mqttRequired: values['mqtt-required'] ?? false,
    ...(values['state-dir'] !== undefined ? { stateDir: values['state-dir'] } : {}),
    force: values.force ?? false,
    ...(positionals[1] !== undefined ? { provider: positionals[1] } : {}),
  }
}
