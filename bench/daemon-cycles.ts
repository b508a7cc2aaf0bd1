/**
 * The daemon benchmark's workload (bundled and run by bench/daemon.mjs, not on its own).
 *
 * Runs the real daemon loop (src/schedule/daemon.ts) on a fake clock for N cycles at a 5-minute
 * interval: fixed detection (the address changes every 50 cycles, about 4 hours, so writes and state saves
 * happen), an in-memory provider that reads through the API, a real state file, a logger that
 * formats and redacts every line like the real one but drops it, and a reporter standing in for
 * MQTT. Prints one JSON line with the memory at start, after each checkpoint (cycle counts) and
 * at the end, each measured after a forced full GC (run node with --expose-gc), so that retained
 * memory shows, not garbage waiting to be collected. After the GC the main thread blocks for
 * SETTLE_MS: V8's helper threads finish sweeping and unmapping the pages the GC freed only after
 * gc() returns, and a sample taken at once counted up to 0.8 MB of them, differently each run.
 *
 * RSS is taken twice: `rss` is `process.memoryUsage().rss`, the kernel's counter, which Linux 6.2
 * and later keeps per CPU and reads without summing (off by up to 32 pages per CPU for each of
 * file, anonymous and shmem pages, so up to 768 KB on two cores); `rssExact` is the `Rss:` line
 * of /proc/self/smaps_rollup, which the kernel sums from the page tables, when that file exists.
 *
 * Usage: node --expose-gc daemon-cycles.mjs <cycles> <checkpoint,checkpoint,...>
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Config, DomainEntry } from '../src/config/types.js'
import { DEFAULT_TIMEOUTS, type Ctx } from '../src/context.js'
import type { Addresses } from '../src/detect/types.js'
import type { Change, Current, Outcome, ProviderDef, RecordRef } from '../src/providers/types.js'
import { createLogger } from '../src/report/log.js'
import { Redactor } from '../src/report/redact.js'
import { FakeClock } from '../src/schedule/clock.js'
import { parseDaemonSection, parseStateSection } from '../src/schedule/config.js'
import { Daemon } from '../src/schedule/daemon.js'
import { StateStore } from '../src/schedule/state.js'

const total = Number(process.argv[2] ?? 10_000)
const checkpoints = new Set((process.argv[3] ?? '100,1000').split(',').map(Number))
const gc = (globalThis as { gc?: () => void }).gc
/** How long the helper threads of the GC get to release freed pages before a sample, in milliseconds. */
const SETTLE_MS = 50
const settleCell = new Int32Array(new SharedArrayBuffer(4))

/** Resident set size in bytes summed from the page tables, or undefined where /proc does not say. */
function exactRss(): number | undefined {
  try {
    const m = /^Rss:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))
    return m ? Number(m[1]) * 1024 : undefined
  } catch {
    return undefined
  }
}

function mem(): { rss: number; rssExact?: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number } {
  if (gc) {
    gc()
    gc()
    Atomics.wait(settleCell, 0, 0, SETTLE_MS)
  }
  const m = process.memoryUsage()
  const exact = exactRss()
  return { rss: m.rss, ...(exact !== undefined ? { rssExact: exact } : {}), heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers }
}

const records = new Map<string, string>()
let reads = 0
let writes = 0
const def: ProviderDef = {
  name: 'bench',
  summary: 'in-memory provider for the benchmark',
  docs: 'bench/daemon-cycles.ts',
  keys: [],
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  parse: () => {
    throw new Error('not used')
  },
  create: () => ({
    async read(refs: RecordRef[]): Promise<Current[]> {
      reads++
      return refs.map((r) => {
        const v = records.get(`${r.fqdn}/${r.type}`)
        return v ? { kind: 'present', values: [v] } : { kind: 'absent' }
      })
    },
    async write(changes: Change[]): Promise<Outcome[]> {
      writes++
      return changes.map((c) => {
        records.set(`${c.ref.fqdn}/${c.ref.type}`, c.value)
        return { ref: c.ref, status: 'updated', value: c.value }
      })
    },
  }),
}

const redactor = new Redactor()
redactor.add('bench-secret-token-0123456789')
const names = ['home.example.com', 'vpn.example.com']
const entry: DomainEntry = {
  index: 0,
  path: 'domains[0]',
  type: 'bench',
  def,
  settings: { token: 'bench-secret-token-0123456789', zone: 'example.com' },
  families: [4, 6],
  create: true,
  records: names.flatMap((n): RecordRef[] => [
    { fqdn: n, type: 'A', zone: 'example.com' },
    { fqdn: n, type: 'AAAA', zone: 'example.com' },
  ]),
  account: 'bench:api.example:user',
}
const config: Config = {
  file: '/etc/edge-ddns/edge-ddns.toml',
  timeouts: DEFAULT_TIMEOUTS,
  detect: { sources: { 4: [], 6: [] }, policy: { allowPrivate: false, allowDocumentation: true, preferTemporary: false } },
  domains: [entry],
  extra: { state: parseStateSection({}, 'state'), daemon: parseDaemonSection({ interval: '5m' }, 'daemon') },
}

const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir()
const dir = mkdtempSync(join(base, 'edge-ddns-bench-'))
const clock = new FakeClock(Date.UTC(2026, 2, 1), { auto: true })
let lines = 0
const log = createLogger(() => lines++, redactor, 'info')
const store = StateStore.open({ dir, log, now: () => clock.now() })

let n = 0
const detect = async (_c: unknown, families: (4 | 6)[]): Promise<Addresses> => {
  const gen = Math.floor(n / 50)
  const out: Addresses = {}
  for (const f of families) {
    const address = f === 4 ? `192.0.2.${10 + (gen % 200)}` : `2001:db8::${(gen % 4000).toString(16)}`
    out[f] = { family: f, address, source: 'bench', attempts: [{ source: 'bench', address }] }
  }
  return out
}

let published = 0
const at: Record<string, ReturnType<typeof mem>> = {}
const start = mem()
const t0 = process.hrtime.bigint()
const daemon: Daemon = new Daemon({
  config,
  reload: () => config,
  makeCtx: (cfg, signal): Ctx => ({
    signal,
    http: { request: () => Promise.reject(new Error('no HTTP in the benchmark')) },
    dns: { query: () => Promise.reject(new Error('no DNS in the benchmark')) },
    log,
    redactor,
    now: () => clock.now(),
    timeouts: cfg.timeouts,
  }),
  store,
  clock,
  log,
  buildTimeMs: 0,
  detect,
  reporter: async () => ({
    publish: async (s) => {
      published += s.records.length > 0 ? 1 : 0
    },
    close: async () => {},
  }),
  onCycle: () => {
    n++
    if (checkpoints.has(n)) at[n] = mem()
    if (n >= total) daemon.stop('bench')
  },
})
await daemon.run()
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6
const end = mem()
rmSync(dir, { recursive: true, force: true })
process.stdout.write(
  `${JSON.stringify({ cycles: n, start, at, end, reads, writes, published, logLines: lines, simulatedDays: (clock.now() - Date.UTC(2026, 2, 1)) / 86_400_000, wallMs, gcForced: gc !== undefined })}\n`,
)
