import {
  closeSync,
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { EdgeError } from '../errors.js'
import { INIT_PID_NAMESPACE, type ProcessPort } from './signals.js'

/**
 * The daemon's pid file and a oneshot run's lock in the state directory.
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
 *
 * Both files hold the pid on the first line, so that `cat` and service managers read them as
 * before; lines after it are `key=value`: `pidns=<inode>` when the writer is not in the initial
 * PID namespace (a ujail, a container), `until=<ISO time>` in a run lock (the latest a run can
 * last). A file is created complete or not at all (written to a temp file, then hard-linked into
 * place, which fails when the name exists), so an empty file or one with no number is a leftover
 * of a crash and is stale; a symbolic link is never followed and is stale too.
 *
 * A stale file is removed only under `<file>.takeover`, a directory made with mkdir (atomic): a
 * check and an unlink are two steps, and without it one process could unlink the lock another
 * had just created over the same stale file. Under the mutex the file is judged again from
 * scratch and removed only when still stale; a new lock cannot appear while the stale one exists,
 * and only mutex holders remove, so what was judged is what is removed.
 *
 * PID namespaces: a pid means something only in the namespace it was written in (inside
 * OpenWrt's ujail the daemon is pid 1; outside, pid 1 is procd). A file from another namespace is
 * judged by the process that is that pid inside that namespace, found in /proc (`NSpid`), which
 * works from the host for anything jailed below it. When that namespace cannot be seen from here
 * (looking out of a jail), a run lock holds until its `until`; a pid file is taken as stale, as
 * it is after a jailed daemon crashed (its namespace dies with it) and procd starts a new one.
 */

/** File name of the pid file in the state directory. */
export const PID_FILE = 'edge-ddns.pid'
/** File name of the lock a oneshot run holds on the state directory (it holds the run's pid). */
export const RUN_LOCK_FILE = 'edge-ddns.run.lock'

/** An empty lock younger than this may be one a writer without hard links has just created (ms). */
const EMPTY_GRACE_MS = 5000
/** A takeover mutex older than this was left by a process that died holding it (it holds one for milliseconds). */
const MUTEX_STALE_MS = 30_000
/** How long a claim waits out other processes' takeovers and half-written files before it gives up (ms). */
const CLAIM_PATIENCE_MS = 10_000
/** An `until` further ahead than this is not believed (a run lasts at most a day and some minutes). */
const MAX_UNTIL_AHEAD_MS = 2 * 86_400_000

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

/** The text of a lock naming `pid`: see the module comment. `until` in ms since the epoch. */
function lockText(pid: number, port: ProcessPort, until?: number): string {
  const ns = port.pidNamespace?.()
  return `${pid}\n${ns !== undefined && ns !== INIT_PID_NAMESPACE ? `pidns=${ns}\n` : ''}${until !== undefined ? `until=${new Date(until).toISOString()}\n` : ''}`
}

/** What a lock file says; `size` and `mtimeMs` from its fstat. */
interface LockFile {
  pid?: number
  ns?: number
  until?: number
  size: number
  mtimeMs: number
}

/**
 * Reads a lock without following a symbolic link or blocking on a FIFO.
 * @returns undefined when there is none; a string (why it is stale) when it is no regular file.
 * @throws the errno error when it exists but cannot be read (EACCES; EISDIR for a directory).
 */
function readLock(p: string): LockFile | string | undefined {
  let fd: number
  try {
    fd = openSync(p, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    // A symbolic link (EMLINK on the BSDs).
    if (code === 'ELOOP' || code === 'EMLINK') return NOT_A_FILE
    throw e
  }
  try {
    const st = fstatSync(fd)
    // A directory goes on to the read, which fails with EISDIR.
    if (!st.isFile() && !st.isDirectory()) return NOT_A_FILE
    const buf = Buffer.alloc(4096)
    const [line1 = '', ...rest] = buf.toString('latin1', 0, readSync(fd, buf, 0, 4096, 0)).split('\n')
    const first = line1.trim()
    const out: LockFile = { size: st.size, mtimeMs: st.mtimeMs }
    if (/^\d{1,15}$/.test(first) && Number(first) > 0) out.pid = Number(first)
    for (const line of rest) {
      const [k, v = ''] = line.split('=', 2)
      if (k === 'pidns' && /^\d{1,20}$/.test(v)) out.ns = Number(v)
      if (k === 'until' && Date.parse(v) > 0) out.until = Date.parse(v)
    }
    return out
  } finally {
    closeSync(fd)
  }
}

const NOT_A_FILE = 'it is not a regular file'

/**
 * A lock as judged: undefined when there is none; `busy` when it is empty and so young that its
 * writer may be about to fill it; `{ stale }` with why; else who holds it.
 */
type Judgement = undefined | 'busy' | Stale | Holder

/** Why a lock is stale, and the pid it names when that is one here. */
interface Stale {
  stale: string
  pid?: number
}

/** Who holds a lock: as seen from here when possible (see `StateDirHolder`). */
type Holder = Omit<StateDirHolder, 'kind' | 'file'>

function judgeLock(file: string, port: ProcessPort): Judgement {
  const r = readLock(file)
  if (r === undefined) return undefined
  if (typeof r === 'string') return { stale: r }
  const { pid, until } = r
  if (pid === undefined) {
    const age = Date.now() - r.mtimeMs
    if (r.size === 0 && age > -1000 && age < EMPTY_GRACE_MS) return 'busy'
    return { stale: r.size === 0 ? 'it is empty' : 'it holds no process id' }
  }
  const ours = port.pidNamespace?.()
  const ns = r.ns ?? INIT_PID_NAMESPACE
  if (ours === undefined || ns === ours) return judgePid(pid, port)
  const here = port.findInPidNamespace?.(ns, pid)
  if (here) {
    const j = judgePid(here, port)
    return 'stale' in j ? j : { pid: here, nsPid: pid }
  }
  if (here === undefined && until !== undefined && until > Date.now() && until < Date.now() + MAX_UNTIL_AHEAD_MS) return { nsPid: pid, until }
  return { stale: `process ${pid} of PID namespace ${ns} ${here === null ? 'is not running' : 'cannot be seen from here'}` }
}

function judgePid(pid: number, port: ProcessPort): Stale | { pid: number } {
  try {
    port.kill(pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return { stale: `process ${pid} is not running`, pid }
    // EPERM: it lives, as another user; the command line still tells whether it is ours.
  }
  const cmd = port.cmdline(pid)
  if (cmd === null) return { stale: `process ${pid} is not running`, pid }
  if (cmd !== undefined && !cmd.includes('edge-ddns')) return { stale: `process ${pid} is not edge-ddns (${cmd.slice(0, 60)})`, pid }
  return { pid }
}

/** Blocks this thread for `ms` (a claim happens once, before anything else runs). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/**
 * Creates lock `p` holding `text`, complete or not at all: written to a temp file of our own,
 * then hard-linked to `p` (link fails with EEXIST when `p` exists and never follows a link
 * planted there). Where link fails otherwise (FAT has no hard links), an exclusive create and a
 * write, whose error, if any, is thrown.
 * @returns false when `p` exists.
 */
function createLock(p: string, text: string, pid: number): boolean {
  const tmp = `${p}.${pid}.${Math.random().toString(36).slice(2)}.tmp`
  writeFileSync(tmp, text, { mode: 0o644, flag: 'wx' })
  try {
    linkSync(tmp, p)
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
  } finally {
    rmQuiet(tmp)
  }
  try {
    writeFileSync(p, text, { mode: 0o644, flag: 'wx' })
    return true
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw e
  }
}

/** Removes file or empty directory `p`; false when it could not (gone already, or not empty). */
function rmQuiet(p: string, dir?: boolean): boolean {
  try {
    if (dir) rmdirSync(p)
    else unlinkSync(p)
    return true
  } catch {
    return false
  }
}

/**
 * Removes lock `p` if it is stale, judged again from scratch under `<p>.takeover`, a directory
 * made with mkdir (atomic); see the module comment. Waits up to 2 s for another holder of the
 * mutex; one older than MUTEX_STALE_MS was left by a process that died holding it and is removed.
 * `onStale` hears what was removed and why.
 */
function removeStale(p: string, port: ProcessPort, onStale?: (file: string, why: string) => void): void {
  const m = `${p}.takeover`
  const end = Date.now() + 2000
  for (;;) {
    try {
      mkdirSync(m, { mode: 0o700 })
      break
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
    }
    let age = 0
    try {
      age = Date.now() - lstatSync(m).mtimeMs
    } catch {
      // Gone meanwhile: try again.
    }
    if (age > MUTEX_STALE_MS && (rmQuiet(m, true) || rmQuiet(m))) continue
    if (Date.now() > end) return
    pause(5)
  }
  try {
    const j = judgeLock(p, port)
    if (j && j !== 'busy' && 'stale' in j) {
      try {
        unlinkSync(p)
        onStale?.(p, j.stale)
      } catch (e) {
        // Not ours to remove (EPERM in a sticky directory): the claim fails naming the file.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
      }
    }
  } finally {
    rmQuiet(m, true)
  }
}

/** Waits out a lock that is being written (until `end`); then its judgement. */
function judgeSettled(p: string, port: ProcessPort, end: number): Judgement {
  for (;;) {
    const j = judgeLock(p, port)
    if (j !== 'busy' || Date.now() > end) return j
    pause(50)
  }
}

/** Claims lock `p` for `pid`; undefined when held now, else who holds it (`{}`: not known, out of patience). */
function claimFile(p: string, text: string, pid: number, port: ProcessPort, onStale?: (file: string, why: string) => void): Holder | undefined {
  const end = Date.now() + CLAIM_PATIENCE_MS
  for (;;) {
    if (createLock(p, text, pid)) return undefined
    const j = judgeSettled(p, port, end)
    if (j && j !== 'busy') {
      if ('stale' in j) removeStale(p, port, onStale)
      // A lock naming this very process: a leftover whose pid came round again (after a reboot).
      else return j.pid === pid ? undefined : j
    }
    if (Date.now() > end) return {}
  }
}

/**
 * Claims the state directory for daemon `pid` by its pid file (see `claimStateDir`), without
 * looking at the run lock.
 * @returns undefined when `pid` holds it now; else the holder's pid as seen here, or 0 when it
 * cannot be seen from here.
 */
export function claimPidFile(dir: string, pid: number, port: ProcessPort): number | undefined {
  const h = claimFile(pidFilePath(dir), lockText(pid, port), pid, port)
  return h && (h.pid ?? 0)
}

/** Removes the pid file if it still names `pid`. Never throws. */
export function removePidFile(dir: string, pid: number): void {
  removeFile(pidFilePath(dir), pid)
}

/** Removes lock `p` if it names `pid` (of this PID namespace, when `port` tells). Never throws. */
function removeFile(p: string, pid: number, port?: ProcessPort): void {
  try {
    const r = readLock(p)
    const ours = port?.pidNamespace?.()
    if (typeof r === 'object' && r.pid === pid && (ours === undefined || (r.ns ?? INIT_PID_NAMESPACE) === ours)) unlinkSync(p)
  } catch {
    // Already gone, or never written.
  }
}

/** The pid in the pid file; undefined when there is no file; NaN when it holds no number. */
export function readPid(dir: string): number | undefined {
  const r = readLock(pidFilePath(dir))
  return r === undefined ? r : typeof r === 'object' && r.pid !== undefined ? r.pid : Number.NaN
}

/** What the pid file says. `pid` is as seen from this process. */
export type PidStatus =
  | { kind: 'none'; file: string }
  | { kind: 'running'; file: string; pid: number }
  | { kind: 'stale'; file: string; pid?: number; why: string }

/**
 * Checks the pid file of `dir`: no file, a live edge-ddns process, or a stale file (with why).
 * A daemon in a PID namespace seen from here is reported by its pid here (so `trigger` signals
 * the right process); one that cannot be seen from here is reported stale, never by a pid that
 * means another process here.
 * @throws the read error when the file exists but cannot be read (EACCES).
 */
export function checkPidFile(dir: string, port: ProcessPort): PidStatus {
  return statusOf(pidFilePath(dir), port)
}

/** Like `checkPidFile`, for the run lock of `dir`. */
export function checkRunLock(dir: string, port: ProcessPort): PidStatus {
  return statusOf(runLockPath(dir), port)
}

function statusOf(file: string, port: ProcessPort): PidStatus {
  const j = judgeLock(file, port)
  if (!j) return { kind: 'none', file }
  if (j === 'busy') return { kind: 'stale', file, why: 'it is empty' }
  if ('stale' in j) return { kind: 'stale', file, ...(j.pid !== undefined ? { pid: j.pid } : {}), why: j.stale }
  if (j.pid !== undefined) return { kind: 'running', file, pid: j.pid }
  return { kind: 'stale', file, why: `its process cannot be seen from here (${holderText({ ...j, kind: 'run', file })})` }
}

/** Which edge-ddns process holds a state directory: the daemon (pid file) or a oneshot run (run lock). */
export interface StateDirHolder {
  kind: 'daemon' | 'run'
  /** Its pid as seen from this process; undefined when it cannot be seen from here or is not known. */
  pid?: number
  /** Its pid inside its own PID namespace, when that is another one than ours. */
  nsPid?: number
  /** For a holder that cannot be seen from here: the time its lock claims at most (ms since the epoch). */
  until?: number
  /** The pid file or run lock that names it. */
  file: string
}

/** The holder for a message: `pid 4242`, `pid 31337 (1 in its PID namespace)`, … Never a NaN. */
export function holderText(h: StateDirHolder): string {
  if (h.pid !== undefined) return `pid ${h.pid}${h.nsPid !== undefined ? ` (${h.nsPid} in its PID namespace)` : ''}`
  if (h.nsPid !== undefined) return `pid ${h.nsPid} of another PID namespace, at most until ${new Date(h.until ?? 0).toISOString()}`
  return 'pid not known yet'
}

/** Options of `claimStateDir`. */
export interface ClaimOptions {
  /**
   * The longest this claim can be held, in ms (a run's deadline plus its MQTT report): written to
   * the lock as `until` for processes in other PID namespaces, which cannot look this one up.
   */
  holdMs?: number
  /** Hears each stale file of our kind that was removed, and why. */
  onStale?(file: string, why: string): void
}

/**
 * Claims state directory `dir` for process `pid`: a daemon (`as = 'daemon'`) by its pid file, a
 * oneshot run (`'run'`) by the run lock, each created exclusively, then checks the other file.
 * Claiming before looking means that of two processes starting at once at least one sees the
 * other (both may give up, never both go on). Files of processes that are gone, or that are not
 * edge-ddns, empty or without a number, do not block: a stale file of our own kind is replaced
 * (under the takeover mutex, see the module comment); one of the other kind is left for its own
 * kind to replace. May wait a few seconds for a file being written or another takeover.
 * @returns undefined when `dir` is now held by `pid`; else the live holder, and nothing is held.
 * @throws EdgeError kind `config` naming the file when it cannot be created or read (EACCES, EROFS, a directory).
 */
export function claimStateDir(dir: string, as: 'daemon' | 'run', pid: number, port: ProcessPort, opts: ClaimOptions = {}): StateDirHolder | undefined {
  const mine = as === 'daemon' ? pidFilePath(dir) : runLockPath(dir)
  const theirs = as === 'daemon' ? runLockPath(dir) : pidFilePath(dir)
  let file = mine
  try {
    const same = claimFile(mine, lockText(pid, port, opts.holdMs === undefined ? undefined : Date.now() + opts.holdMs), pid, port, opts.onStale)
    if (same) return { kind: as, ...same, file: mine }
    file = theirs
    const other = judgeSettled(theirs, port, Date.now() + EMPTY_GRACE_MS + 1000)
    if (!other || other === 'busy' || 'stale' in other || other.pid === pid) return undefined
    removeFile(mine, pid, port)
    return { kind: as === 'daemon' ? 'run' : 'daemon', ...other, file: theirs }
  } catch (e) {
    if (file === theirs) removeFile(mine, pid, port)
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new EdgeError('config', `state directory ${dir} cannot be used (${code} on ${file})`, {
      retryable: false,
      hint: 'set another with --state-dir or [state] dir, or make it writable for this user',
      cause: e,
    })
  }
}

/** Gives up what `claimStateDir(dir, as, pid, port)` took, if `pid` still holds it. Never throws. */
export function releaseStateDir(dir: string, as: 'daemon' | 'run', pid: number, port?: ProcessPort): void {
  removeFile(as === 'daemon' ? pidFilePath(dir) : runLockPath(dir), pid, port)
}
