import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/**
 * A minimal Debian booted with systemd under systemd-nspawn, for running the real units.
 *
 * The root file system is built once with debootstrap and cached; every boot uses
 * `--volatile=overlay` (a tmpfs over the read-only cache), so each run starts from the pristine
 * tree and leaves nothing behind in it. The container shares the host's network (no
 * --private-network): a unit inside reaches test servers on the host's 127.0.0.1.
 *
 * There is no systemd on the host here (PID 1 is not systemd, no D-Bus system bus), so nspawn runs
 * with `--register=no --keep-unit`: no machined registration and no scope unit, both of which need
 * the host's systemd. Commands reach the container with `nsenter -t <its PID 1> -a` (all
 * namespaces), as root, with a clean environment.
 */

/** Debian release and packages of the cached root file system. */
export const DEBOOTSTRAP_ARGS = ['--variant=minbase', '--include=systemd,systemd-sysv,dbus', 'bookworm']
/** Written into the root once debootstrap has finished; a root without it (or with other args) is rebuilt. */
const STAMP = '.edge-ddns-rootfs'

/** The output of one command. */
export interface ExecResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Makes sure `dir` holds a finished debootstrap root: reuses it when its stamp matches, otherwise
 * builds it next to `dir` and renames it into place (an interrupted build never looks finished).
 * Takes about a minute and 250 MB; needs the Debian mirror (env DEBIAN_MIRROR overrides).
 * @throws Error with debootstrap's last output lines when it fails.
 */
export async function ensureRootfs(dir: string, log: (line: string) => void = () => {}): Promise<void> {
  const want = DEBOOTSTRAP_ARGS.join(' ')
  const stamp = join(dir, STAMP)
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return
  const partial = `${dir}.partial`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(dirname(dir), { recursive: true })
  log(`building the container root with debootstrap ${want} (about a minute; cached in ${dir})`)
  const args = [...DEBOOTSTRAP_ARGS, partial, ...(process.env.DEBIAN_MIRROR ? [process.env.DEBIAN_MIRROR] : [])]
  const r = await run('debootstrap', args, 15 * 60_000)
  if (r.code !== 0) {
    rmSync(partial, { recursive: true, force: true })
    throw new Error(`debootstrap failed (exit ${r.code}):\n${(r.stdout + r.stderr).split('\n').slice(-20).join('\n')}`)
  }
  writeFileSync(join(partial, STAMP), `${want}\n`)
  rmSync(dir, { recursive: true, force: true })
  renameSync(partial, dir)
}

/** Runs a command on the host without blocking the event loop (test servers keep answering). */
export function run(cmd: string, args: string[], timeoutMs = 120_000, input?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()))
    if (input !== undefined) child.stdin!.end(input)
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** A bind mount into the container. */
export interface Bind {
  host: string
  container: string
  readOnly?: boolean
}

/** A booted container. */
export interface Container {
  machine: string
  /** Host PID of the container's systemd (its PID 1). */
  pid: number
  /** Runs a command inside (all namespaces of PID 1, clean environment, as root). */
  exec(args: string[], timeoutMs?: number): Promise<ExecResult>
  /** Writes a file inside the container, through /proc/<pid>/root. */
  write(path: string, text: string, mode?: number): void
  /** Reads a file inside the container. */
  read(path: string): string
  /** What nspawn printed (the container's console), for diagnostics. */
  console(): string
  /** Powers the container off (kills nspawn if it does not stop in time) and cleans up. */
  stop(): Promise<void>
}

const PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/**
 * Boots `rootfs` with systemd as PID 1 and waits until the system is up (running or degraded).
 * @throws Error with the console output when it does not come up within `timeoutMs`.
 */
export async function boot(rootfs: string, machine: string, binds: Bind[], timeoutMs = 60_000): Promise<Container> {
  const args = [
    '--quiet',
    `--directory=${rootfs}`,
    `--machine=${machine}`,
    '--volatile=overlay',
    '--register=no',
    '--keep-unit',
    '--console=pipe',
    ...binds.map((b) => `--${b.readOnly ? 'bind-ro' : 'bind'}=${b.host}:${b.container}`),
    '--boot',
  ]
  const nspawn: ChildProcess = spawn('systemd-nspawn', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  nspawn.stdout!.on('data', (c: Buffer) => (out += c.toString()))
  nspawn.stderr!.on('data', (c: Buffer) => (out += c.toString()))
  let exited = false
  const done = new Promise<void>((resolve) => nspawn.on('exit', () => ((exited = true), resolve())))

  const cleanupRun = () => {
    // nspawn cannot remove its propagation directory when /run is not a tmpfs (as here); it is ours.
    rmSync(`/run/systemd/nspawn/propagate/${machine}`, { recursive: true, force: true })
  }
  const kill = async () => {
    if (!exited && nspawn.pid) {
      nspawn.kill('SIGKILL')
      await done
    }
    cleanupRun()
  }

  const deadline = Date.now() + timeoutMs
  let pid = 0
  while (!pid && Date.now() < deadline && !exited) {
    pid = childOf(nspawn.pid!)
    if (!pid) await sleep(100)
  }
  if (!pid) {
    await kill()
    throw new Error(`systemd-nspawn did not start a container:\n${out}`)
  }

  const exec = (cmd: string[], ms = 120_000) => run('nsenter', ['-t', String(pid), '-a', 'env', '-i', PATH, ...cmd], ms)
  // systemctl fails with "Failed to connect to bus" until PID 1 has opened /run/systemd/private.
  let state: ExecResult = { code: null, stdout: '', stderr: '' }
  while (Date.now() < deadline && !exited) {
    state = await exec(['systemctl', 'is-system-running', '--wait'], Math.max(1000, deadline - Date.now()))
    if (state.stdout.trim() !== '') break
    await sleep(100)
  }
  const s = state.stdout.trim()
  if (s !== 'running' && s !== 'degraded') {
    await kill()
    throw new Error(`the container did not boot (is-system-running: ${s || state.stderr.trim()}):\n${out}`)
  }

  const inside = (p: string) => join(`/proc/${pid}/root`, p)
  return {
    machine,
    pid,
    exec,
    write(path, text, mode = 0o644) {
      mkdirSync(dirname(inside(path)), { recursive: true })
      writeFileSync(inside(path), text)
      chmodSync(inside(path), mode)
    },
    read: (path) => readFileSync(inside(path), 'utf8'),
    console: () => out,
    async stop() {
      if (!exited) {
        await exec(['systemctl', 'poweroff', '--no-block'], 10_000).catch(() => undefined)
        await Promise.race([done, sleep(30_000)])
      }
      await kill()
    },
  }
}

/**
 * The child of nspawn that runs systemd (the container's PID 1), or 0 while there is none yet
 * (nspawn's helper children come and go before it execs systemd).
 */
function childOf(pid: number): number {
  try {
    for (const c of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
      if (readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'systemd') return Number(c)
    }
  } catch {
    // nspawn or the child went away between the reads; the caller polls again.
  }
  return 0
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** True when `cmd` can be started (it exists in PATH). */
export function have(cmd: string, args = ['--version']): boolean {
  return !spawnSync(cmd, args, { stdio: 'ignore' }).error
}
