import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import dgram from 'node:dgram'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import type { DecodedPacket, RecordType } from 'dns-packet'

/**
 * A real BIND 9 `named` for the RFC 2136 tests, on a free loopback port, with generated zones and
 * TSIG keys. Debian packages: bind9 (named), bind9-utils (tsig-keygen).
 *
 * How it runs:
 * - `named -g -c <tmp>/named.conf`: foreground, logs to stderr (kept in memory for failures), every
 *   file (config, keys, zones, journal, pid, session key, managed keys) in a fresh temp directory.
 *   Nothing system-wide is touched: the system named (if the package started one) keeps port 53,
 *   `controls { };` turns off the rndc channel (its default 127.0.0.1:953 would clash), and the
 *   port is found by binding port 0 on UDP, then the same port on TCP, and releasing both; a start
 *   that still loses the race (EADDRINUSE in the log) is retried on another port.
 * - As root, named (without `-u`) keeps uid 0 but drops capabilities, CAP_DAC_OVERRIDE among them:
 *   it cannot read a file root cannot read by owner bits (/etc/bind/rndc.key, mode 640 root:bind,
 *   shows that). Every file here is created by the test's own user with default modes, so it works
 *   as root without `-u`, and as an ordinary user too.
 * - Each start writes the zone files afresh from their text (pristine) into a new directory, so no
 *   `.jnl` journal from an earlier run replays old updates.
 * - Ready when it answers the SOA query of the first zone; stopped with SIGTERM (SIGKILL after 5 s),
 *   then the directory is removed.
 */

/** A TSIG key as named.conf and edge-ddns take it. */
export interface BindKey {
  name: string
  algorithm: 'hmac-sha1' | 'hmac-sha256' | 'hmac-sha512'
  /** Base64, as tsig-keygen prints it. */
  secret: string
}

/** A zone to serve. */
export interface BindZone {
  /** Zone name without the trailing dot, e.g. `example.test`. */
  name: string
  /** Zone file lines after the SOA and NS records, names relative to the zone (`home 300 IN A 192.0.2.1`). */
  records: string[]
  /** Key names granted `zonesub ANY` in the zone's update-policy. */
  grant: string[]
  /** Further update-policy rules, written as they are (`grant KEY name home.example.test. A AAAA;`). */
  policy?: string[]
}

/** One decoded answer record. */
export interface BindRecord {
  name: string
  type: string
  ttl: number
  data: unknown
}

/** A running named. */
export interface BindServer {
  host: '127.0.0.1'
  port: number
  /** `127.0.0.1:<port>`, as the `server` key takes it. */
  server: string
  dir: string
  /** Plain (unsigned) query over UDP; throws on timeout. */
  query(name: string, type: string): Promise<{ rcode: string; aa: boolean; answers: BindRecord[] }>
  /** The zone's SOA serial. */
  serial(zone: string): Promise<number>
  /** Everything named printed so far. */
  log(): string
  stop(): Promise<void>
}

/** Full path of an executable on PATH or in the sbin directories (named lives in /usr/sbin), or null. */
export function findBinary(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin']
  for (const d of dirs) {
    if (!d) continue
    const p = join(d, name)
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      /* not here */
    }
  }
  return null
}

/**
 * Whether named and tsig-keygen are installed. When they are not: with env CI set this throws (the
 * CI must install bind9 and bind9-utils); elsewhere it warns loudly and returns false, and the
 * caller skips its tests.
 */
export function bindAvailable(): boolean {
  const missing = ['named', 'tsig-keygen'].filter((b) => findBinary(b) === null)
  if (missing.length === 0) return true
  const msg = `BIND 9 tests need ${missing.join(' and ')} (Debian: apt-get install -y bind9 bind9-utils)`
  if (process.env.CI) throw new Error(`${msg}; CI is set, so this is a failure, not a skip`)
  console.warn(`\n!!! SKIPPING the BIND 9 tests: ${msg}\n`)
  return false
}

/**
 * Makes a key with `tsig-keygen -a ALG NAME` and reads the secret from the key statement it prints:
 * `key "NAME" { algorithm hmac-sha256; secret "BASE64"; };`.
 */
export async function generateKey(name: string, algorithm: BindKey['algorithm'] = 'hmac-sha256'): Promise<BindKey> {
  const bin = findBinary('tsig-keygen')
  if (!bin) throw new Error('tsig-keygen not found')
  const out = await new Promise<string>((resolve, reject) => {
    execFile(bin, ['-a', algorithm, name], (err, stdout) => (err ? reject(err) : resolve(stdout)))
  })
  const m = /secret\s+"([A-Za-z0-9+/=]+)"/.exec(out)
  if (!m) throw new Error(`cannot read the secret from tsig-keygen's output:\n${out}`)
  return { name, algorithm, secret: m[1]! }
}

/** Binds `port` (0: any) on UDP and TCP of 127.0.0.1 and releases both; resolves the port or rejects. */
async function tryPort(port: number): Promise<number> {
  const udp = dgram.createSocket('udp4')
  const got = await new Promise<number>((resolve, reject) => {
    udp.once('error', reject)
    udp.bind(port, '127.0.0.1', () => resolve(udp.address().port))
  })
  try {
    await new Promise<void>((resolve, reject) => {
      const tcp = net.createServer()
      tcp.once('error', reject)
      tcp.listen(got, '127.0.0.1', () => tcp.close(() => resolve()))
    })
  } finally {
    udp.close()
  }
  return got
}

