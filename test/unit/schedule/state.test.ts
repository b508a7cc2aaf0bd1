import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { memoryLogger } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'
import { ensureStateDir, parseState, recordKey, STATE_FILE, StateStore, type StateFs } from '../../../src/schedule/state.js'
import { T0, tempDir } from './support.js'

let tmp: ReturnType<typeof tempDir>
beforeEach(() => {
  tmp = tempDir()
})
afterEach(() => tmp.cleanup())

const log = () => memoryLogger(new Redactor(), 'debug')
const open = (dir: string, l = log(), now = T0, fs?: StateFs) => StateStore.open({ dir, log: l, now: () => now, ...(fs ? { fs } : {}) })
const KEY = recordKey('cloudflare:api.cloudflare.com:token-1a2b3c4d', { fqdn: 'home.example.com', type: 'A', zone: 'example.com' })

describe('state file', () => {
  it('keys a record by account, zone, name and type', () => {
    expect(KEY).toBe('cloudflare:api.cloudflare.com:token-1a2b3c4d|example.com|home.example.com|A')
    expect(recordKey('other', { fqdn: 'home.example.com', type: 'A', zone: 'example.com' })).not.toBe(KEY)
    expect(recordKey('cloudflare:api.cloudflare.com:token-1a2b3c4d', { fqdn: 'home.example.com', type: 'AAAA', zone: 'example.com' })).not.toBe(KEY)
  })

  it('round-trips records and holds, versioned, with times as ISO 8601', () => {
    const s = open(tmp.dir)
    s.set(KEY, {
      provider: 'cloudflare',
      account: 'cloudflare:api.cloudflare.com:token-1a2b3c4d',
      zone: 'example.com',
      name: 'home.example.com',
      type: 'A',
      value: '192.0.2.10',
      changed: T0 - 1000,
      written: T0 - 1000,
      verified: T0,
      answer: 'updated 198.51.100.1 -> 192.0.2.10',
      failures: 0,
    })
    s.setHold('cloudflare:api.cloudflare.com:token-1a2b3c4d', { provider: 'cloudflare', until: T0 + 60_000, reason: 'HTTP 429' })
    expect(s.save()).toBe(true)
    const raw = JSON.parse(readFileSync(join(tmp.dir, STATE_FILE), 'utf8')) as Record<string, any>
    expect(raw).toMatchObject({ format: 'edge-ddns-state', version: 1 })
    expect(raw.records[KEY]).toMatchObject({ value: '192.0.2.10', verified: '2026-03-01T00:00:00.000Z', written: '2026-02-28T23:59:59.000Z' })
    expect(raw.holds['cloudflare:api.cloudflare.com:token-1a2b3c4d']).toMatchObject({ until: '2026-03-01T00:01:00.000Z' })

    const again = open(tmp.dir)
    expect(again.loaded).toBe(true)
    expect(again.salt).toBe(s.salt)
    expect(again.get(KEY)).toEqual(s.get(KEY))
    expect(again.holdOf('cloudflare:api.cloudflare.com:token-1a2b3c4d', T0)?.until).toBe(T0 + 60_000)
    expect(again.holdOf('cloudflare:api.cloudflare.com:token-1a2b3c4d', T0 + 60_000)).toBeUndefined()
  })

  it('writes nothing when nothing changed (no flash wear)', () => {
    const s = open(tmp.dir)
    expect(s.save()).toBe(true)
    const mtime = statSync(join(tmp.dir, STATE_FILE)).mtimeMs
    expect(s.save()).toBe(false)
    expect(open(tmp.dir).save()).toBe(false)
    expect(statSync(join(tmp.dir, STATE_FILE)).mtimeMs).toBe(mtime)
  })

  it('is owner-only: 0600 in a 0700 directory (a wider directory of ours is narrowed)', () => {
    const dir = join(tmp.dir, 'nested', 'state')
    ensureStateDir(dir)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    chmodSync(dir, 0o755)
    ensureStateDir(dir)
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const s = open(dir)
    s.save()
    expect(statSync(join(dir, STATE_FILE)).mode & 0o777).toBe(0o600)
  })

  it('a directory that cannot be used is a config error naming it', () => {
    const file = join(tmp.dir, 'a-file')
    writeFileSync(file, 'x')
    expect(() => ensureStateDir(join(file, 'state'))).toThrow(/state directory .*a-file\/state cannot be used \(ENOTDIR\)/)
    expect(() => ensureStateDir(file)).toThrow(/cannot be used/)
  })

  it('writes atomically: a failed write leaves the previous file whole, and no temp file behind', () => {
    const s = open(tmp.dir)
    s.save()
    const before = readFileSync(join(tmp.dir, STATE_FILE), 'utf8')
    const l = log()
    const broken: StateFs = {
      readFile: (p) => readFileSync(p, 'utf8'),
      writeFileSync: (p, t) => {
        writeFileSync(p, t.slice(0, 10))
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' })
      },
      rename: () => {
        throw new Error('must not rename a partial file')
      },
      unlink: (p) => unlinkSync(p),
    }
    const s2 = open(tmp.dir, l, T0 + 1, broken)
    s2.touch()
    expect(s2.save()).toBe(false)
    expect(readFileSync(join(tmp.dir, STATE_FILE), 'utf8')).toBe(before)
    expect(readdirSync(tmp.dir)).toEqual([STATE_FILE])
    expect(l.lines).toContain(`error: state: cannot write ${join(tmp.dir, STATE_FILE)} (ENOSPC); keeping the state in memory`)
    // Said once, not at every cycle.
    s2.touch()
    s2.save()
    expect(l.lines.filter((x) => x.includes('ENOSPC'))).toHaveLength(1)
  })

  it.each([
    ['not JSON', '{"format": "edge-ddns-state", "vers', 'is not valid JSON'],
    ['a foreign file', '{"ip": "192.0.2.10"}', 'is not an edge-ddns state file'],
    ['a newer version', '{"format": "edge-ddns-state", "version": 9, "salt": "00112233445566778899aabbccddeeff"}', 'was written by a newer edge-ddns (state version 9, this one reads 1)'],
    ['empty', '', 'is not valid JSON'],
  ])('%s is set aside with a warning, never fatal', (_n, text, why) => {
    writeFileSync(join(tmp.dir, STATE_FILE), text)
    const l = log()
    const s = open(tmp.dir, l)
    expect(s.loaded).toBe(false)
    expect(s.records.size).toBe(0)
    const aside = join(tmp.dir, `${STATE_FILE}.bad-20260301T000000Z`)
    expect(l.lines).toContain(`warn: state: ${join(tmp.dir, STATE_FILE)} ${why}; set aside as ${aside}; starting with an empty state`)
    expect(readFileSync(aside, 'utf8')).toBe(text)
    s.save()
    expect(JSON.parse(readFileSync(join(tmp.dir, STATE_FILE), 'utf8')).format).toBe('edge-ddns-state')
  })

  it('read-only (status): a bad file is reported, not set aside, and nothing is written', () => {
    writeFileSync(join(tmp.dir, STATE_FILE), 'garbage')
    const s = StateStore.open({ dir: tmp.dir, log: log(), now: () => T0, readOnly: true })
    expect(s.problem).toBe('is not valid JSON')
    s.touch()
    expect(s.save()).toBe(false)
    expect(readdirSync(tmp.dir)).toEqual([STATE_FILE])
    expect(readFileSync(join(tmp.dir, STATE_FILE), 'utf8')).toBe('garbage')
  })

  it('drops malformed entries with one warning and keeps the rest', () => {
    const good = { provider: 'cloudflare', account: 'a', name: 'home.example.com', type: 'A', value: '192.0.2.10', failures: 0, verified: '2026-03-01T00:00:00Z' }
    writeFileSync(
      join(tmp.dir, STATE_FILE),
      JSON.stringify({ format: 'edge-ddns-state', version: 1, salt: '00112233445566778899aabbccddeeff', records: { good, bad: { name: 3 }, worse: 'x' } }),
    )
    const l = log()
    const s = open(tmp.dir, l)
    expect([...s.records.keys()]).toEqual(['good'])
    expect(s.get('good')?.verified).toBe(T0)
    expect(l.lines.some((x) => x.includes('ignored 2 malformed entries'))).toBe(true)
  })

  it('parseState tells every problem apart', () => {
    expect(parseState('[]')).toEqual({ problem: 'is not an edge-ddns state file' })
    expect(parseState('{"format":"edge-ddns-state","version":"1"}')).toEqual({ problem: 'has no valid version' })
    expect(parseState('{"format":"edge-ddns-state","version":1,"salt":"short"}')).toEqual({ problem: 'has no valid salt' })
  })

  it('an unreadable file (not missing) starts empty with a warning and is not set aside', () => {
    const dir = join(tmp.dir, 'd')
    mkdirSync(dir)
    mkdirSync(join(dir, STATE_FILE))
    const l = log()
    const s = open(dir, l)
    expect(s.loaded).toBe(false)
    expect(l.lines).toContain(`warn: state: ${join(dir, STATE_FILE)} cannot be read (EISDIR); starting with an empty state`)
    expect(existsSync(join(dir, STATE_FILE))).toBe(true)
  })
})
