import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildSync } from 'esbuild'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { EdgeError } from '../../../src/errors.js'
import {
  checkPidFile,
  checkRunLock,
  claimStateDir,
  holderText,
  PID_FILE,
  readPid,
  releaseStateDir,
  removePidFile,
  RUN_LOCK_FILE,
  writePidFile,
} from '../../../src/schedule/locks.js'
import { INIT_PID_NAMESPACE, processPort, type ProcessPort } from '../../../src/schedule/signals.js'
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Sets the times of `p` `ms` into the past. */
function backdate(p: string, ms: number): void {
  const t = (Date.now() - ms) / 1000
  utimesSync(p, t, t)
}

/** A pid no process has: one that just ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', ''])
  return r.pid
}

describe('a lock or pid file that names no process is stale, whatever is in it', () => {
  const DAEMON = 'node /usr/lib/edge-ddns/edge-ddns.mjs daemon'
  const runLock = (): string => join(tmp.dir, RUN_LOCK_FILE)
  const pidFile = (): string => join(tmp.dir, PID_FILE)

  it.each([
    ['empty (a crash between create and write)', '', 'it is empty'],
    ['garbage', 'garbage\n', 'it holds no process id'],
    ['zero', '0\n', 'it holds no process id'],
    ['a negative number', '-5\n', 'it holds no process id'],
    ['a number beyond any pid', '99999999999999999999\n', 'it holds no process id'],
  ])('a run lock that is %s is replaced, and nothing says NaN', (_n, content, why) => {
    writeFileSync(runLock(), content)
    backdate(runLock(), 60_000)
    const st = checkRunLock(tmp.dir, port({}))
    expect(st).toEqual({ kind: 'stale', file: runLock(), why })
    const heard: string[] = []
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 4242: DAEMON }), { onStale: (f, w) => heard.push(`${f}: ${w}`) })).toBeUndefined()
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
    expect(heard).toEqual([`${runLock()}: ${why}`])
    expect(JSON.stringify(st)).not.toContain('NaN')
  })

  it('a garbage pid file does not keep the daemon out (it said "replacing the stale pid file", then "pid NaN")', () => {
    writeFileSync(pidFile(), 'garbage\n')
    const heard: string[] = []
    expect(claimStateDir(tmp.dir, 'daemon', 4242, port({ 4242: DAEMON }), { onStale: (_f, w) => heard.push(w) })).toBeUndefined()
    expect(readPid(tmp.dir)).toBe(4242)
    expect(heard).toEqual(['it holds no process id'])
  })

  it('a symbolic link is never followed: it is stale even when it points at a live pid, and its target is left alone', () => {
    const target = join(tmp.dir, 'elsewhere.txt')
    writeFileSync(target, '100\n')
    symlinkSync(target, runLock())
    symlinkSync(target, pidFile())
    const table = { 100: DAEMON, 4242: DAEMON }
    expect(checkRunLock(tmp.dir, port(table))).toEqual({ kind: 'stale', file: runLock(), why: 'it is not a regular file' })
    expect(claimStateDir(tmp.dir, 'run', 4242, port(table))).toBeUndefined()
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
    releaseStateDir(tmp.dir, 'run', 4242)
    expect(claimStateDir(tmp.dir, 'daemon', 4242, port(table))).toBeUndefined()
    expect(readFileSync(pidFile(), 'utf8')).toBe('4242\n')
    expect(readFileSync(target, 'utf8')).toBe('100\n')
  })

  it('a FIFO in its place does not hang the claim: it is stale', () => {
    try {
      execFileSync('mkfifo', [runLock()])
    } catch {
      console.warn('WARNING: mkfifo is not available here; the FIFO case is not checked')
      return
    }
    expect(checkRunLock(tmp.dir, port({}))).toMatchObject({ kind: 'stale', why: 'it is not a regular file' })
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 4242: DAEMON }))).toBeUndefined()
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
  })

  it('a directory in its place is a config error naming it', () => {
    mkdirSync(runLock())
    expect(() => claimStateDir(tmp.dir, 'run', 4242, port({}))).toThrow(`state directory ${tmp.dir} cannot be used (EISDIR on ${runLock()})`)
  })

  it('a claim leaves no temp file behind and writes the lock whole', () => {
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 4242: DAEMON }), { holdMs: 90_000 })).toBeUndefined()
    expect(readdirSync(tmp.dir)).toEqual([RUN_LOCK_FILE])
    const [pid, until, end] = readFileSync(runLock(), 'utf8').split('\n')
    expect(pid).toBe('4242')
    expect(until).toMatch(/^until=\d{4}-\d\d-\d\dT[\d:.]+Z$/)
    expect(Date.parse(until!.slice(6)) - Date.now()).toBeGreaterThan(80_000)
    expect(end).toBe('')
    releaseStateDir(tmp.dir, 'run', 4242)
    expect(readdirSync(tmp.dir)).toEqual([])
  })

  it('an empty lock a few seconds old may be one being written: the claim waits, and its writer holds it', async () => {
    writeFileSync(runLock(), '')
    // Another process fills it in a moment, as a writer without hard links does.
    const writer = spawn(process.execPath, [
      '-e',
      `setTimeout(() => require('fs').writeFileSync(${JSON.stringify(runLock())}, process.pid + '\\n'), 300); setTimeout(() => {}, 20000)`,
      'edge-ddns-lock-writer',
    ])
    try {
      await sleep(100)
      expect(claimStateDir(tmp.dir, 'run', process.pid, processPort)).toEqual({ kind: 'run', pid: writer.pid, file: runLock() })
    } finally {
      writer.kill('SIGKILL')
      await new Promise((r) => writer.on('close', r))
    }
  })

  it('an empty lock nobody fills is taken over once it is a few seconds old', () => {
    writeFileSync(runLock(), '')
    backdate(runLock(), 4500)
    expect(claimStateDir(tmp.dir, 'run', 4242, port({ 4242: DAEMON }))).toBeUndefined()
    expect(readFileSync(runLock(), 'utf8')).toBe('4242\n')
  })

  it('holderText never says NaN', () => {
    expect(holderText({ kind: 'run', pid: 7, file: 'f' })).toBe('pid 7')
    expect(holderText({ kind: 'daemon', pid: 31337, nsPid: 1, file: 'f' })).toBe('pid 31337 (1 in its PID namespace)')
    expect(holderText({ kind: 'run', nsPid: 1, until: Date.UTC(2026, 0, 1), file: 'f' })).toBe('pid 1 of another PID namespace, at most until 2026-01-01T00:00:00.000Z')
    expect(holderText({ kind: 'run', file: 'f' })).not.toMatch(/NaN|undefined/)
  })
})

describe('the lock across PID namespaces (a ujail, a container)', () => {
  const DAEMON = 'node /usr/lib/edge-ddns/edge-ddns.mjs daemon'
  const OURS = 4026532001
  const JAIL = 4026532999
  const runLock = (): string => join(tmp.dir, RUN_LOCK_FILE)
  const pidFile = (): string => join(tmp.dir, PID_FILE)
  /** `port` in PID namespace `ns`, where `seen` maps `<namespace>:<pid there>` to a pid here (null: that namespace is seen, the pid is not). */
  function nsPort(table: Record<number, string>, ns: number | undefined, seen: Record<string, number | null> = {}): ProcessPort & { asked: string[] } {
    const asked: string[] = []
    return {
      ...port(table),
      asked,
      pidNamespace: () => ns,
      findInPidNamespace: (n, p) => {
        asked.push(`${n}:${p}`)
        return `${n}:${p}` in seen ? seen[`${n}:${p}`] : undefined
      },
    }
  }

  it('a writer outside the initial namespace records its own in the file; one in it writes the pid alone', () => {
    expect(claimStateDir(tmp.dir, 'daemon', 1, nsPort({ 1: DAEMON }, JAIL))).toBeUndefined()
    expect(readFileSync(pidFile(), 'utf8')).toBe(`1\npidns=${JAIL}\n`)
    releaseStateDir(tmp.dir, 'daemon', 1, nsPort({}, JAIL))
    expect(claimStateDir(tmp.dir, 'daemon', 4242, nsPort({ 4242: DAEMON }, INIT_PID_NAMESPACE))).toBeUndefined()
    expect(readFileSync(pidFile(), 'utf8')).toBe('4242\n')
  })

  it('a jailed daemon (pid 1 in its namespace) keeps a run on the host out, and is named by its pid here', () => {
    writeFileSync(pidFile(), `1\npidns=${JAIL}\n`)
    // Pid 1 here is init: judged by its number alone, the pid file looked stale.
    const host = nsPort({ 1: '/sbin/procd', 31337: DAEMON, 4242: DAEMON }, INIT_PID_NAMESPACE, { [`${JAIL}:1`]: 31337 })
    const h = claimStateDir(tmp.dir, 'run', 4242, host)
    expect(h).toEqual({ kind: 'daemon', pid: 31337, nsPid: 1, file: pidFile() })
    expect(holderText(h!)).toBe('pid 31337 (1 in its PID namespace)')
    expect(existsSync(runLock())).toBe(false)
    // trigger and status see the daemon by its pid here, never pid 1.
    expect(checkPidFile(tmp.dir, host)).toEqual({ kind: 'running', file: pidFile(), pid: 31337 })
  })

  it('a namespace seen from here without that pid, or with another program at it, holds nothing', () => {
    writeFileSync(pidFile(), `1\npidns=${JAIL}\n`)
    expect(checkPidFile(tmp.dir, nsPort({}, INIT_PID_NAMESPACE, { [`${JAIL}:1`]: null }))).toEqual({
      kind: 'stale',
      file: pidFile(),
      why: `process 1 of PID namespace ${JAIL} is not running`,
    })
    expect(checkPidFile(tmp.dir, nsPort({ 31337: '/usr/sbin/dnsmasq -k' }, INIT_PID_NAMESPACE, { [`${JAIL}:1`]: 31337 }))).toMatchObject({
      kind: 'stale',
      why: 'process 31337 is not edge-ddns (/usr/sbin/dnsmasq -k)',
    })
    expect(claimStateDir(tmp.dir, 'run', 4242, nsPort({ 4242: DAEMON }, INIT_PID_NAMESPACE, { [`${JAIL}:1`]: null }))).toBeUndefined()
  })

  it('a run lock from a namespace not seen from here holds until its stated end, not after', () => {
    const inJail = (): ProcessPort => nsPort({ 1: DAEMON }, JAIL)
    // Written on the host (no pidns line: the initial namespace), read from inside a jail.
    const until = Date.now() + 60_000
    writeFileSync(runLock(), `4242\nuntil=${new Date(until).toISOString()}\n`)
    const p = nsPort({ 1: DAEMON }, JAIL)
    expect(claimStateDir(tmp.dir, 'daemon', 1, p)).toEqual({ kind: 'run', nsPid: 4242, until, file: runLock() })
    expect(p.asked).toContain(`${INIT_PID_NAMESPACE}:4242`)
    expect(existsSync(pidFile())).toBe(false)

    writeFileSync(runLock(), `4242\nuntil=${new Date(Date.now() - 1000).toISOString()}\n`)
    expect(claimStateDir(tmp.dir, 'daemon', 1, inJail())).toBeUndefined()
    releaseStateDir(tmp.dir, 'daemon', 1, inJail())
    // An end years away is not believed.
    writeFileSync(runLock(), `4242\nuntil=2999-01-01T00:00:00.000Z\n`)
    expect(claimStateDir(tmp.dir, 'daemon', 1, inJail())).toBeUndefined()
  })

  it('a pid file from a namespace not seen from here is stale: a jailed daemon that crashed took its namespace with it', () => {
    writeFileSync(pidFile(), `1\npidns=${JAIL}\n`)
    const heard: string[] = []
    expect(claimStateDir(tmp.dir, 'daemon', 1, nsPort({ 1: DAEMON }, OURS), { onStale: (_f, w) => heard.push(w) })).toBeUndefined()
    expect(heard).toEqual([`process 1 of PID namespace ${JAIL} cannot be seen from here`])
    expect(readFileSync(pidFile(), 'utf8')).toBe(`1\npidns=${OURS}\n`)
  })

  it('release leaves alone a file with the same pid from another namespace', () => {
    writeFileSync(pidFile(), `1\npidns=${JAIL}\n`)
    releaseStateDir(tmp.dir, 'daemon', 1, nsPort({}, OURS))
    expect(readFileSync(pidFile(), 'utf8')).toBe(`1\npidns=${JAIL}\n`)
    releaseStateDir(tmp.dir, 'daemon', 1, nsPort({}, JAIL))
    expect(existsSync(pidFile())).toBe(false)
  })

  it('without /proc (no namespace known) the pid alone decides, as before', () => {
    writeFileSync(pidFile(), `1\npidns=${JAIL}\n`)
    expect(checkPidFile(tmp.dir, nsPort({ 1: DAEMON }, undefined))).toEqual({ kind: 'running', file: pidFile(), pid: 1 })
  })
})

