#!/usr/bin/env node
// Daemon memory benchmark. Issue 9's budget: "RSS after 10 000 fake-clock cycles within 1 MB of
// RSS after 100".
//
// Bundles bench/daemon-cycles.ts as build/bundle.mjs bundles the agent (esbuild, ESM, node18,
// minified) and runs it in a fresh process per runtime profile, each measurement after a forced
// full GC (--expose-gc) and a 50 ms pause in which V8's helper threads release the pages it freed:
// - router: the flags the OpenWrt package runs node with (openwrt/files/edge-ddns.sh):
//   --max-old-space-size=32 --max-semi-space-size=1 --jitless. The budget is judged here: the
//   router is where a megabyte matters.
// - node defaults: no flags. V8 then grows its young generation (up to 2 × 16 MB semi-spaces) and
//   keeps optimised code while cycles run back to back, which the fake clock makes them do; both
//   are bounded (they stop growing), so the table also shows 1 000 → 10 000 cycles, where a leak
//   would keep growing and a warm-up does not.
// RSS is the exact figure, summed from the page tables (/proc/self/smaps_rollup), where Linux has
// it. The kernel's own counter, which process.memoryUsage().rss and ps read, is kept per CPU since
// Linux 6.2 and can be off by up to 32 pages per CPU for each of file, anonymous and shmem pages:
// 768 KB on two cores, most of the budget. It is still shown ("RSS counter"), and used where
// smaps_rollup is missing (the table says which).
// Sampled that way, RSS varies by about 100 KB between runs (by up to 0.8 MB without the pause):
// each profile runs 3 times (`--runs N`) and the table shows medians.
// It reports; it fails only with `--check` (exit 1 when the router profile is over the budget).
//
// Usage: node bench/daemon.mjs [--cycles N] [--runs N] [--runtime /path/to/node] [--json] [--check]
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : dflt
}
const cycles = Number(arg('cycles', '10000'))
const runs = Math.max(1, Number(arg('runs', '3')))
const runtime = arg('runtime', process.execPath)
const WARM = 100
const STEADY = 1000
const BUDGET_BYTES = 1024 * 1024
const PROFILES = [
  { name: 'router', flags: ['--max-old-space-size=32', '--max-semi-space-size=1', '--jitless'], judged: true },
  { name: 'node defaults', flags: [], judged: false },
]

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (b) => `${(b / 1048576).toFixed(2)} MB`
const signed = (b) => `${b >= 0 ? '+' : '-'}${mb(Math.abs(b))}`

const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-bench-build-'))
const out = join(dir, 'daemon-cycles.mjs')
let failed = false
try {
  await build({
    entryPoints: [join(root, 'bench', 'daemon-cycles.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: true,
    logLevel: 'warning',
    banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
  })
  const results = []
  for (const p of PROFILES) {
    const samples = []
    for (let i = 0; i < runs; i++) {
      const r = spawnSync(runtime, ['--expose-gc', ...p.flags, out, String(cycles), `${WARM},${STEADY}`], { encoding: 'utf8', maxBuffer: 1 << 20 })
      if (r.status !== 0) {
        process.stderr.write(r.stderr)
        throw new Error(`bench/daemon: the workload failed under "${p.name}" (exit ${r.status})`)
      }
      samples.push(JSON.parse(r.stdout.trim().split('\n').pop()))
    }
    const pick = (f) => median(samples.map(f))
    const points = (field) => ({ start: pick((s) => field(s.start)), [WARM]: pick((s) => field(s.at[WARM])), [STEADY]: pick((s) => field(s.at[STEADY])), end: pick((s) => field(s.end)) })
    const exact = samples.every((s) => [s.start, s.at[WARM], s.at[STEADY], s.end].every((x) => x.rssExact !== undefined))
    const m = samples[0]
    const res = {
      profile: p.name,
      flags: p.flags,
      cycles: m.cycles,
      simulatedDays: m.simulatedDays,
      reads: m.reads,
      writes: m.writes,
      wallMs: pick((s) => s.wallMs),
      rssSource: exact ? 'smaps_rollup' : 'counter',
      rss: points((x) => (exact ? x.rssExact : x.rss)),
      rssCounter: points((x) => x.rss),
      heapTotal: points((x) => x.heapTotal),
      heapUsed: points((x) => x.heapUsed),
    }
    res.rssGrowth = res.rss.end - res.rss[WARM]
    res.rssGrowthSteady = res.rss.end - res.rss[STEADY]
    res.rssCounterGrowth = res.rssCounter.end - res.rssCounter[WARM]
    res.ok = res.rssGrowth <= BUDGET_BYTES
    if (p.judged && !res.ok) failed = true
    results.push({ ...res, judged: p.judged })
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ budgetBytes: BUDGET_BYTES, runs, results }))
  } else {
    const r0 = results[0]
    console.log(`daemon: ${r0.cycles} fake-clock cycles at a 5-minute interval (${r0.simulatedDays.toFixed(1)} simulated days; ${r0.reads} provider reads, ${r0.writes} writes), median of ${runs} run${runs === 1 ? '' : 's'}, ${runtime === process.execPath ? `node ${process.version}` : runtime}`)
    const rows = [['', 'RSS', 'RSS counter', 'heap total', 'heap used']]
    const cols = ['rss', 'rssCounter', 'heapTotal', 'heapUsed']
    for (const r of results) {
      rows.push([`${r.profile}${r.flags.length ? ` (${r.flags.join(' ')})` : ''}`])
      rows.push(['  start', ...cols.map((c) => mb(r[c].start))])
      for (const n of [WARM, STEADY]) rows.push([`  after ${n} cycles`, ...cols.map((c) => mb(r[c][n]))])
      rows.push([`  after ${r.cycles} cycles`, ...cols.map((c) => mb(r[c].end))])
      for (const n of [WARM, STEADY]) rows.push([`  growth ${n} → ${r.cycles}`, ...cols.map((c) => signed(r[c].end - r[c][n]))])
      rows.push([`  ${(r.wallMs / r.cycles).toFixed(2)} ms per cycle`])
    }
    const w = Math.max(...rows.map((r) => r[0].length))
    for (const r of rows) console.log(`  ${r[0].padEnd(w)}${r.slice(1).map((c, i) => `  ${c.padStart(Math.max(10, rows[0][i + 1].length))}`).join('')}`.trimEnd())
    const j = results.find((r) => r.judged)
    const source = j.rssSource === 'smaps_rollup' ? 'RSS from /proc/self/smaps_rollup (exact)' : 'RSS from the kernel counter (smaps_rollup not available; ±768 KB on two cores)'
    console.log(`  ${source}; "RSS counter" is process.memoryUsage().rss`)
    console.log(`  budget (router): RSS growth ${WARM} → ${j.cycles} cycles ≤ ${mb(BUDGET_BYTES)}: ${j.ok ? 'within' : 'OVER'} (${signed(j.rssGrowth)}; counter ${signed(j.rssCounterGrowth)})`)
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
if (failed && process.argv.includes('--check')) process.exit(1)
