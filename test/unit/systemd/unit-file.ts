import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../helpers/bundle.js'

/** The repository's systemd/ directory. */
export const SYSTEMD_DIR = join(ROOT, 'systemd')

/** The units the Debian package installs. */
export const UNITS = ['edge-ddns.service', 'edge-ddns.timer', 'edge-ddns-daemon.service'] as const
/** The services among them. */
export const SERVICES = ['edge-ddns.service', 'edge-ddns-daemon.service'] as const
/** The fixed-endpoint drop-in (installed as `<unit>.d/fixed-endpoints.conf`). */
export const DROP_IN = 'fixed-endpoints.conf.example'

/** One `Key=value` line of a unit file, in file order. */
export interface Assignment {
  section: string
  key: string
  value: string
  line: number
}

/** A parsed unit file: its assignments and its comment text (for "is it documented" checks). */
export interface UnitFile {
  assignments: Assignment[]
  comments: string
}

/**
 * Parses a unit file as systemd.syntax(7) describes it: `[Section]` headers, `Key=value` lines,
 * `#`/`;` comment lines, a trailing `\` joining the next line (with one space).
 * @throws Error for a line that is none of these (systemd would ignore it with a warning).
 */
export function parseUnit(text: string): UnitFile {
  const assignments: Assignment[] = []
  const comments: string[] = []
  let section = ''
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const start = i
    let line = lines[i]!.trim()
    if (line === '') continue
    if (line.startsWith('#') || line.startsWith(';')) {
      comments.push(line.slice(1).trim())
      continue
    }
    while (line.endsWith('\\') && i + 1 < lines.length) line = `${line.slice(0, -1)} ${lines[++i]!.trim()}`
    const header = /^\[([A-Za-z]+)\]$/.exec(line)
    if (header) {
      section = header[1]!
      continue
    }
    const m = /^([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*)$/.exec(line)
    if (!m || section === '') throw new Error(`line ${start + 1}: not a section header or Key=value: ${line}`)
    assignments.push({ section, key: m[1]!, value: m[2]!, line: start + 1 })
  }
  return { assignments, comments: comments.join('\n') }
}

/** Reads and parses `systemd/<name>`. */
export function readUnit(name: string): UnitFile {
  return parseUnit(readFileSync(join(SYSTEMD_DIR, name), 'utf8'))
}

/** Every value assigned to `key` in `section`, in order (an empty assignment is kept as ''). */
export function values(unit: UnitFile, section: string, key: string): string[] {
  return unit.assignments.filter((a) => a.section === section && a.key === key).map((a) => a.value)
}

/** The one value of `key`; throws when it is unset or set more than once. */
export function single(unit: UnitFile, section: string, key: string): string {
  const v = values(unit, section, key)
  if (v.length !== 1) throw new Error(`[${section}] ${key} is set ${v.length} times, expected once`)
  return v[0]!
}

/** Space-separated words of every assignment of a list setting (after the last reset). */
export function words(unit: UnitFile, section: string, key: string): string[] {
  const v = values(unit, section, key)
  const lastReset = v.lastIndexOf('')
  return v.slice(lastReset + 1).flatMap((x) => x.split(/\s+/).filter(Boolean))
}
