import { sha256Hex } from '../sha256.js'
import type { DomainEntry } from '../config/types.js'
import { EdgeError } from '../errors.js'
import type { Outcome, RecordRef } from '../providers/types.js'
import type { Redactor } from '../report/redact.js'
import type { Action } from '../reconcile/plan.js'
import { canonicalAddress } from '../reconcile/plan.js'
import type { LogLine } from '../reconcile/outcome.js'
import { missingAt, recordLabel } from '../reconcile/outcome.js'
import { backoffMs, classifyFailure, DEFAULT_HOLD_MS } from './backoff.js'
import type { StateSettings } from './config.js'
import { iso, type RecordState, type StateStore } from './state.js'

/**
 * State-aware planning: before the reconciler reads anything, decide per record whether the
 * provider needs to be asked at all; after it ran, record what happened.
 *
 * Gate, in order (the first that applies wins):
 * 1. stopped (`block`) and the entry's config is unchanged → no call, failed;
 *    config changed → the stop is lifted and the record goes on;
 * 2. its provider account is on hold (429 Retry-After) → no call, failed;
 * 3. backing off after failures → no call, failed;
 * 3b. the provider had no such record at the last read, the entry does not create records, that
 *    read is less than `verify_every` old, and it was made for the same address and an unchanged
 *    entry (config and secrets) → no call, missing: a fact, not a failure, so no back-off; read
 *    again after `verify_every` (the user may have created it meanwhile), at once when the entry
 *    or the address changed;
 * 4. the address equals the last one the provider was known to hold, and
 *    `force_update_after` has passed since the last write → call, and write even if equal;
 * 5. push-only provider (`capabilities.read = 'dns'`), same address, last push succeeded →
 *    no call: a DNS answer may lag behind a push for the TTL, and pushing the same address again
 *    is what dyndns2 providers punish as abuse (BC-05);
 * 6. same address, verified less than `verify_every` ago → no call at all (BC-05);
 * 7. otherwise → call (read, then write if needed).
 * A record whose family has no address this run always goes to the reconciler, which skips it
 * without a call (BC-12).
 */

/** Per-record decision. */
export type Gate =
  | { kind: 'call'; force: boolean }
  | { kind: 'skip'; outcome: Outcome; action: Action; line: LogLine; key: string }

/** Hashes that tell whether an entry's config changed since a record was stopped. */
export interface EntryFingerprint {
  configHash: string
  secretHash: string
}

/**
 * Hashes of one entry: sha256 of its non-secret settings (secrets replaced by `***`), and sha256
 * of the per-install salt with its secrets. Secrets are the values the Redactor knows. The salt
 * keeps the stored hash from being a cheap test for a guessed password.
 * @returns 16 hex digits each.
 */
export function entryFingerprint(entry: DomainEntry, redactor: Redactor, salt: string): EntryFingerprint {
  const secrets: string[] = []
  const strip = (v: unknown): unknown => {
    if (typeof v === 'string') {
      if (redactor.redact(v) !== v) {
        secrets.push(v)
        return '***'
      }
      return v
    }
    if (Array.isArray(v)) return v.map(strip)
    if (typeof v === 'object' && v !== null) {
      const o: Record<string, unknown> = {}
      for (const k of Object.keys(v).sort()) o[k] = strip((v as Record<string, unknown>)[k])
      return o
    }
    return v
  }
  const shape = { type: entry.type, families: entry.families, create: entry.create, ttl: entry.ttl ?? null, settings: strip(entry.settings) }
  const h = (s: string): string => sha256Hex(s).slice(0, 16)
  return { configHash: h(JSON.stringify(shape)), secretHash: h(`${salt}\u0000${secrets.join('\u0000')}`) }
}

/** What the gate needs besides the record. */
export interface GateCtx {
  store: StateStore
  policy: StateSettings
  now: number
  redactor: Redactor
  /** Lazily computed per entry. */
  fingerprint(): EntryFingerprint
  /** Logs a line about a record (the caller thins out repeats). */
  say(key: string, line: LogLine): void
}

/** The same address, however written; equal text first, as it is on almost every cycle (canonicalising an IPv6 address parses a URL). */
function sameAddress(a: string, b: string): boolean {
  return a === b || canonicalAddress(a) === canonicalAddress(b)
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000))
  if (s < 90) return `${s}s`
  if (s < 5400) return `${Math.round(s / 60)}m`
  if (s < 172_800) return `${Math.round(s / 3600)}h`
  return `${Math.round(s / 86_400)}d`
}

/**
 * True while the 'missing' answer in the state was given for this same entry and address: the
 * user who fixes the entry (zone, base URL, credentials) after a 'missing' expects the next cycle
 * to look, not an hour later; another address is asked about too. A 'missing' noted without
 * what it was for (older state files) does not count.
 */
