import type { Redactor } from './redact.js'

/** Log levels, most to least verbose. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

/**
 * One line per event, stable wording, secrets replaced by `***`.
 * Lines go to a sink (stderr in the CLI, an array in tests) as `<level>: <message>`,
 * without timestamps: journald and procd add their own.
 */
export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
  /** Changes the threshold (the config's `[log] level` is known only after the config stage). */
  setLevel(level: LogLevel): void
}

/** Creates a logger writing whole lines to `sink`; every line passes through `redactor` first. */
export function createLogger(sink: (line: string) => void, redactor: Redactor, level: LogLevel = 'info'): Logger {
  let min = LOG_LEVELS.indexOf(level)
  const emit = (lvl: LogLevel, msg: string): void => {
    if (LOG_LEVELS.indexOf(lvl) < min) return
    for (const part of redactor.redact(msg).split('\n')) sink(`${lvl}: ${part}`)
  }
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    setLevel: (l) => {
      min = LOG_LEVELS.indexOf(l)
    },
  }
}

/** A logger that keeps its lines in memory, for tests that pin exact log lines. */
export function memoryLogger(redactor: Redactor, level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = []
  const log = createLogger((l) => lines.push(l), redactor, level)
  return Object.assign(log, { lines })
}
