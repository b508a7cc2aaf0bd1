import { spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
/** The package's files as they ship. */
export const FILES = join(ROOT, 'openwrt', 'files')
export const INIT = join(FILES, 'edge-ddns.init')
export const HOTPLUG = join(FILES, 'edge-ddns.hotplug')
export const LAUNCHER = join(FILES, 'edge-ddns.sh')
const HARNESS = join(ROOT, 'test', 'unit', 'openwrt', 'harness.sh')
const STAND_INS = join(ROOT, 'test', 'unit', 'openwrt', 'stand-ins')
/** The stand-ins for OpenWrt's commands, put in the isolated PATH. */
export const STAND_IN_NAMES = ['uci', 'ubus', 'jsonfilter']

/** Finds an executable in PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, name)
    if (existsSync(p)) return p
  }
  return null
}

/**
 * A tool the tests need from the machine (shellcheck, busybox). Missing: under CI the test fails
 * with the reason; elsewhere it is skipped with a loud warning, as the project's rule says.
 * @returns the path, or null when the caller should skip.
 */
export function requireTool(name: string, aptPackage: string): string | null {
  const p = which(name)
  if (p) return p
  const msg = `${name} is not installed (apt-get install ${aptPackage})`
  if (process.env.CI) throw new Error(`${msg}: required under CI`)
  console.warn(`\n*** SKIPPING: ${msg} ***\n`)
  return null
}

/** A POSIX shell to run the scripts under: dash (/bin/sh on Debian) and BusyBox ash (OpenWrt's). */
export interface Shell {
  name: string
  argv: string[]
}

/** dash always; BusyBox ash where busybox is installed (required under CI). */
export function shells(): Shell[] {
  const out: Shell[] = [{ name: 'sh (dash)', argv: ['/bin/sh'] }]
  const bb = requireTool('busybox', 'busybox')
  if (bb) out.push({ name: 'busybox ash', argv: [bb, 'sh'] })
  return out
}

/** One recorded call of a stand-in: its name and arguments. */
export interface Call {
  name: string
  args: string[]
}

/** Parses the harness's record: one call a line, fields separated by tabs. */
export function parseCalls(text: string): Call[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [name, ...args] = l.split('\t')
      return { name: name ?? '', args }
    })
}

/** Host commands the scripts run besides the stand-ins, linked into the isolated PATH. */
const HOST_TOOLS = ['readlink', 'cat', 'mv', 'sleep', 'date', 'sed']

export interface RouterOptions {
  /** Runtimes in PATH, each a symlink to a binary elsewhere (so resolving the link shows). */
  runtimes?: ('node' | 'bun')[]
  /** UCI options of edge-ddns.main; `config` and `env_file` default to this router's files. */
  uci?: Record<string, string>
  /** Whether /etc/passwd has the edge-ddns user (default true). */
  user?: boolean
  /** Whether /sbin/ujail exists (default true). */
  ujail?: boolean
  /** Whether /etc/seccomp/edge-ddns.json exists (default false). */
  seccomp?: boolean
  /** Whether the env file exists (default true). */
  envFile?: boolean
}

/**
 * A fake router for one scenario, in a temporary directory: the TOML and env files, a passwd file,
 * runtimes, and a PATH holding only the stand-ins, the runtimes asked for and a few host tools
 * (so the machine's own node is not found).
 */
export class FakeRouter {
  readonly dir: string
  readonly bin: string
  readonly config: string
  readonly env: string
  readonly uciFile: string
  readonly passwd: string
  readonly ujail: string
  readonly seccomp: string
  readonly declared: string
  /** Real (resolved) paths of the runtimes. */
  readonly real: Record<'node' | 'bun', string>
  private uci: Record<string, string>

