import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/**
 * The process edges of the daemon: signals, and what the pid files (src/schedule/locks.ts) need
 * to know about processes.
 *
 * Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config, SIGUSR1 asks for a cycle now. Node
 * reserves SIGUSR1 to open its inspector on 127.0.0.1:9229; installing a listener (which the
 * daemon does first thing) replaces that, checked on Node 18 and 20. Bun has no such default.
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
  /**
   * This process's PID namespace: the inode number of `/proc/self/ns/pid`; undefined when it
   * cannot be read (no /proc, not Linux). Absent: namespaces are not looked at.
   */
  pidNamespace?(): number | undefined
  /**
   * The pid, as seen from here, of the process that is `nsPid` inside PID namespace `ns`; null
   * when processes of `ns` are seen from here but none is `nsPid`; undefined when no process of
   * `ns` is seen (an enclosing or a sibling namespace, or one that no longer exists).
   */
  findInPidNamespace?(ns: number, nsPid: number): number | null | undefined
}

/** The inode of the initial PID namespace, the same on every Linux since 3.8 (`PROC_PID_INIT_INO`). */
export const INIT_PID_NAMESPACE = 0xeffffffc

/** The inode number in a `/proc/<pid>/ns/pid` link (`pid:[4026531836]`). */
function nsInode(link: string): number | undefined {
  const m = /^pid:\[(\d+)\]$/.exec(link)
  return m ? Number(m[1]) : undefined
}

let ownNamespace: number | null | undefined

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
  pidNamespace() {
    // A process never changes its own PID namespace (setns and unshare affect only children).
    if (ownNamespace === undefined) {
      try {
        ownNamespace = nsInode(readlinkSync('/proc/self/ns/pid')) ?? null
      } catch {
        ownNamespace = null
      }
    }
    return ownNamespace ?? undefined
  },
  findInPidNamespace(ns, nsPid) {
    let names: string[]
    try {
      names = readdirSync('/proc')
    } catch {
      return undefined
    }
    let seen = false
    for (const n of names) {
      if (!/^\d+$/.test(n)) continue
      try {
        if (nsInode(readlinkSync(`/proc/${n}/ns/pid`)) !== ns) continue
        // NSpid lists the pid in each namespace from the one of this /proc down to the process's
        // own: the last is the number the process knows itself by (Linux >= 4.1).
        const ids = /^NSpid:\s*([\d\s]+)$/m.exec(readFileSync(`/proc/${n}/status`, 'utf8'))?.[1]?.trim().split(/\s+/)
        if (!ids) continue
        seen = true
        if (Number(ids[ids.length - 1]) === nsPid) return Number(n)
      } catch {
        // Gone meanwhile, or another user's process this one may not inspect.
      }
    }
    return seen ? null : undefined
  },
}
