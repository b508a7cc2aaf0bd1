import type { ParseCtx } from '../providers/types.js'
import type { Table } from './fields.js'
import { parseMqttSection } from '../report/mqtt/config.js'
import { parseDaemonSection, parseStateSection } from '../schedule/config.js'

/**
 * Top-level config sections owned by other modules (`[mqtt]`, `[state]`, `[daemon]`).
 * The config stage checks the section is a table, then hands it to its owner's `parse`, whose
 * result lands in `Config.extra[name]`. A parse must be light (no library loading, no I/O) and
 * must throw ConfigError with the key path for anything wrong.
 */
export interface SectionDef<T = unknown> {
  name: string
  parse(t: Table, path: string, ctx: ParseCtx): T
}

/** Every section, one line each. */
export const sections: SectionDef[] = [
  { name: 'mqtt', parse: parseMqttSection },
  { name: 'state', parse: parseStateSection },
  { name: 'daemon', parse: parseDaemonSection },
]