describe('with real processes', () => {
  // The racer runs the lock code in processes of its own; its file name holds "edge-ddns" so
  // that /proc counts it as one of ours.
  let racerDir: string
  let racer: string
  beforeAll(() => {
    racerDir = mkdtempSync(join(tmpdir(), 'edge-ddns-racer-'))
    racer = join(racerDir, 'edge-ddns-lock-racer.mjs')
    buildSync({
      entryPoints: [fileURLToPath(new URL('./lock-racer.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node18',
      outfile: racer,
      logLevel: 'silent',
    })
  })
  afterAll(() => rmSync(racerDir, { recursive: true, force: true }))

  async function waitUntil(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
    const end = Date.now() + ms
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
      await sleep(1)
    }
  }

  it('processes racing over a stale lock: exactly one holds it, and keeps it, every time', async () => {
    // Before the takeover mutex, a process could unlink the lock another had just created over
    // the same stale file, and both went on (the review saw it in 2 of 67 trials of 6 racers).
    const N = 6
    const TRIALS = 150
    const dir = tmp.dir
    const lock = join(dir, RUN_LOCK_FILE)
    const dead = deadPid()
    const kids = Array.from({ length: N }, (_, i) => spawn(process.execPath, [racer, 'race', dir, String(TRIALS), String(i)], { stdio: ['ignore', 'ignore', 'pipe'] }))
    let stderr = ''
    for (const k of kids) k.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const exits = kids.map((k) => new Promise((r) => k.on('close', r)))
    const bad: string[] = []
    try {
      for (let t = 0; t < TRIALS; t++) {
        writeFileSync(lock, `${dead}\n`)
        writeFileSync(join(dir, `ready-${t}`), '')
        await sleep(10)
        writeFileSync(join(dir, `go-${t}`), '')
        const res = (i: number): string => join(dir, `res-${t}-${i}`)
        await waitUntil(() => kids.every((_k, i) => existsSync(res(i))), `the results of trial ${t}`)
        const holders = kids.map((_k, i) => i).filter((i) => readFileSync(res(i), 'utf8') === 'held')
        writeFileSync(join(dir, `end-${t}`), '')
        await waitUntil(() => holders.every((i) => existsSync(join(dir, `ok-${t}-${i}`))), `the holders of trial ${t}`)
        const lost = holders.map((i) => readFileSync(join(dir, `ok-${t}-${i}`), 'utf8')).filter((r) => r !== 'intact')
        if (holders.length !== 1 || lost.length > 0) {
          const stale = readdirSync(dir).filter((f) => f.startsWith(`stale-${t}-`)).map((f) => `${f}: ${readFileSync(join(dir, f), 'utf8')}`)
          bad.push(`trial ${t}: ${holders.length} holders ${JSON.stringify(lost)} ${JSON.stringify(stale)}`)
        }
        await waitUntil(() => !existsSync(lock) || holders.length !== 1, `the release of trial ${t}`)
      }
    } finally {
      for (const k of kids) k.kill('SIGKILL')
      await Promise.all(exits)
    }
    expect(stderr).toBe('')
    expect(bad).toEqual([])
  }, 60_000)

  /** Starts `racer hold <dir> <as> [holdMs]` (through `wrap`, e.g. unshare) and reads its first line. */
  async function hold(wrap: string[], dir: string, as: string, holdMs?: number): Promise<{ child: ChildProcessWithoutNullStreams; first: Record<string, unknown>; closed: Promise<unknown> }> {
    const argv = [...wrap, process.execPath, racer, 'hold', dir, as, ...(holdMs !== undefined ? [String(holdMs)] : [])]
    const child = spawn(argv[0]!, argv.slice(1))
    const closed = new Promise((r) => child.on('close', r))
    let out = ''
    let err = ''
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString()
        if (out.includes('\n')) resolve()
      })
      child.on('close', () => reject(new Error(`racer ended early: ${out}${err}`)))
    })
    return { child, first: JSON.parse(out.split('\n')[0]!) as Record<string, unknown>, closed }
  }

  // --kill-child: SIGKILL to unshare takes the namespace's pid 1, and with it the namespace, along.
  const unshare = ['unshare', '--pid', '--fork', '--mount-proc', '--kill-child']
  const canUnshare = ((): boolean => {
    try {
      execFileSync(unshare[0]!, [...unshare.slice(1), 'true'], { stdio: 'ignore', timeout: 10_000 })
      return true
    } catch {
      return false
    }
  })()
  if (!canUnshare) {
    console.warn('WARNING: `unshare --pid --fork --mount-proc` is not permitted here: the PID-namespace tests with real processes are SKIPPED')
  }

  it.skipIf(!canUnshare)('a daemon in a PID namespace of its own (pid 1 there) keeps a run on the host out; trigger finds it by its pid here', async () => {
    const dir = tmp.dir
    const d = await hold(unshare, dir, 'daemon')
    try {
      expect(d.first).toMatchObject({ pid: 1, held: true })
      expect(readFileSync(join(dir, PID_FILE), 'utf8')).toMatch(/^1\npidns=\d+\n$/)
      const h = claimStateDir(dir, 'run', process.pid, processPort)
      expect(h).toMatchObject({ kind: 'daemon', nsPid: 1, file: join(dir, PID_FILE) })
      expect(h?.pid).not.toBe(1)
      expect(processPort.cmdline(h!.pid!)).toContain('edge-ddns-lock-racer')
      expect(existsSync(join(dir, RUN_LOCK_FILE))).toBe(false)
      expect(checkPidFile(dir, processPort)).toEqual({ kind: 'running', file: join(dir, PID_FILE), pid: h?.pid })
    } finally {
      d.child.stdin.end()
      await d.closed
    }
    expect(existsSync(join(dir, PID_FILE))).toBe(false)
  })

  it.skipIf(!canUnshare)('once that namespace is gone (its daemon was killed), its pid file blocks nothing', async () => {
    const dir = tmp.dir
    const d = await hold(unshare, dir, 'daemon')
    d.child.kill('SIGKILL')
    await d.closed
    // The namespace's pid 1 may outlive unshare by a moment.
    await waitUntil(() => checkPidFile(dir, processPort).kind === 'stale', 'the jailed daemon to end')
    expect(readFileSync(join(dir, PID_FILE), 'utf8')).toMatch(/^1\npidns=\d+\n$/)
    expect(claimStateDir(dir, 'run', process.pid, processPort)).toBeUndefined()
    releaseStateDir(dir, 'run', process.pid, processPort)
  })

  it.skipIf(!canUnshare)('a run on the host keeps a daemon in its own namespace out until the run ends or its time is up', async () => {
    const dir = tmp.dir
    expect(claimStateDir(dir, 'run', process.pid, processPort, { holdMs: 60_000 })).toBeUndefined()
    const refused = await hold(unshare, dir, 'daemon')
    refused.child.stdin.end()
    await refused.closed
    expect(refused.first).toMatchObject({ held: false, holder: { kind: 'run', nsPid: process.pid, file: join(dir, RUN_LOCK_FILE) } })
    expect(refused.first.holder).not.toHaveProperty('pid')
    expect(existsSync(join(dir, PID_FILE))).toBe(false)

    releaseStateDir(dir, 'run', process.pid, processPort)
    const d = await hold(unshare, dir, 'daemon')
    d.child.stdin.end()
    await d.closed
    expect(d.first).toMatchObject({ pid: 1, held: true })
  })
})
