import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config, DomainEntry } from '../../../src/config/types.js'
import { DEFAULT_TIMEOUTS, type Ctx } from '../../../src/context.js'
import type { Addresses, DetectConfig } from '../../../src/detect/types.js'
import { EdgeError } from '../../../src/errors.js'
import type { Change, Current, Family, Outcome, ProviderDef, RecordRef } from '../../../src/providers/types.js'
import { memoryLogger, type LogLevel } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'
import type { Clock } from '../../../src/schedule/clock.js'
import { parseDaemonSection, parseStateSection } from '../../../src/schedule/config.js'
import type { DetectFn } from '../../../src/schedule/cycle.js'

/** Shared builders for the schedule tests (not a test file itself). */

/** One provider call as the fake saw it. */
export interface Call {
  op: 'read' | 'write'
  /** Fake-clock time of the call (ms). */
  at: number
  names: string[]
  values?: string[]
}

/** A scripted failure: thrown (read) or returned as the outcome (write). */
export type Script = { op: 'read' | 'write'; error: EdgeError; times?: number }

/** A provider that keeps records in memory and counts calls with the fake clock's time. */
export interface FakeProvider {
  def: ProviderDef<{ secret: string }>
  calls: Call[]
  /** name/type → values held. */
  records: Map<string, string[]>
  script(s: Script): void
  reads(): Call[]
  writes(): Call[]
}

/**
 * A counting fake provider. `read: 'dns'` makes it push-only (like dyndns2): it "reads" what a DNS
 * query would show, which after a write may still be the old value (`lagging`).
 */
export function fakeProvider(clock: Clock, opts: { read?: 'api' | 'dns'; initial?: Record<string, string[]>; lagging?: boolean } = {}): FakeProvider {
  const calls: Call[] = []
  const records = new Map<string, string[]>(Object.entries(opts.initial ?? {}))
  const dnsView = new Map(records)
  const scripts: (Script & { left: number })[] = []
  const take = (op: 'read' | 'write'): EdgeError | undefined => {
    const s = scripts.find((x) => x.op === op && x.left > 0)
    if (!s) return undefined
    s.left--
    return s.error
  }
  const def: ProviderDef<{ secret: string }> = {
    name: 'fake',
    summary: 'in-memory fake',
    docs: 'test',
    keys: [],
    capabilities: { read: opts.read ?? 'api', ipv6: true, dualStackOneRequest: false },
    parse: () => {
      throw new Error('not used')
    },
    create: () => ({
      async read(refs: RecordRef[]): Promise<Current[]> {
        calls.push({ op: 'read', at: clock.now(), names: refs.map((r) => `${r.fqdn}/${r.type}`) })
        const err = take('read')
        if (err) return refs.map(() => ({ kind: 'failed', error: err }))
        const view = opts.lagging ? dnsView : records
        return refs.map((r) => {
          const v = view.get(`${r.fqdn}/${r.type}`)
          return v ? { kind: 'present', values: [...v] } : { kind: 'absent' }
        })
      },
      async write(changes: Change[]): Promise<Outcome[]> {
        calls.push({ op: 'write', at: clock.now(), names: changes.map((c) => `${c.ref.fqdn}/${c.ref.type}`), values: changes.map((c) => c.value) })
        const err = take('write')
        return changes.map((c) => {
          if (err) return { ref: c.ref, status: 'failed', value: c.value, error: err }
          const k = `${c.ref.fqdn}/${c.ref.type}`
          const prev = records.get(k)
          records.set(k, [c.value])
          return { ref: c.ref, status: c.create ? 'created' : 'updated', value: c.value, ...(prev ? { previous: prev } : {}) }
        })
      },
    }),
  }
  return {
    def,
    calls,
    records,
    script: (s) => scripts.push({ ...s, left: s.times ?? 1 }),
    reads: () => calls.filter((c) => c.op === 'read'),
    writes: () => calls.filter((c) => c.op === 'write'),
  }
}

