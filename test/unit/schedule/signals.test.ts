import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { checkPidFile, PID_FILE, processPort, readPid, removePidFile, writePidFile, type ProcessPort } from '../../../src/schedule/signals.js'
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
