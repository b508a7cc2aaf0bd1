import type { Config } from '../config/types.js'
import { displayConfig } from '../config/display.js'
import { EXIT } from '../report/exit.js'
import type { Redactor } from '../report/redact.js'
import { plural, type Io } from './app.js'

/**
 * `edge-ddns check`: the config loaded without error (or main would have exited 78); print it
 * rendered, with every secret as `***`, and a one-line summary of what it manages.
 */
export function checkCommand(config: Config, rendered: string, warnings: string[], io: Io, redactor: Redactor): number {
  if (config.file === null) {
    io.stdout('no config file found: edge-ddns would only detect and print the WAN address\n')
    return EXIT.OK
  }
  io.stdout(`${displayConfig(rendered, redactor)}\n`)
  const records = config.domains.reduce((n, d) => n + d.records.length, 0)
  io.stdout(`# ${config.file}: ok, ${plural(config.domains.length, 'domain entry', 'domain entries')}, ${plural(records, 'record', 'records')}${warnings.length ? `, ${plural(warnings.length, 'warning', 'warnings')}` : ''}\n`)
  return EXIT.OK
}
