import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { EdgeError } from '../../../src/errors.js'
import {
  checkPidFile,
  checkRunLock,
  claimStateDir,
  PID_FILE,
  processPort,
  readPid,
  releaseStateDir,
  removePidFile,
  RUN_LOCK_FILE,
  writePidFile,
  type ProcessPort,
} from '../../../src/schedule/signals.js'
import { tempDir } from './support.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

/** A process table: pid → command line (absent: not running). */
function port(table: Record<number, string>, opts: { noProc?: boolean } = {}): ProcessPort {
  return {
    pid: 4242,
    onSignal: () => () => {},
    kill: (pid) => {
      if (!(pid in table)) throw Object.assign(new Error('no such process'), { code: 'ESRCH' })
    },
    cmdline: (pid) => (opts.noProc ? undefined : (table[pid] ?? null)),
  }
}

describe('pid file', () => {
  it('is written, read and removed only by its owner', () => {
    writePidFile(tmp.dir, 4242)
    expect(readPid(tmp.dir)).toBe(4242)
    removePidFile(tmp.dir, 1111)
    expect(readPid(tmp.dir)).toBe(4242)
    removePidFile(tmp.dir, 4242)
    expect(readPid(tmp.dir)).toBeUndefined()
  })

  it.each([
    ['no file', undefined, {}, { kind: 'none' }],
    ['a live edge-ddns', '4242', { 4242: 'node /usr/lib/edge-ddns/edge-ddns.mjs daemon' }, { kind: 'running', pid: 4242 }],
    ['a dead process', '4242', {}, { kind: 'stale', pid: 4242, why: 'process 4242 is not running' }],
    ['a reused pid', '4242', { 4242: '/usr/sbin/dnsmasq -k' }, { kind: 'stale', pid: 4242, why: 'process 4242 is not edge-ddns (/usr/sbin/dnsmasq -k)' }],
    ['garbage', 'hello', {}, { kind: 'stale', why: 'it holds no process id' }],
  ])('%s', (_n, content, table, want) => {
    if (content !== undefined) writeFileSync(join(tmp.dir, PID_FILE), `${content}\n`)
    expect(checkPidFile(tmp.dir, port(table))).toMatchObject({ ...want, file: join(tmp.dir, PID_FILE) })
  })

  it('without /proc a live pid is trusted', () => {
    writePidFile(tmp.dir, 77)
    expect(checkPidFile(tmp.dir, port({ 77: '' }, { noProc: true }))).toMatchObject({ kind: 'running', pid: 77 })
  })

  it('the real process port sees a real child, and not after it ended', async () => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)', 'edge-ddns-test-marker'])
    try {
      await new Promise((r) => setTimeout(r, 100))
      writePidFile(tmp.dir, child.pid!)
      expect(processPort.cmdline(child.pid!)).toContain('edge-ddns-test-marker')
      expect(checkPidFile(tmp.dir, processPort)).toMatchObject({ kind: 'running', pid: child.pid })
    } finally {
      child.kill('SIGKILL')
      await new Promise((r) => child.on('close', r))
    }
    expect(checkPidFile(tmp.dir, processPort)).toMatchObject({ kind: 'stale' })
  })
})

