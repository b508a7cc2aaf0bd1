import { execFile } from 'node:child_process'
import { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'
import { checkAddress, parseAddress, specialRange } from './classify.js'
import { attachNotes, ipv, type SourceResult } from './source.js'
import type { AddressPolicy, NetifdSourceSpec } from './types.js'

/**
 * The `netifd` source (OpenWrt): the addresses netifd holds for a logical interface, from
 * `ubus call network.interface.<name> status` (https://openwrt.org/docs/techref/ubus, section
 * "network.interface"). The answer is a JSON object with, among others:
 * - `up` (boolean);
 * - `ipv4-address`: `[{ "address": "198.51.100.23", "mask": 24 }]`;
 * - `ipv6-address`: `[{ "address": "2001:db8::1", "mask": 64, "preferred": 3600, "valid": 7200 }]`;
 * - `ipv6-prefix`: the prefixes delegated to the router, `[{ "address": "2001:db8:100::", "mask": 56, … }]`.
 *
 * Delegated prefixes are reported as notes (the `detect` command prints them); they are not an
 * address of the router. An IPv6 address whose preferred lifetime is 0 is deprecated and skipped.
 */

/** Runs `ubus` with arguments and returns its stdout; injectable for tests. */
export type UbusRunner = (args: string[], opts: { timeoutMs: number; signal?: AbortSignal }) => Promise<string>

/** The real runner: `ubus` from PATH through execFile (no shell). */
export const runUbus: UbusRunner = (args, opts) =>
  new Promise((resolve, reject) => {
    execFile(
      'ubus',
      args,
      { timeout: opts.timeoutMs, maxBuffer: 1 << 20, encoding: 'utf8', ...(opts.signal ? { signal: opts.signal } : {}) },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stderr: String(stderr ?? '') }))
        else resolve(String(stdout))
      },
    )
  })

/** What the source reads from one status answer. */
export interface NetifdStatus {
  up: boolean
  ipv4: string[]
  /** IPv6 addresses with their preferred lifetime in seconds, when given. */
  ipv6: { address: string; preferred?: number }[]
  /** Delegated prefixes, `2001:db8:100::/56`. */
  prefixes: string[]
}

function list(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []
}

/**
 * Reads the parts of a `network.interface.<name> status` answer this source uses.
 * @throws EdgeError kind `protocol` when the text is not a JSON object.
 */
export function parseNetifdStatus(text: string, name: string): NetifdStatus {
  let j: unknown
  try {
    j = JSON.parse(text)
  } catch {
    throw new EdgeError('protocol', `ubus status of ${name} is not JSON`, { retryable: false })
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    throw new EdgeError('protocol', `ubus status of ${name} is not a JSON object`, { retryable: false })
  }
  const o = j as Record<string, unknown>
  const addr = (x: Record<string, unknown>): string | undefined => (typeof x.address === 'string' ? x.address : undefined)
  return {
    up: o.up === true,
    ipv4: list(o['ipv4-address']).map(addr).filter((a): a is string => a !== undefined),
    ipv6: list(o['ipv6-address'])
      .filter((x) => typeof x.address === 'string')
      .map((x) => (typeof x.preferred === 'number' ? { address: x.address as string, preferred: x.preferred } : { address: x.address as string })),
    prefixes: list(o['ipv6-prefix'])
      .filter((x) => typeof x.address === 'string' && typeof x.mask === 'number')
      .map((x) => `${x.address as string}/${x.mask as number}`),
  }
}

/**
 * Asks netifd for this family's address of interface `spec.name`.
 *
 * @param timeoutMs limit for the ubus call, in milliseconds.
 * @returns the first acceptable address (checked against `policy`), with notes: the delegated
 *   prefixes, and the addresses passed over.
 * @throws EdgeError kind `detect` when ubus is missing (not OpenWrt), netifd does not know the
 *   interface, the interface is down, or no address is acceptable; kind `transient` on a timeout
 *   or another ubus failure; kind `protocol` when the answer is not JSON.
 */
