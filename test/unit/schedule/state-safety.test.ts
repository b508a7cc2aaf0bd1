import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ensureStateDir, StateStore } from '../../../src/schedule/state.js'
import { claimPidFile } from '../../../src/schedule/locks.js'
import { processPort } from '../../../src/schedule/signals.js'
import { memoryLogger } from '../../../src/report/log.js'
import { retryAfterMs } from '../../../src/schedule/policy.js'
import { Redactor } from '../../../src/report/redact.js'

// Findings of the adversarial review of the daemon: a state directory another user owns was used
// (and a symlink planted as the temp file redirected root's write), and two daemons started at
// the same instant could both run.
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0

describe('state directory safety', () => {
  it.skipIf(!isRoot)('a state directory owned by another user is refused (config error), nothing written', () => {
    const base = mkdtempSync(join(tmpdir(), 'edge-ddns-own-'))
    const dir = join(base, 'evil')
    mkdirSync(dir, { mode: 0o777 })
    chownSync(dir, 65534, 65534)
    expect(() => ensureStateDir(dir)).toThrow(/state directory .* cannot be used \(owned by uid 65534, not this user \(uid 0\)\)/)
  })

  it('a symlink planted where the temp file goes is not followed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-sym-'))
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'precious\n')
    symlinkSync(victim, join(dir, `state.json.${process.pid}.tmp`))
    const store = StateStore.open({ dir, log: memoryLogger(new Redactor()), now: () => Date.parse('2026-11-29T00:00:00Z') })
    store.set('k', { provider: 'cloudflare', account: 'a', name: 'home.example.com', type: 'A', failures: 0, value: '192.0.2.1' })
    store.save()
    expect(readFileSync(victim, 'utf8')).toBe('precious\n')
    expect(existsSync(join(dir, 'state.json'))).toBe(true)
  })
})

describe('one daemon per state directory', () => {
  it('claiming is exclusive: the second claim names the first holder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-pid-'))
    const port = { ...processPort, kill: () => true, cmdline: () => 'node edge-ddns.mjs daemon' }
    expect(claimPidFile(dir, 111, port)).toBeUndefined()
    expect(claimPidFile(dir, 222, port)).toBe(111)
  })
  it('a stale pid file is replaced', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-pid-'))
    writeFileSync(join(dir, 'edge-ddns.pid'), '999999\n')
    const port = {
      ...processPort,
      kill: () => {
        throw Object.assign(new Error('no such process'), { code: 'ESRCH' })
      },
      cmdline: () => null,
    }
    expect(claimPidFile(dir, 333, port)).toBeUndefined()
    expect(readFileSync(join(dir, 'edge-ddns.pid'), 'utf8')).toBe('333\n')
  })
})

describe('Retry-After bounds', () => {
  it.each([
    [60, 60_000],
    [1e20, 24 * 3600 * 1000],
    [315_360_000, 24 * 3600 * 1000],
    [-5, undefined],
    [Number.NaN, undefined],
    [undefined, undefined],
  ])('retry-after %s s → %s ms (a huge value must not make the date invalid or silence a record for years)', (sec, ms) => {
    expect(retryAfterMs(sec)).toBe(ms)
  })
})

describe('state directory creation', () => {
  it('a directory that cannot be created below /proc is a config error, not an endless loop', () => {
    expect(() => ensureStateDir('/proc/edge-ddns-nope/state')).toThrow(/state directory \/proc\/edge-ddns-nope\/state cannot be used \(ENOENT\)/)
  })
  it('missing parents are created 0700', () => {
    const base = mkdtempSync(join(tmpdir(), 'edge-ddns-mk-'))
    ensureStateDir(join(base, 'a', 'b'))
    expect(existsSync(join(base, 'a', 'b'))).toBe(true)
  })
})