describe('state directory lock: a daemon and a oneshot run keep each other out', () => {
  const DAEMON = 'node /usr/lib/edge-ddns/edge-ddns.mjs daemon'
  const RUN = 'node /usr/lib/edge-ddns/edge-ddns.mjs run --state-dir /var/lib/edge-ddns'
  const pidFile = (): string => join(tmp.dir, PID_FILE)
  const runLock = (): string => join(tmp.dir, RUN_LOCK_FILE)

  it('a run holds the run lock for its length and gives it back', () => {
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 4242: RUN }))).toBeUndefined()
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
    expect(checkRunLock(tmp.dir, port({ 4242: RUN }))).toMatchObject({ kind: 'running', pid: 4242 })
    releaseStateDir(tmp.dir, 'run', 4242)
    expect(existsSync(runLock())).toBe(false)
  })

  it('a run refuses while a live daemon holds the directory, and leaves no lock behind', () => {
    writePidFile(tmp.dir, 100)
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 100: DAEMON, 4242: RUN }))).toEqual({ kind: 'daemon', pid: 100, file: pidFile() })
    expect(existsSync(runLock())).toBe(false)
    expect(readPid(tmp.dir)).toBe(100)
  })

  it('a daemon refuses while a live run holds the directory, and leaves no pid file behind', () => {
    writeFileSync(runLock(), '200\n')
    expect(claimStateDir(tmp.dir, 'daemon', 4242, port({ 200: RUN, 4242: DAEMON }))).toEqual({ kind: 'run', pid: 200, file: runLock() })
    expect(existsSync(pidFile())).toBe(false)
    expect(readFileSync(runLock(), 'utf8')).toBe('200\n')
  })

  it('a second run refuses while the first holds the lock', () => {
    expect(claimStateDir(tmp.dir, 'run', 200, port({ 200: RUN }))).toBeUndefined()
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 200: RUN, 4242: RUN }))).toEqual({ kind: 'run', pid: 200, file: runLock() })
    expect(readFileSync(runLock(), 'utf8')).toBe('200\n')
  })

  it.each([
    ['a dead process', {}],
    ['a pid now used by another program', { 300: '/usr/sbin/dnsmasq -k' }],
  ])('a stale lock of %s blocks neither side', (_n, table: Record<number, string>) => {
    writeFileSync(runLock(), '300\n')
    expect(claimStateDir(tmp.dir, 'daemon', 4242, port({ ...table, 4242: DAEMON }))).toBeUndefined()
    expect(readPid(tmp.dir)).toBe(4242)
    releaseStateDir(tmp.dir, 'daemon', 4242)

    writePidFile(tmp.dir, 300)
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ ...table, 4242: RUN }))).toBeUndefined()
    // The run's own stale lock was replaced by its own pid.
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
  })

  it('a lock naming this very process (a pid reused after a reboot) does not block it', () => {
    writeFileSync(runLock(), '4242\n')
    expect(claimStateDir(tmp.dir, 'daemon', 4242, port({ 4242: DAEMON }))).toBeUndefined()
  })

  it('release leaves a lock that names another process alone', () => {
    writeFileSync(runLock(), '200\n')
    releaseStateDir(tmp.dir, 'run', 4242)
    expect(readFileSync(runLock(), 'utf8')).toBe('200\n')
  })

  it('a directory that cannot hold the lock is a config error naming it', () => {
    const notDir = join(tmp.dir, 'file')
    writeFileSync(notDir, 'x')
    let err: unknown
    try {
      claimStateDir(notDir, 'run', 4242, port({}))
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(EdgeError)
    expect((err as EdgeError).kind).toBe('config')
    expect((err as EdgeError).message).toContain(`state directory ${notDir} cannot be used (ENOTDIR on ${join(notDir, RUN_LOCK_FILE)})`)
  })

  it('with real processes: a live run keeps the daemon out; once it is gone, its lock does not', async () => {
    const run = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 10000)', 'edge-ddns-run-lock-test'])
    try {
      await new Promise((r) => setTimeout(r, 100))
      writeFileSync(runLock(), `${run.pid}\n`)
      expect(claimStateDir(tmp.dir, 'daemon', process.pid, processPort)).toEqual({ kind: 'run', pid: run.pid, file: runLock() })
      expect(existsSync(pidFile())).toBe(false)
    } finally {
      run.kill('SIGKILL')
      await new Promise((r) => run.on('close', r))
    }
    expect(readFileSync(runLock(), 'utf8')).toBe(`${run.pid}\n`)
    expect(claimStateDir(tmp.dir, 'daemon', process.pid, processPort)).toBeUndefined()
    expect(readPid(tmp.dir)).toBe(process.pid)
    releaseStateDir(tmp.dir, 'daemon', process.pid)
    expect(existsSync(pidFile())).toBe(false)
  })
})
