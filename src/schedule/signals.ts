import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * The process edges of the daemon: signals, and the pid file that `edge-ddns trigger` uses.
 *
 * Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config, SIGUSR1 asks for a cycle now. Node
 * reserves SIGUSR1 to open its inspector on 127.0.0.1:9229; installing a listener (which the
 * daemon does first thing) replaces that, checked on Node 18 and 20. Bun has no such default.
 *
 * The pid file is `<state dir>/edge-ddns.pid`. A pid file can outlive its process (a crash, a
 * reboot with a persistent /var/lib), and the number may since belong to another program: a pid
 * counts as ours only while that process lives and, where /proc shows command lines, its command
 * line names edge-ddns.
 */

/** Signals the daemon handles. */
export type DaemonSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP' | 'SIGUSR1'

/** What the daemon and `trigger` need from the process; the real one is `processPort`. */
export interface ProcessPort {
  pid: number
  /** Calls `cb` on each `sig`; returns the remover. */
  onSignal(sig: DaemonSignal, cb: () => void): () => void
  /** `process.kill`: throws an errno error (ESRCH, EPERM). Signal 0 only checks. */
  kill(pid: number, sig: NodeJS.Signals | 0): void
  /** The command line of `pid` (arguments joined by spaces), null when the process is gone, undefined when this OS cannot tell. */
  cmdline(pid: number): string | null | undefined
}

/** The real process. */
export const processPort: ProcessPort = {
  pid: process.pid,
  onSignal(sig, cb) {
    process.on(sig, cb)
    return () => {
      process.off(sig, cb)
    }
  },
  kill: (pid, sig) => {
    process.kill(pid, sig)
  },
  cmdline(pid) {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return undefined
      try {
        readFileSync('/proc/self/cmdline')
        return null
      } catch {
        return undefined
      }
    }
  },
}

/** File name of the pid file in the state directory. */
export const PID_FILE = 'edge-ddns.pid'

/** Path of the pid file of `dir`. */
export function pidFilePath(dir: string): string {
  return join(dir, PID_FILE)
}

/** Writes `pid` to the pid file (temp file + rename, mode 0644: `trigger` may run as another user that can read it). */
export function writePidFile(dir: string, pid: number): void {
  const p = pidFilePath(dir)
  const tmp = `${p}.${pid}.tmp`
  writeFileSync(tmp, `${pid}\n`, { mode: 0o644 })
  renameSync(tmp, p)
}

/**
 * Claims the state directory for daemon `pid`: creates the pid file exclusively (O_EXCL), so two
 * daemons started at the same instant cannot both win (a check then a write could). A pid file
 * of a process that is gone is replaced (only if it still names that process). Returns the pid
 * of the daemon that holds the directory when it is another one, else undefined.
 */
export function claimPidFile(dir: string, pid: number, port: ProcessPort): number | undefined {
  const p = pidFilePath(dir)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(p, `${pid}\n`, { mode: 0o644, flag: 'wx' })
      return undefined
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const st = checkPidFile(dir, port)
    if (st.kind === 'running') return st.pid === pid ? undefined : st.pid
    // Stale: remove it only while it still holds what was judged stale, then try again.
    if (readPid(dir) === (st.kind === 'stale' ? st.pid : undefined)) {
      try {
        unlinkSync(p)
      } catch {
        // Someone else removed it first: the next attempt decides.
      }
    }
  }
  return readPid(dir)
}

/** Removes the pid file if it still names `pid`. Never throws. */
export function removePidFile(dir: string, pid: number): void {
  try {
    if (readPid(dir) === pid) unlinkSync(pidFilePath(dir))
  } catch {
    // Already gone, or never written.
  }
}

/** The pid in the pid file; undefined when there is no file; NaN when it holds no number. */
export function readPid(dir: string): number | undefined {
  let text: string
  try {
    text = readFileSync(pidFilePath(dir), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw e
  }
  const t = text.trim()
  return /^\d+$/.test(t) ? Number(t) : Number.NaN
}

/** What the pid file says. */
export type PidStatus =
  | { kind: 'none'; file: string }
  | { kind: 'running'; file: string; pid: number }
  | { kind: 'stale'; file: string; pid?: number; why: string }

/**
 * Checks the pid file of `dir`: no file, a live edge-ddns process, or a stale file (with why).
 * @throws the read error when the file exists but cannot be read (EACCES).
 */
export function checkPidFile(dir: string, port: ProcessPort): PidStatus {
  const file = pidFilePath(dir)
  const pid = readPid(dir)
  if (pid === undefined) return { kind: 'none', file }
  if (!Number.isSafeInteger(pid) || pid <= 0) return { kind: 'stale', file, why: 'it holds no process id' }
  try {
    port.kill(pid, 0)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ESRCH') return { kind: 'stale', file, pid, why: `process ${pid} is not running` }
    // EPERM: it lives, as another user; the command line still tells whether it is ours.
  }
  const cmd = port.cmdline(pid)
  if (cmd === null) return { kind: 'stale', file, pid, why: `process ${pid} is not running` }
  if (cmd !== undefined && !cmd.includes('edge-ddns')) return { kind: 'stale', file, pid, why: `process ${pid} is not edge-ddns (${cmd.slice(0, 60)})` }
  return { kind: 'running', file, pid }
}