/** A port free on both UDP and TCP of 127.0.0.1 (at the moment of asking). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    try {
      return await tryPort(0)
    } catch {
      /* the TCP side was taken: try another */
    }
  }
  throw new Error('no free port on 127.0.0.1 for both UDP and TCP')
}

function zoneFile(z: BindZone): string {
  return [
    '$TTL 300',
    `@ IN SOA ns.${z.name}. hostmaster.${z.name}. 1 3600 600 86400 60`,
    `@ IN NS ns.${z.name}.`,
    'ns IN A 127.0.0.1',
    ...z.records,
    '',
  ].join('\n')
}

function keyStatement(k: BindKey): string {
  return `key "${k.name}" {\n\talgorithm ${k.algorithm};\n\tsecret "${k.secret}";\n};\n`
}

function namedConf(dir: string, port: number, keys: BindKey[], zones: BindZone[]): string {
  const zoneStatements = zones.map((z) => {
    const grants = [...z.grant.map((k) => `grant ${k} zonesub ANY;`), ...(z.policy ?? [])].join(' ')
    return `zone "${z.name}" { type primary; file "${join(dir, `${z.name}.db`)}"; update-policy { ${grants} }; };`
  })
  return [
    `include "${join(dir, 'keys.conf')}";`,
    'options {',
    `\tdirectory "${dir}";`,
    `\tpid-file "${join(dir, 'named.pid')}";`,
    `\tsession-keyfile "${join(dir, 'session.key')}";`,
    `\tlisten-on port ${port} { 127.0.0.1; };`,
    '\tlisten-on-v6 { none; };',
    '\trecursion no;',
    '\tdnssec-validation no;',
    '\tnotify no;',
    '};',
    // No rndc channel: its default 127.0.0.1:953 would clash with the system named or a parallel test.
    'controls { };',
    ...zoneStatements,
    '',
  ].join('\n')
}

/** A plain query over UDP to 127.0.0.1:port, decoded by dns-packet. */
export async function udpQuery(port: number, name: string, type: string, timeoutMs = 2000): Promise<DecodedPacket> {
  const id = randomInt(0, 0x10000)
  const msg = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name, type: type as RecordType, class: 'IN' }] })
  const sock = dgram.createSocket('udp4')
  try {
    return await new Promise<DecodedPacket>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from 127.0.0.1:${port} to ${name} ${type} within ${timeoutMs} ms`)), timeoutMs)
      sock.on('error', (e) => {
        clearTimeout(timer)
        reject(e)
      })
      sock.on('message', (buf) => {
        const res = dnsPacket.decode(buf)
        if (res.id !== id) return
        clearTimeout(timer)
        resolve(res)
      })
      sock.send(msg, port, '127.0.0.1')
    })
  } finally {
    sock.close()
  }
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

/**
 * Starts named with these keys and zones (each zone file written fresh), waits until it answers
 * the first zone's SOA, and returns a handle. Retries on another port when the port was taken.
 * @throws Error with named's log when it does not come up within 10 s.
 */
export async function startBind(keys: BindKey[], zones: BindZone[]): Promise<BindServer> {
  const named = findBinary('named')
  if (!named) throw new Error('named not found')
  let lastLog = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-bind-'))
    const port = await freePort()
    writeFileSync(join(dir, 'keys.conf'), keys.map(keyStatement).join(''))
    for (const z of zones) writeFileSync(join(dir, `${z.name}.db`), zoneFile(z))
    writeFileSync(join(dir, 'named.conf'), namedConf(dir, port, keys, zones))

    let log = ''
    const child = spawn(named, ['-g', '-c', join(dir, 'named.conf')], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout?.on('data', (b: Buffer) => (log += b.toString()))
    child.stderr?.on('data', (b: Buffer) => (log += b.toString()))
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        if (!(await waitExit(child, 5000))) {
          child.kill('SIGKILL')
          await waitExit(child, 5000)
        }
      }
      rmSync(dir, { recursive: true, force: true })
    }

    const deadline = Date.now() + 10_000
    let ready = false
    while (Date.now() < deadline) {
      if (child.exitCode !== null || /address in use/i.test(log)) break
      try {
        const res = await udpQuery(port, zones[0]!.name, 'SOA', 100)
        if (res.flag_aa && (res.answers?.length ?? 0) > 0) {
          ready = true
          break
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    if (!ready) {
      lastLog = log
      await stop()
      if (/address in use/i.test(log)) continue
      throw new Error(`named did not come up on 127.0.0.1:${port}:\n${log}`)
    }

    return {
      host: '127.0.0.1',
      port,
      server: `127.0.0.1:${port}`,
      dir,
      async query(name, type) {
        const res = await udpQuery(port, name, type)
        const answers = (res.answers ?? []).map((a) => {
          const r = a as { name: string; type: string; ttl?: number; data?: unknown }
          return { name: r.name, type: r.type, ttl: r.ttl ?? 0, data: r.data }
        })
        return { rcode: (res as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR', aa: res.flag_aa === true, answers }
      },
      async serial(zone) {
        const res = await udpQuery(port, zone, 'SOA')
        const soa = res.answers?.find((a) => a.type === 'SOA') as { data: { serial: number } } | undefined
        if (!soa) throw new Error(`no SOA for ${zone}`)
        return soa.data.serial
      },
      log: () => log,
      stop,
    }
  }
  throw new Error(`named could not get a free port after 5 attempts:\n${lastLog}`)
}
