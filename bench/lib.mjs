// Measuring helpers for bench/run.mjs: runs a command many times, interleaved with the others it
// is compared with, and keeps the wall time (hrtime around spawn → exit) and the peak RSS (GNU
// time's %M, the kernel's ru_maxrss of the child). Reports medians; asserts nothing.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const BUNDLE = join(ROOT, 'dist', 'edge-ddns.mjs')
const GNU_TIME = '/usr/bin/time'

/** The Bun binary from devDependencies, when this CPU can run it (it needs AVX2 on x86-64). */
export function bunBinary() {
  const exe = join(ROOT, 'node_modules', 'bun', 'bin', 'bun.exe')
  if (!existsSync(exe)) return { bin: null, why: 'not installed in node_modules (npm ci installs it)' }
  if (process.arch === 'x64' && !/\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))) return { bin: null, why: 'this CPU lacks AVX2' }
  return { bin: exe }
}

/** Absolute path of a program on PATH (or in /usr/sbin, where Debian puts inadyn), or null. */
export function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name} || { test -x /usr/sbin/${name} && echo /usr/sbin/${name}; }`], { encoding: 'utf8' })
  const p = r.stdout.trim()
  return p === '' ? null : p
}

/** What the numbers were measured on. */
export function machine() {
  const cpus = os.cpus()
  const bun = bunBinary()
  const ver = (bin, args) => {
    const r = spawnSync(bin, args, { encoding: 'utf8' })
    return r.status === 0 ? r.stdout.trim().split('\n')[0] : 'n/a'
  }
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    nproc: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    memMB: Math.round(os.totalmem() / 1048576),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    bun: bun.bin ? ver(bun.bin, ['--version']) : `n/a (${bun.why})`,
    load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
  }
}

/**
 * Runs `cmd args` once: wall milliseconds, exit code, output, and the peak RSS in KB when GNU
 * time is installed (null otherwise).
 */
export function runOnce(cmd, args, { env, cwd, timeoutMs = 60_000 } = {}) {
  const tmp = mkdtempSync(join(os.tmpdir(), 'edge-ddns-bench-'))
  const rssFile = join(tmp, 'rss')
  const timed = existsSync(GNU_TIME)
  const [bin, argv] = timed ? [GNU_TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args]
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint()
    const child = spawn(bin, argv, { env: env ?? cleanEnv(), cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c) => (stdout += c))
    child.stderr.on('data', (c) => (stderr += c))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      clearTimeout(timer)
      let rssKB = null
      if (timed) {
        try {
          rssKB = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop())
        } catch {}
      }
      rmSync(tmp, { recursive: true, force: true })
      resolve({ ms, rssKB, code, stdout, stderr })
    })
  })
}

/** PATH and a HOME of its own: no DEBUG, NODE_OPTIONS or proxy settings leak into a measurement. */
export function cleanEnv(extra = {}) {
  return { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: os.tmpdir(), ...extra }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  if (n === 0) return NaN
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

/**
 * Measures each case `runs` times, round-robin (case A, B, C, A, B, C, ...) so that a change in
 * the machine's load hits every case alike, after one unmeasured warm-up run each.
 * A case: { name, cmd, args, env?, cwd?, before?(): void|Promise, check?(result): string|undefined }
 * (`before` resets the world before each run; `check` returns a complaint when a run did not do
 * what it should, and the case is then reported as failed instead of timed).
 * @returns per case: { name, ms: median wall ms, rssMB: median peak RSS in MB (or null), runs, failed }
 */
export async function measure(cases, runs) {
  const out = new Map(cases.map((c) => [c.name, { name: c.name, times: [], rss: [], failed: undefined }]))
  for (let round = -1; round < runs; round++) {
    for (const c of cases) {
      const o = out.get(c.name)
      if (o.failed) continue
      if (c.before) await c.before()
      const r = await runOnce(c.cmd, c.args, { env: c.env, cwd: c.cwd })
      const complaint = r.code !== 0 ? `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}` : c.check?.(r)
      if (complaint) {
        o.failed = complaint
        continue
      }
      if (round < 0) continue
      o.times.push(r.ms)
      if (r.rssKB !== null) o.rss.push(r.rssKB / 1024)
    }
  }
  return cases.map((c) => {
    const o = out.get(c.name)
    return { name: c.name, ms: median(o.times), rssMB: o.rss.length ? median(o.rss) : null, runs: o.times.length, failed: o.failed }
  })
}

/** A Markdown table from rows of cells (the first row is the header). */
export function table(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i] ?? '').length)))
  const line = (r) => `| ${r.map((c, i) => String(c ?? '').padEnd(widths[i])).join(' | ')} |`
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n')
}

/**
 * Imports one of the TypeScript test helpers (test/helpers/*.ts) from plain Node: bundles it with
 * esbuild into a temp file, keeping its `import.meta.url` pointing at the original file so that
 * the paths it derives from it (fixtures) still resolve.
 */
export async function importTsHelper(rel) {
  const src = join(ROOT, rel)
  const dir = mkdtempSync(join(os.tmpdir(), 'edge-ddns-bench-helper-'))
  const out = join(dir, 'helper.mjs')
  try {
    await build({
      entryPoints: [src],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node18',
      packages: 'external',
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(src).href) },
      logLevel: 'error',
    })
    // The external packages resolve from the repo's node_modules: import it from there.
    const dest = join(ROOT, 'node_modules', '.cache', 'edge-ddns-bench', rel.replace(/[/\\]/g, '_').replace(/\.ts$/, '.mjs'))
    const { mkdirSync, copyFileSync } = await import('node:fs')
    mkdirSync(dirname(dest), { recursive: true })
    copyFileSync(out, dest)
    return await import(pathToFileURL(dest).href)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** `x` as a ratio with two decimals (`1.07×`), or `n/a`. */
export function ratio(a, b) {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a'
}
