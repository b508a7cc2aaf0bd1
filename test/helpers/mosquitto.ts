import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A real mosquitto broker for tests, on free loopback ports, with `per_listener_settings true`:
 * - `plain`: anonymous;
 * - `auth`: password file only (`mosquitto_passwd -b -c`), user `edge` / `TEST_PASSWORD`;
 * - `tls`: anonymous over TLS, with a CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost)
 *   generated here with openssl; `wrongCaFile` is a second CA that did not sign it.
 * Retained messages are shared by all listeners.
 *
 * Started as `mosquitto -c <tmp>/mosquitto.conf` and stopped with SIGTERM (SIGKILL after 3 s);
 * the temp directory is removed. As root, mosquitto would drop to the `mosquitto` user, which
 * cannot read the 0700 temp directory: the config then says `user root` to keep it as it is.
 *
 * Needs the Debian packages `mosquitto`, `mosquitto-clients` (for `mosquitto_passwd`,
 * `mosquitto_sub`) and `openssl`.
 */

/** The password of user `edge` on the `auth` listener: odd characters on purpose (BC-28). */
export const TEST_USER = 'edge'
export const TEST_PASSWORD = 'Pa&ss#w0rd:+%x'

export interface Mosquitto {
  host: '127.0.0.1'
  ports: { plain: number; auth: number; tls: number }
  /** PEM of the CA that signed the server certificate. */
  caFile: string
  /** PEM of an unrelated CA. */
  wrongCaFile: string
  dir: string
  /** The broker's log so far (stderr), for failure messages. */
  log(): string
  stop(): Promise<void>
}

const BINARIES = ['mosquitto', 'mosquitto_passwd', 'mosquitto_sub', 'openssl'] as const

/** The binaries missing from PATH (empty when the broker can run). */
export function missingMosquittoBinaries(): string[] {
  return BINARIES.filter((b) => !onPath(b))
}

function onPath(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' })
    return true
  } catch {
    // Debian installs mosquitto in /usr/sbin, which a non-root PATH may lack.
    try {
      execFileSync('test', ['-x', `/usr/sbin/${bin}`], { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
}

function bin(name: string): string {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim()
  } catch {
    return `/usr/sbin/${name}`
  }
}

/**
 * Whether the mosquitto tests can run. With `CI` set, a missing peer is an error (the test fails);
 * elsewhere the caller skips with a loud warning.
 */
export function mosquittoPeer(): { ok: true } | { ok: false; reason: string } {
  const missing = missingMosquittoBinaries()
  if (missing.length === 0) return { ok: true }
  const reason = `mosquitto tests need ${missing.join(', ')} (apt-get install mosquitto mosquitto-clients openssl)`
  if (process.env.CI) throw new Error(`CI is set and ${reason}`)
  console.warn(`\n*** SKIPPING mosquitto tests: ${reason} ***\n`)
  return { ok: false, reason }
}

/** A free TCP port on 127.0.0.1 (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

function openssl(dir: string, args: string[]): void {
  execFileSync(bin('openssl'), args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Writes ca.crt/ca.key, server.crt/server.key (signed by the CA) and wrong-ca.crt into `dir`. */
export function makeCertificates(dir: string): void {
  const days = ['-days', '2']
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', ...days, '-subj', '/CN=edge-ddns test CA'])
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'wrong-ca.key', '-out', 'wrong-ca.crt', ...days, '-subj', '/CN=unrelated CA'])
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'])
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n')
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', ...days, '-extfile', 'ext.cnf'])
}

/** Resolves once `port` accepts a TCP connection; rejects after `timeoutMs` or when `proc` exits. */
async function waitForPort(port: number, proc: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`mosquitto exited (${proc.exitCode ?? proc.signalCode}) before listening:\n${log()}`)
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port })
      s.once('connect', () => {
        s.destroy()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms:\n${log()}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** Starts a broker with the three listeners described above. */
export async function startMosquitto(): Promise<Mosquitto> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-mosquitto-'))
  makeCertificates(dir)
  execFileSync(bin('mosquitto_passwd'), ['-b', '-c', join(dir, 'passwd'), TEST_USER, TEST_PASSWORD], { stdio: 'ignore' })
  const ports = { plain: await freePort(), auth: await freePort(), tls: await freePort() }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  const conf = [
    'per_listener_settings true',
    // As root mosquitto switches to the `mosquitto` user, which cannot read this 0700 directory.
    ...(isRoot ? ['user root'] : []),
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    '',
    `listener ${ports.plain} 127.0.0.1`,
    'allow_anonymous true',
    '',
    `listener ${ports.auth} 127.0.0.1`,
    'allow_anonymous false',
    `password_file ${join(dir, 'passwd')}`,
    '',
    `listener ${ports.tls} 127.0.0.1`,
    'allow_anonymous true',
    `cafile ${join(dir, 'ca.crt')}`,
    `certfile ${join(dir, 'server.crt')}`,
    `keyfile ${join(dir, 'server.key')}`,
    '',
  ].join('\n')
  writeFileSync(join(dir, 'mosquitto.conf'), conf)
  const proc = spawn(bin('mosquitto'), ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString('utf8')
  })
  const log = (): string => stderr
  try {
    for (const p of Object.values(ports)) await waitForPort(p, proc, 10_000, log)
  } catch (err) {
    proc.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    throw err
  }
  return {
    host: '127.0.0.1',
    ports,
    caFile: join(dir, 'ca.crt'),
    wrongCaFile: join(dir, 'wrong-ca.crt'),
    dir,
    log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise<void>((r) => proc.once('exit', () => r()))
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 3000)
        await exited
        clearTimeout(t)
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Reads one retained message with the real command-line client: `mosquitto_sub -C 1 -W 3`.
 * Returns the payload, or undefined when nothing retained arrived within 3 s.
 */
export function mosquittoSubOne(port: number, topic: string): string | undefined {
  try {
    return execFileSync(bin('mosquitto_sub'), ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-C', '1', '-W', '3'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).replace(/\n$/, '')
  } catch {
    return undefined
  }
}