  constructor(opts: RouterOptions = {}) {
    // Resolved, so that paths the init script resolves with readlink -f compare equal.
    this.dir = realpathSync(mkdtempSync(join(tmpdir(), 'edge-ddns-router-')))
    this.bin = join(this.dir, 'bin')
    mkdirSync(this.bin)
    mkdirSync(join(this.dir, 'etc', 'edge-ddns'), { recursive: true })
    this.config = join(this.dir, 'etc', 'edge-ddns', 'edge-ddns.toml')
    this.env = join(this.dir, 'etc', 'edge-ddns', 'edge-ddns.env')
    writeFileSync(this.config, '[[domains]]\n')
    if (opts.envFile ?? true) writeFileSync(this.env, 'CF_TOKEN=x\n', { mode: 0o600 })
    this.passwd = join(this.dir, 'passwd')
    writeFileSync(this.passwd, `root:x:0:0:root:/root:/bin/ash\n${opts.user ?? true ? 'edge-ddns:x:436:436:edge-ddns:/var/run/edge-ddns:/bin/false\n' : ''}`)
    this.ujail = join(this.dir, 'sbin', 'ujail')
    if (opts.ujail ?? true) this.exe(this.ujail, '#!/bin/sh\nexit 0\n')
    this.seccomp = join(this.dir, 'etc', 'seccomp', 'edge-ddns.json')
    if (opts.seccomp) {
      mkdirSync(dirname(this.seccomp), { recursive: true })
      writeFileSync(this.seccomp, '{"whitelist":[],"policy":1}\n')
    }
    this.declared = join(this.dir, 'edge-ddns.declared')
    this.real = { node: join(this.dir, 'opt', 'node-v20', 'bin', 'node'), bun: join(this.dir, 'opt', 'bun-1.2', 'bun') }
    for (const r of opts.runtimes ?? []) this.addRuntime(r)
    for (const name of STAND_IN_NAMES) {
      copyFileSync(join(STAND_INS, name), join(this.bin, name))
      chmodSync(join(this.bin, name), 0o755)
    }
    for (const t of HOST_TOOLS) {
      const p = which(t)
      if (p) symlinkSync(p, join(this.bin, t))
    }
    this.uciFile = join(this.dir, 'uci')
    this.uci = { enabled: '1', config: this.config, env_file: this.env, ...opts.uci }
    this.writeUci()
  }

  /** Puts a runtime in PATH (a symlink to its binary). The fake prints its arguments, one a line. */
  addRuntime(r: 'node' | 'bun'): void {
    this.exe(this.real[r], '#!/bin/sh\nfor a in "$@"; do printf \'%s\\n\' "$a"; done\nprintf \'BUN_RUNTIME_TRANSPILER_CACHE_PATH=%s\\n\' "$BUN_RUNTIME_TRANSPILER_CACHE_PATH"\n')
    symlinkSync(this.real[r], join(this.bin, r))
  }

  /** Changes UCI options (a value of '' removes the option). */
  setUci(values: Record<string, string>): void {
    this.uci = { ...this.uci, ...values }
    this.writeUci()
  }

  private writeUci(): void {
    const lines = Object.entries(this.uci)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}=${v}`)
    writeFileSync(this.uciFile, `${lines.join('\n')}\n`)
  }

  private exe(path: string, text: string): void {
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, text)
    chmodSync(path, 0o755)
  }

  /** The environment a script sees here: the isolated PATH and the stand-ins' files. */
  environment(extra: Record<string, string> = {}): Record<string, string> {
    return { PATH: this.bin, FAKE_UCI: this.uciFile, HOME: this.dir, ...extra }
  }

  /**
   * Runs init-script functions through the harness under `shell`.
   * @returns the recorded calls, and the harness's exit code and stderr.
   */
  init(shell: Shell, actions: string[], extra: Record<string, string> = {}): { calls: Call[]; code: number | null; stderr: string } {
    const calls = join(this.dir, `calls-${Math.random().toString(36).slice(2)}`)
    writeFileSync(calls, '')
    const r = spawnSync(shell.argv[0]!, [...shell.argv.slice(1), HARNESS, ...actions], {
      env: this.environment({
        INIT,
        CALLS: calls,
        TEST_PASSWD: this.passwd,
        TEST_UJAIL: this.ujail,
        TEST_SECCOMP: this.seccomp,
        TEST_DECLARED: this.declared,
        ...extra,
      }),
      encoding: 'utf8',
      timeout: 20_000,
    })
    return { calls: parseCalls(readFileSync(calls, 'utf8')), code: r.status, stderr: r.stderr }
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true })
  }
}