export async function detectViaNetifd(
  spec: NetifdSourceSpec,
  family: Family,
  policy: AddressPolicy,
  opts: { timeoutMs: number; signal?: AbortSignal },
  run: UbusRunner = runUbus,
): Promise<SourceResult> {
  const name = spec.name
  let out: string
  try {
    out = await run(['call', `network.interface.${name}`, 'status'], opts)
  } catch (e) {
    throw ubusError(e, name, opts.timeoutMs)
  }
  const st = parseNetifdStatus(out, name)
  const notes = st.prefixes.map((p) => `delegated prefix ${p}`)
  if (!st.up) throw attachNotes(new EdgeError('detect', `netifd interface ${name} is down`, { retryable: true, code: 'DOWN' }), notes)
  const skipped: string[] = []
  const ok: string[] = []
  const candidates = family === 4 ? st.ipv4.map((address) => ({ address, preferred: undefined as number | undefined })) : st.ipv6
  for (const c of candidates) {
    const a = parseAddress(c.address, family)
    if (a === null) continue
    if (c.preferred === 0) {
      skipped.push(`${a} is deprecated (preferred lifetime 0)`)
      continue
    }
    const range = specialRange(a, family)
    if (range?.cidr === 'fe80::/10' || range?.cidr === '169.254.0.0/16') {
      skipped.push(`${a} is ${range.reason}`)
      continue
    }
    try {
      ok.push(checkAddress(a, family, policy))
    } catch (e) {
      skipped.push((e as Error).message.replace(/, not a public address$/, ''))
    }
  }
  // A private address the policy allows never beats a public one.
  const best = ok.find((a) => specialRange(a, family)?.group !== 'private') ?? ok[0]
  if (best !== undefined) {
    const also = ok.filter((a) => a !== best)
    const all = [...notes, ...skipped.map((s) => `skipped ${s}`), ...(also.length ? [`also on ${name}: ${also.join(', ')}`] : [])]
    return all.length ? { address: best, notes: all } : { address: best }
  }
  const what = skipped.length ? `no public ${ipv(family)} address on ${name}: ${skipped.join('; ')}` : `no ${ipv(family)} address on ${name}`
  throw attachNotes(new EdgeError('detect', what, { retryable: true, code: 'NO_ADDRESS' }), notes)
}

function ubusError(e: unknown, name: string, timeoutMs: number): EdgeError {
  const x = e as { code?: string | number; killed?: boolean; signal?: string; stderr?: string; name?: string }
  if (x.code === 'ENOENT') {
    return new EdgeError('detect', 'ubus not found: the netifd source works only on OpenWrt', {
      retryable: false,
      code: 'ENOENT',
      hint: 'use an interface, dns or http source on this system',
    })
  }
  if (x.name === 'AbortError' || x.code === 'ABORT_ERR') {
    return new EdgeError('transient', `ubus call network.interface.${name} status: aborted (run deadline reached)`, { code: 'ABORT_ERR' })
  }
  if (x.killed || x.signal === 'SIGTERM') {
    return new EdgeError('transient', `ubus call network.interface.${name} status: no answer within ${timeoutMs} ms`, { code: 'ETIMEDOUT' })
  }
  const stderr = (x.stderr ?? '').trim().split('\n')[0] ?? ''
  // ubus exits with the UBUS_STATUS code: 4 is UBUS_STATUS_NOT_FOUND.
  if (x.code === 4 || /not found/i.test(stderr)) {
    return new EdgeError('detect', `netifd has no interface named ${name} (ubus: ${stderr || 'Not found'})`, {
      retryable: false,
      code: 'NOT_FOUND',
      hint: 'use the logical interface name from /etc/config/network, e.g. wan or wan6',
    })
  }
  return new EdgeError('transient', `ubus call network.interface.${name} status failed${stderr ? `: ${stderr}` : ''}`, {
    code: typeof x.code === 'number' || typeof x.code === 'string' ? x.code : undefined,
    cause: e,
  })
}