/** A DomainEntry for a fake provider; `secret` ends up in the settings (and the redactor). */
export function fakeEntry(
  def: ProviderDef,
  names: string[],
  opts: { families?: Family[]; secret?: string; account?: string; index?: number; create?: boolean; redactor?: Redactor } = {},
): DomainEntry {
  const families = opts.families ?? [4]
  const records: RecordRef[] = []
  for (const n of names) for (const f of families) records.push({ fqdn: n, type: f === 6 ? 'AAAA' : 'A', zone: 'example.com' })
  const secret = opts.secret ?? 'fake-secret-0001'
  opts.redactor?.add(secret)
  const index = opts.index ?? 0
  return {
    index,
    path: `domains[${index}]`,
    type: def.name,
    def,
    settings: { secret, zone: 'example.com' },
    families,
    create: opts.create ?? false,
    records,
    account: opts.account ?? 'fake:api.example:user1',
  }
}

/** A Config with these entries and `[state]`/`[daemon]` tables parsed by the real section parsers. */
export function configWith(entries: DomainEntry[], sections: { state?: Record<string, unknown>; daemon?: Record<string, unknown>; runMs?: number } = {}): Config {
  const extra: Record<string, unknown> = {}
  if (sections.state) extra.state = parseStateSection(sections.state, 'state')
  if (sections.daemon) extra.daemon = parseDaemonSection(sections.daemon, 'daemon')
  return {
    file: '/etc/edge-ddns/edge-ddns.toml',
    timeouts: { ...DEFAULT_TIMEOUTS, runMs: sections.runMs ?? DEFAULT_TIMEOUTS.runMs },
    detect: { sources: { 4: [], 6: [] }, policy: { allowPrivate: false, allowDocumentation: true, preferTemporary: false } },
    domains: entries,
    extra,
  }
}

/** Detection that answers a settable address per family, and counts its calls. */
export function fixedDetect(initial: { 4?: string; 6?: string }): DetectFn & { set(a: { 4?: string; 6?: string }): void; calls: number } {
  let cur = { ...initial }
  const fn = Object.assign(async (_cfg: DetectConfig, families: Family[]): Promise<Addresses> => {
    fn.calls++
    const out: Addresses = {}
    for (const f of families) {
      const a = cur[f]
      out[f] = a ? { family: f, address: a, source: 'test', attempts: [{ source: 'test', address: a }] } : { family: f, attempts: [{ source: 'test', error: new EdgeError('detect', 'no address') }] }
    }
    return out
  }, {
    calls: 0,
    set(a: { 4?: string; 6?: string }): void {
      cur = { ...a }
    },
  })
  return fn
}

/** A Ctx on the fake clock with a memory logger; the network clients fail loudly if used. */
export function fakeCtx(clock: Clock, opts: { level?: LogLevel; redactor?: Redactor; signal?: AbortSignal } = {}): Ctx & { lines: string[] } {
  const redactor = opts.redactor ?? new Redactor()
  const log = memoryLogger(redactor, opts.level ?? 'debug')
  const ctx: Ctx = {
    signal: opts.signal ?? new AbortController().signal,
    http: { request: () => Promise.reject(new Error('HTTP must not be used here')) },
    dns: { query: () => Promise.reject(new Error('DNS must not be used here')) },
    log,
    redactor,
    now: () => clock.now(),
    timeouts: DEFAULT_TIMEOUTS,
  }
  return Object.assign(ctx, { lines: log.lines })
}

/** A temporary directory, removed by the returned function; `ram` prefers /dev/shm when it exists. */
export function tempDir(prefix = 'edge-ddns-state-', opts: { ram?: boolean } = {}): { dir: string; cleanup(): void } {
  const base = opts.ram && existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
  const dir = mkdtempSync(join(base, prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** 2026-03-01T00:00:00Z: after the build date the clock check uses from source. */
export const T0 = Date.UTC(2026, 2, 1)
export const MIN = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000