function missingStill(rec: RecordState, desired: string, g: GateCtx): boolean {
  const m = rec.missingFor
  if (!m || !sameAddress(m.value, desired)) return false
  const fp = g.fingerprint()
  return fp.configHash === m.configHash && fp.secretHash === m.secretHash
}

/** Decides whether `ref` (desired address `desired`) needs the provider this run. */
export function gateRecord(entry: DomainEntry, ref: RecordRef, key: string, desired: string, g: GateCtx): Gate {
  const { store, policy, now } = g
  const rec = store.get(key)
  const label = recordLabel({ ref })
  const fail = (error: EdgeError, text: string): Gate => ({
    kind: 'skip',
    key,
    outcome: { ref, status: 'failed', value: desired, error },
    action: { kind: 'fail', ref, value: desired, error },
    line: { level: 'warn', text: `${label}: ${text}` },
  })
  // An account hold covers every record of the account, also one the state has not seen yet.
  const held = store.holdOf(entry.account, now)
  if (held) {
    const msg = `held: no call to ${entry.type} before ${iso(held.until)} (${held.reason})`
    return fail(new EdgeError('ratelimit', msg, { retryAfterSec: Math.ceil((held.until - now) / 1000) }), msg)
  }
  if (!rec) return { kind: 'call', force: false }

  if (rec.blocked) {
    const fp = g.fingerprint()
    if (fp.configHash === rec.blocked.configHash && fp.secretHash === rec.blocked.secretHash) {
      const b = rec.blocked
      const msg = `stopped since ${iso(b.at)} after: ${b.message}; change this entry in the config (or run once with --force) to try again`
      return fail(new EdgeError(b.kind === 'ratelimit' ? 'provider' : (b.kind as EdgeError['kind']), msg, { retryable: false, ...(b.code !== undefined ? { code: b.code } : {}) }), msg)
    }
    const what = fp.secretHash !== rec.blocked.secretHash ? 'its credentials changed' : 'its config changed'
    g.say(key, { level: 'info', text: `${label}: ${what} since it was stopped (${rec.blocked.kind}); trying again` })
    delete rec.blocked
    rec.failures = 0
    delete rec.retry
    store.set(key, rec)
  }

  if (rec.retry !== undefined && rec.retry > now) {
    const msg = `backing off until ${iso(rec.retry)} after ${rec.failures} failure${rec.failures === 1 ? '' : 's'}${rec.error ? `: ${rec.error}` : ''}`
    return fail(new EdgeError('transient', msg, { retryAfterSec: Math.ceil((rec.retry - now) / 1000) }), msg)
  }

  if (rec.missing !== undefined && !entry.create && now >= rec.missing && now - rec.missing < policy.verifyEveryMs && missingStill(rec, desired, g)) {
    return {
      kind: 'skip',
      key,
      outcome: { ref, status: 'missing', value: desired },
      action: { kind: 'missing', ref, value: desired, current: { kind: 'absent', via: 'state' } },
      // Worded without a time: the daemon repeats a line only when its text changes.
      line: { level: 'warn', text: `${label}: missing: ${missingAt(entry.type, entry.def.capabilities.read)} when last read (set create = true to create it)` },
    }
  }

  const same = rec.failures === 0 && rec.value !== undefined && sameAddress(rec.value, desired)
  if (!same) return { kind: 'call', force: false }

  if (policy.forceUpdateAfterMs !== undefined) {
    const base = rec.written ?? rec.seen ?? rec.verified
    if (base !== undefined && now - base >= policy.forceUpdateAfterMs) {
      g.say(key, { level: 'info', text: `${label}: last written ${ago(now - base)} ago; writing ${desired} again (force_update_after)` })
      return { kind: 'call', force: true }
    }
  }

  const keep = (why: string): Gate => ({
    kind: 'skip',
    key,
    outcome: { ref, status: 'unchanged', value: desired, previous: [rec.value ?? desired] },
    action: { kind: 'keep', ref, value: desired, current: { kind: 'present', values: [rec.value ?? desired], via: 'state' } },
    line: { level: 'debug', text: `${label}: unchanged ${desired} (${why}; no provider call)` },
  })
  if (entry.def.capabilities.read === 'dns' && (rec.written !== undefined || rec.verified !== undefined)) {
    return keep(`pushed ${rec.written !== undefined ? `${ago(now - rec.written)} ago` : 'before'}, push-only provider`)
  }
  if (rec.verified !== undefined && now - rec.verified < policy.verifyEveryMs) return keep(`verified ${ago(now - rec.verified)} ago`)
  return { kind: 'call', force: false }
}

/** What `noteResult` needs besides the record. */
export interface NoteCtx {
  store: StateStore
  policy: StateSettings
  now: number
  redactor: Redactor
  random: () => number
  fingerprint(): EntryFingerprint
  say(key: string, line: LogLine): void
}

