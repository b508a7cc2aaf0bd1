import type { Ctx } from '../context.js'
import { EdgeError, toEdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'
import { checkAddress } from './classify.js'
import { detectViaDns } from './dns.js'
import { detectViaHttp } from './http.js'
import { detectViaInterface, systemReaders, type InterfaceReaders } from './interface.js'
import { detectViaNetifd, runUbus, type UbusRunner } from './netifd.js'
import { sourceLabel } from './presets.js'
import { ipv, notesOf, notServed, type SourceResult } from './source.js'
import type { Addresses, AddressPolicy, DetectConfig, FamilyResult, SourceAttempt, SourceSpec } from './types.js'

/**
 * Detection: per family, the configured sources in order; the first valid address wins.
 *
 * Families run concurrently and independently, so a dead IPv6 path (no route, a server that never
 * answers) costs IPv4 nothing beyond its own timeouts (BC-18). Every address, whatever the source,
 * passes `checkAddress` with the address policy (BC-13, BC-17). One source failing, even with a
 * bug, never stops the others.
 *
 * Log lines (stable wording):
 * - `info: IPv4 address 192.0.2.10 from dns:opendns`
 * - `warn: IPv4 source http:ipify failed: HTTP 403 from api.ipify.org: error code: 1034`
 * - `warn: no IPv6 address: every source failed`
 */

/** Local readers the interface and netifd sources use; the real ones by default. */
export interface SourceDeps {
  interfaces?: InterfaceReaders
  ubus?: UbusRunner
}

/** Options of `detectAddresses`. */
export interface DetectOptions {
  /** Ask every source and record every attempt (the `detect` command); the first valid still wins. */
  all?: boolean
  deps?: SourceDeps
}

/** Whether `spec` has anything to ask for `family`. */
export function servesFamily(spec: SourceSpec, family: Family): boolean {
  if (spec.kind === 'dns') return spec.server[family] !== undefined
  if (spec.kind === 'http') return spec.url[family] !== undefined
  return true
}

/**
 * Asks one source for one family's address and checks it against the policy.
 * @returns the canonical address and notes.
 * @throws EdgeError from the source or from `checkAddress`.
 */
export async function askSource(
  spec: SourceSpec,
  family: Family,
  ctx: Ctx,
  policy: AddressPolicy,
  deps: SourceDeps = {},
): Promise<SourceResult> {
  if (!servesFamily(spec, family)) throw notServed(family)
  let r: SourceResult
  switch (spec.kind) {
    case 'dns':
      r = await detectViaDns(spec, family, ctx)
      break
    case 'http':
      r = await detectViaHttp(spec, family, ctx)
      break
    case 'interface':
      r = detectViaInterface(spec, family, policy, deps.interfaces ?? systemReaders)
      break
    case 'netifd':
      r = await detectViaNetifd(spec, family, policy, { timeoutMs: ctx.timeouts.httpMs, signal: ctx.signal }, deps.ubus ?? runUbus)
      break
  }
  const address = checkAddress(r.address, family, policy)
  return r.notes?.length ? { address, notes: r.notes } : { address }
}

async function detectFamily(cfg: DetectConfig, family: Family, ctx: Ctx, opts: DetectOptions): Promise<FamilyResult> {
  const result: FamilyResult = { family, attempts: [] }
  const sources = cfg.sources[family] ?? []
  for (const spec of sources) {
    const source = sourceLabel(spec)
    if (!servesFamily(spec, family)) {
      ctx.log.debug(`${ipv(family)} source ${source} skipped: it does not serve ${ipv(family)}`)
      if (opts.all) result.attempts.push({ source, error: notServed(family) })
      continue
    }
    if (ctx.signal.aborted && !opts.all) {
      const error = new EdgeError('transient', 'aborted (run deadline reached)', { code: 'ABORT_ERR' })
      result.attempts.push({ source, error })
      ctx.log.warn(`${ipv(family)} source ${source} failed: ${error.message}`)
      break
    }
    const attempt: SourceAttempt = { source }
    try {
      const r = await askSource(spec, family, ctx, cfg.policy, opts.deps)
      attempt.address = r.address
      if (r.notes?.length) attempt.notes = r.notes
    } catch (e) {
      attempt.error = toEdgeError(e)
      const notes = notesOf(e)
      if (notes?.length) attempt.notes = notes
      const hint = attempt.error.hint ? ` (${attempt.error.hint})` : ''
      ctx.log.warn(`${ipv(family)} source ${source} failed: ${attempt.error.message}${hint}`)
    }
    result.attempts.push(attempt)
    if (attempt.address !== undefined && result.address === undefined) {
      result.address = attempt.address
      result.source = source
      ctx.log.info(`${ipv(family)} address ${attempt.address} from ${source}`)
      if (!opts.all) break
    } else if (attempt.address !== undefined) {
      ctx.log.debug(`${ipv(family)} source ${source} also gave ${attempt.address}`)
    }
  }
  if (result.address === undefined) {
    if (result.attempts.length === 0) ctx.log.warn(`no ${ipv(family)} address: no source configured for ${ipv(family)}`)
    else ctx.log.warn(`no ${ipv(family)} address: every source failed`)
  }
  return result
}

/**
 * The position in `r.attempts` of the attempt whose address `r` chose, or -1 when none was chosen.
 *
 * Two sources may carry the same label (two custom DNS sources on one server, the same preset
 * listed twice), so the chosen source is known by its position, never by its label. The first
 * attempt that gave an address is the one `detectFamily` chose: later ones are recorded only
 * with `all`, and only after the choice.
 */
export function chosenAttempt(r: FamilyResult | undefined): number {
  if (r?.address === undefined) return -1
  return r.attempts.findIndex((a) => a.address !== undefined)
}

/**
 * Detects the address of each family in `families`.
 *
 * @param cfg the `[detect]` config: ordered sources per family and the address policy.
 * @param ctx gives the DNS and HTTP clients, the logger, the timeouts and the run's abort signal.
 * @param opts `all: true` asks every source and records each attempt (the `detect` command).
 * @returns one FamilyResult per family asked; `address` is absent when no source gave a valid one.
 *   Never throws for a source's failure: each is recorded in `attempts` and logged.
 */
export async function detectAddresses(cfg: DetectConfig, families: Family[], ctx: Ctx, opts: DetectOptions = {}): Promise<Addresses> {
  const unique = [...new Set(families)]
  const results = await Promise.all(unique.map((f) => detectFamily(cfg, f, ctx, opts)))
  const out: Addresses = {}
  for (const r of results) out[r.family] = r
  return out
}
