import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { EdgeError } from '../errors.js'

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
 *
 * A oneshot `run` that keeps state holds `<state dir>/edge-ddns.run.lock` (its pid, judged the
 * same way) instead: the state file is read at the start and written at the end, so a daemon and
 * a run on one directory would each write over what the other did (a back-off, a hold, a stop).
 * `claimStateDir` keeps them apart; `trigger` and `status` look only at the pid file.
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
/** File name of the lock a oneshot run holds on the state directory (it holds the run's pid). */
export const RUN_LOCK_FILE = 'edge-ddns.run.lock'

/** Path of the pid file of `dir`. */
export function pidFilePath(dir: string): string {
  return join(dir, PID_FILE)
}

/** Path of the run lock of `dir`. */
export function runLockPath(dir: string): string {
  return join(dir, RUN_LOCK_FILE)
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
  return claimFile(pidFilePath(dir), pid, port)
}

function claimFile(p: string, pid: number, port: ProcessPort): number | undefined {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(p, `${pid}\n`, { mode: 0o644, flag: 'wx' })
      return undefined
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    const st = checkFile(p, port)
    if (st.kind === 'running') return st.pid === pid ? undefined : st.pid
    // Stale: remove it only while it still holds what was judged stale, then try again.
    if (readPidAt(p) === (st.kind === 'stale' ? st.pid : undefined)) {
      try {
        unlinkSync(p)
      } catch {
        // Someone else removed it first: the next attempt decides.
      }
    }
  }
  return readPidAt(p)
}

/** Removes the pid file if it still names `pid`. Never throws. */
export function removePidFile(dir: string, pid: number): void {
  removeFile(pidFilePath(dir), pid)
}

function removeFile(p: string, pid: number): void {
  try {
    if (readPidAt(p) === pid) unlinkSync(p)
  } catch {
    // Already gone, or never written.
  }
}

/** The pid in the pid file; undefined when there is no file; NaN when it holds no number. */
export function readPid(dir: string): number | undefined {
  return readPidAt(pidFilePath(dir))
}

function readPidAt(p: string): number | undefined {
  let text: string
  try {
    text = readFileSync(p, 'utf8')
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
  return checkFile(pidFilePath(dir), port)
}

/** Like `checkPidFile`, for the run lock of `dir`. */
export function checkRunLock(dir: string, port: ProcessPort): PidStatus {
  return checkFile(runLockPath(dir), port)
}

function checkFile(file: string, port: ProcessPort): PidStatus {
  const pid = readPidAt(file)
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

/** Which edge-ddns process holds a state directory: the daemon (pid file) or a oneshot run (run lock). */
export interface StateDirHolder {
  kind: 'daemon' | 'run'
  pid: number
  /** The pid file or run lock that names it. */
  file: string
}

/**
 * Claims state directory `dir` for process `pid`: a daemon (`as = 'daemon'`) by its pid file, a
 * oneshot run (`'run'`) by the run lock, each created exclusively, then checks the other file.
 * Claiming before looking means that of two processes starting at once at least one sees the
 * other (both may give up, never both go on). Files of processes that are gone, or that are not
 * edge-ddns, do not block: `checkPidFile` judges them stale, and a stale file of our own kind is
 * replaced.
 * @returns undefined when `dir` is now held by `pid`; else the live holder, and nothing is held.
 * @throws EdgeError kind `config` naming the file when it cannot be created or read (EACCES, EROFS).
 */
export function claimStateDir(dir: string, as: 'daemon' | 'run', pid: number, port: ProcessPort): StateDirHolder | undefined {
  const mine = as === 'daemon' ? pidFilePath(dir) : runLockPath(dir)
  const theirs = as === 'daemon' ? runLockPath(dir) : pidFilePath(dir)
  let file = mine
  try {
    const same = claimFile(mine, pid, port)
    if (same !== undefined) return { kind: as, pid: same, file: mine }
    file = theirs
    const other = checkFile(theirs, port)
    if (other.kind !== 'running' || other.pid === pid) return undefined
    removeFile(mine, pid)
    return { kind: as === 'daemon' ? 'run' : 'daemon', pid: other.pid, file: theirs }
  } catch (e) {
    if (file === theirs) removeFile(mine, pid)
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new EdgeError('config', `state directory ${dir} cannot be used (${code} on ${file})`, {
      retryable: false,
      hint: 'set another with --state-dir or [state] dir, or make it writable for this user',
      cause: e,
    })
  }
}

/** Gives up what `claimStateDir(dir, as, pid)` took, if `pid` still holds it. Never throws. */
export function releaseStateDir(dir: string, as: 'daemon' | 'run', pid: number): void {
  removeFile(as === 'daemon' ? pidFilePath(dir) : runLockPath(dir), pid)
}