/**
 * Records in the state what happened to a record the reconciler handled: a success resets the
 * failures and marks it verified; a failure is classified (backoff.ts) into a back-off, a hold on
 * the provider account, or a stop until the config changes. A record the provider does not have
 * (and the entry does not create) is noted as missing: no failure, no back-off. A record skipped
 * for want of an address, or a dry run, changes nothing.
 */
export function noteResult(entry: DomainEntry, ref: RecordRef, key: string, action: Action | undefined, o: Outcome, n: NoteCtx): void {
  const { store, now } = n
  if (o.status === 'skipped') return
  const label = recordLabel({ ref })
  const rec: RecordState = store.get(key) ?? {
    provider: entry.type,
    account: entry.account,
    ...(ref.zone !== undefined ? { zone: ref.zone } : {}),
    name: ref.fqdn,
    type: ref.type,
    failures: 0,
  }
  rec.provider = entry.type
  rec.answered = now
  // Whatever the provider answered now replaces what an earlier read said about the record.
  delete rec.missing
  delete rec.missingFor
  const success = (value: string, wrote: boolean): void => {
    if (rec.value === undefined || !sameAddress(rec.value, value)) {
      // The first value read is a sighting, not a change (`edge-ddns status` tells them apart);
      // a write, or a read showing another value than the known one, is a change.
      if (wrote || rec.value !== undefined) rec.changed = now
      rec.value = value
      rec.seen = now
    }
    rec.verified = now
    rec.failures = 0
    delete rec.retry
    delete rec.error
    delete rec.blocked
  }
  switch (o.status) {
    case 'updated':
    case 'created': {
      const value = o.value ?? (action && 'value' in action ? action.value : undefined)
      if (value === undefined) break
      rec.answer = o.status === 'created' ? `created ${value}` : `updated ${o.previous?.join(', ') ?? '?'} -> ${value}`
      success(value, true)
      rec.written = now
      break
    }
    case 'unchanged': {
      if (o.value === undefined) break
      rec.answer = `unchanged ${o.value}`
      success(o.value, false)
      break
    }
    case 'missing': {
      // The provider answered, and holds nothing there: the end of any run of failures, no value.
      rec.answer = n.redactor.redact(`missing: ${missingAt(entry.type, entry.def.capabilities.read)}`)
      rec.missing = now
      const asked = o.value ?? (action && 'value' in action ? action.value : undefined)
      if (asked !== undefined) {
        const fp = n.fingerprint()
        rec.missingFor = { value: asked, configHash: fp.configHash, secretHash: fp.secretHash }
      }
      rec.failures = 0
      delete rec.value
      delete rec.verified
      delete rec.retry
      delete rec.error
      delete rec.blocked
      break
    }
    case 'failed': {
      const error = o.error ?? new EdgeError('provider', 'failed')
      const text = n.redactor.redact(error.message)
      rec.answer = `failed: ${text}`
      rec.error = text
      rec.failures += 1
      // A failed write may still have reached the provider: read before trusting `value` again.
      delete rec.verified
      const cls = classifyFailure(error)
      if (cls === 'block') {
        const fp = n.fingerprint()
        rec.blocked = {
          kind: error.kind,
          ...(error.code !== undefined ? { code: String(error.code) } : {}),
          message: text,
          at: now,
          configHash: fp.configHash,
          secretHash: fp.secretHash,
        }
        delete rec.retry
        n.say(key, { level: 'error', text: `${label}: stopped: no more calls for this record until its entry in the config changes (${error.kind}${error.code !== undefined ? ` ${String(error.code)}` : ''})` })
        break
      }
      let wait = backoffMs(rec.failures, n.policy.backoffMaxMs, n.random)
      const asked = retryAfterMs(error.retryAfterSec)
      if (asked !== undefined && asked > wait) wait = asked
      if (cls === 'hold') {
        const holdMs = asked ?? DEFAULT_HOLD_MS
        store.setHold(entry.account, { provider: entry.type, until: now + holdMs, reason: text })
        wait = Math.max(wait, holdMs)
      }
      rec.retry = now + wait
      n.say(key, { level: 'info', text: `${label}: next attempt not before ${iso(rec.retry)}` })
      break
    }
  }
  store.set(key, rec)
}

/**
 * Longest hold-off a provider's answer can impose, in milliseconds. A `Retry-After` of years (or
 * 1e20 seconds, which made the date invalid and the state unsavable) would silence a record for
 * good; a day is longer than any documented limit window and still comes back by itself.
 */
export const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000

/** A provider's retry-after in milliseconds, clamped to [0, MAX_RETRY_AFTER_MS]; undefined when absent or not a number. */
export function retryAfterMs(sec: number | undefined): number | undefined {
  if (sec === undefined || !Number.isFinite(sec) || sec < 0) return undefined
  return Math.min(sec * 1000, MAX_RETRY_AFTER_MS)
}
