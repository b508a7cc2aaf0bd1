import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, constants, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { EdgeError } from '../errors.js'
import type { RecordRef, RecordType } from '../providers/types.js'
import type { Logger } from '../report/log.js'

/**
 * The state file: what edge-ddns knows about each record between runs, so that an unchanged
 * address costs no provider call (BC-05) and holds survive restarts.
 *
 * One JSON file, `<dir>/state.json`, mode 0600 in a 0700 directory, written atomically (a temp
 * file in the same directory, fsync, rename: a reader or a crash sees the old file or the new
 * one, never half of one). It is versioned (`format`, `version`); a file that is not JSON, not
 * ours, or from a newer version is renamed aside (`state.json.bad-<time>`) with a warning and
 * edge-ddns starts with an empty state: never fatal.
 *
 * Records are keyed by provider account + zone + name + type, so two configs sharing a directory
 * never share entries. Secrets are never stored: a stopped record keeps a hash of its entry's
 * non-secret settings and a salted hash of its secrets, to notice a change (see policy.ts).
 *
 * File layout (times ISO 8601 UTC):
 * ```json
 * { "format": "edge-ddns-state", "version": 1, "written": "…", "salt": "<hex>",
 *   "records": { "<account>|<zone>|<name>|<type>": { "provider": "cloudflare", "value": "192.0.2.10",
 *       "changed": "…", "written": "…", "verified": "…", "seen": "…", "missing": "…",
 *       "missing_for": { "value": "192.0.2.10", "config_hash": "…", "secret_hash": "…" }, "answer": "updated 198.51.100.1 -> 192.0.2.10",
 *       "answered": "…", "failures": 0, "retry": "…", "error": "…", "blocked": { … } } },
 *   "holds": { "<account>": { "provider": "cloudflare", "until": "…", "reason": "…" } },
 *   "mqtt_records": [{ "name": "home.example.com", "type": "A" }] }
 * ```
 */

/** File name inside the state directory. */
export const STATE_FILE = 'state.json'
/** The `format` marker of our file. */
export const STATE_FORMAT = 'edge-ddns-state'
/** Current layout version; a newer one is set aside, never misread. */
export const STATE_VERSION = 1

/** A record stopped after a permanent refusal (auth, abuse, …) until its config changes. */
export interface RecordBlock {
  /** Error kind (`auth`, `forbidden`, …). */
  kind: string
  /** Provider code (`abuse`, `badauth`, 9109, …), when there was one. */
  code?: string
  /** The provider's answer, redacted. */
  message: string
  /** When it was stopped (ms since the epoch). */
  at: number
  /** sha256 of the entry's non-secret settings (hex, 16 digits). */
  configHash: string
  /** sha256 of the per-install salt and the entry's secrets (hex, 16 digits). */
  secretHash: string
}

/**
 * The address and entry a 'missing' answer was given for: a changed entry (a fixed zone, base
 * URL or credentials) or another address is asked about again rather than answered from the state.
 */
export interface MissingFor {
  /** The address edge-ddns wanted to publish then. */
  value: string
  /** `configHash` of the entry then (policy.ts `entryFingerprint`). */
  configHash: string
  /** `secretHash` of the entry then. */
  secretHash: string
}

/** What is known about one record. Times are milliseconds since the epoch. */
export interface RecordState {
  /** Provider type of the entry that owns it (`cloudflare`). */
  provider: string
  account: string
  zone?: string
  name: string
  type: RecordType
  /** The address the provider is known to hold: last published or last read back. */
  value?: string
  /**
   * When edge-ddns last saw `value` change: its own write, or a read showing another address
   * than the known one. Not set when the first value is read (that is `seen`). State files
   * written before this distinction set it then too, equal to `seen`.
   */
  changed?: number
  /** Last successful write by edge-ddns. */
  written?: number
  /** Last time the provider confirmed `value` (a read that showed it, or a successful write). */
  verified?: number
  /** When `value` was first recorded (the keep-alive base when edge-ddns never wrote it). */
  seen?: number
  /**
   * When the last answer said the provider has no such record (and the entry does not create
   * it): a fact, not a failure. Cleared by any later answer.
   */
  missing?: number
  /** What that answer was given for; the state answers 'missing' only while all of it still holds. */
  missingFor?: MissingFor
  /** The last provider answer, one line, redacted (`unchanged 192.0.2.10`, `failed: …`). */
  answer?: string
  answered?: number
  /** Failures in a row (reset by a success). */
  failures: number
  /** No call for this record before this time (back-off). */
  retry?: number
  /** The last failure, redacted. */
  error?: string
  blocked?: RecordBlock
}

/** No call to a provider account before `until` (a 429 with Retry-After, a "too frequent"). */
export interface AccountHold {
  provider: string
  until: number
  reason: string
}

/** A record as MQTT last published it (to clear removed ones). */
export interface PublishedRecord {
  name: string
  type: RecordType
}

/** The key of a record: account, zone, name and type. */
export function recordKey(account: string, ref: RecordRef): string {
  return `${account}|${ref.zone ?? ''}|${ref.fqdn}|${ref.type}`
}

/** File operations the store uses; the real ones by default (tests inject failures). */
export interface StateFs {
  readFile(path: string): string
  /** Writes `text` to `path` (created 0600), fsyncs and closes it. */
  writeFileSync(path: string, text: string): void
  rename(from: string, to: string): void
  unlink(path: string): void
}

const realFs: StateFs = {
  readFile: (p) => readFileSync(p, 'utf8'),
  writeFileSync: (p, text) => {
    // A leftover temp file of a crashed run is removed first; the new one is created exclusively
    // and never through a symlink, so a file planted in the directory cannot redirect the write.
    try {
      unlinkSync(p)
    } catch {
      // None there: the usual case.
    }
    const fd = openSync(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  },
  rename: (a, b) => renameSync(a, b),
  unlink: (p) => unlinkSync(p),
}

/**
 * Creates the state directory (0700) if needed, and narrows a group- or world-accessible one
 * that this user owns (systemd creates StateDirectory= 0755 unless told otherwise).
 * @throws EdgeError kind `config` naming the directory when it cannot be created or is no directory.
 */
export function ensureStateDir(dir: string, log?: Logger): void {
  try {
    makeDirs(dir)
    const st = statSync(dir)
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' })
    // A directory another user owns could be theirs to plant files in (OpenWrt's /tmp is shared):
    // the state, the salt and the pid file live only in a directory of our own.
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
      throw Object.assign(new Error(`owned by uid ${st.uid}, not this user (uid ${process.getuid()})`), { code: 'EOWNER' })
    }
    if ((st.mode & 0o077) !== 0 && typeof process.getuid === 'function' && st.uid === process.getuid()) {
      chmodSync(dir, 0o700)
      log?.debug(`state: narrowed the permissions of ${dir} to 0700`)
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    const why = code === 'EOWNER' ? (e as Error).message : code
    throw new EdgeError('config', `state directory ${dir} cannot be used (${why})`, {
      retryable: false,
      hint: 'set another with --state-dir or [state] dir, or create it writable for this user',
      cause: e,
    })
  }
}

/**
 * `mkdir -p` one level at a time. Node's own recursive mkdir loops forever (at full CPU, deaf to
 * SIGTERM) on a path like `/proc/nope`, where the kernel answers ENOENT below an existing parent.
 */
function makeDirs(dir: string): void {
  const missing: string[] = []
  let cur = resolve(dir)
  while (!existsSync(cur)) {
    missing.unshift(cur)
    const up = dirname(cur)
    if (up === cur) break
    cur = up
  }
  for (const d of missing) mkdirSync(d, { mode: 0o700 })
}

/** Options of `StateStore.open`. */
export interface StateStoreOptions {
  dir: string
  log: Logger
  /** Milliseconds since the epoch, for the set-aside file name and `written`. */
  now(): number
  fs?: StateFs
  /** Look only (`edge-ddns status`): a bad file is reported, not set aside; `save()` writes nothing. */
  readOnly?: boolean
}

/**
 * The state of one directory, loaded once and kept in memory; `save()` writes it when it changed.
 * Not safe for two processes writing the same directory at once (the last writer wins): the
 * daemon's pid file and a oneshot run's lock keep every other edge-ddns out (`claimStateDir`).
 */
export class StateStore {
  readonly dir: string
  readonly file: string
  /** Per-install salt for secret hashes (hex). */
  readonly salt: string
  readonly records = new Map<string, RecordState>()
  readonly holds = new Map<string, AccountHold>()
  /** Records last published to MQTT. */
  mqttRecords: PublishedRecord[] | undefined
  /** When the loaded file was written (ms), if known. */
  readonly writtenAt: number | undefined
  /** True when the file existed and was read. */
  readonly loaded: boolean
  /** Why an existing file could not be used (`is not valid JSON`, …), if so. */
  readonly problem: string | undefined
  private readonly readOnly: boolean
  private dirty = false
  private lastSaveError: string | undefined
  private readonly fs: StateFs
  private readonly log: Logger
  private readonly now: () => number

  private constructor(opts: StateStoreOptions, data: ParsedState | undefined, problem?: string) {
    this.problem = problem
    this.readOnly = opts.readOnly ?? false
    this.dir = opts.dir
    this.file = join(opts.dir, STATE_FILE)
    this.fs = opts.fs ?? realFs
    this.log = opts.log
    this.now = opts.now
    this.loaded = data !== undefined
    this.salt = data?.salt ?? randomBytes(16).toString('hex')
    this.writtenAt = data?.written
    if (data) {
      for (const [k, v] of data.records) this.records.set(k, v)
      for (const [k, v] of data.holds) this.holds.set(k, v)
      this.mqttRecords = data.mqttRecords
    } else {
      // The salt must reach the disk with the first records it protects.
      this.dirty = true
    }
  }

  /**
   * Loads `<dir>/state.json`. A missing file is an empty state; an unreadable, corrupt, foreign
   * or newer file is renamed aside with a warning and replaced by an empty state. Never throws for
   * the file's content; the directory must exist (`ensureStateDir`).
   */
  static open(opts: StateStoreOptions): StateStore {
    const fs = opts.fs ?? realFs
    const file = join(opts.dir, STATE_FILE)
    let text: string
    try {
      text = fs.readFile(file)
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'ENOENT') return new StateStore(opts, undefined)
      const problem = `cannot be read (${code ?? 'error'})`
      opts.log.warn(`state: ${file} ${problem}; starting with an empty state`)
      return new StateStore(opts, undefined, problem)
    }
    const parsed = parseState(text)
    if ('problem' in parsed && opts.readOnly) return new StateStore(opts, undefined, parsed.problem)
    if ('problem' in parsed) {
      const aside = `${file}.bad-${stamp(opts.now())}`
      let where: string
      try {
        fs.rename(file, aside)
        where = `set aside as ${aside}`
      } catch (e) {
        where = `could not be set aside (${(e as NodeJS.ErrnoException).code ?? 'error'}); it will be replaced`
      }
      opts.log.warn(`state: ${file} ${parsed.problem}; ${where}; starting with an empty state`)
      return new StateStore(opts, undefined, parsed.problem)
    }
    if (parsed.dropped > 0) opts.log.warn(`state: ${file}: ignored ${parsed.dropped} malformed entries`)
    return new StateStore(opts, parsed)
  }

  /** The record under `key`. */
  get(key: string): RecordState | undefined {
    return this.records.get(key)
  }

  /** Stores a record (and marks the state to be written). */
  set(key: string, rec: RecordState): void {
    this.records.set(key, rec)
    this.dirty = true
  }

  /** The hold on `account` still in force at `now`, if any. */
  holdOf(account: string, now: number): AccountHold | undefined {
    const h = this.holds.get(account)
    return h && h.until > now ? h : undefined
  }

  /** Holds calls to `account` until `until` (keeps a later existing hold). */
  setHold(account: string, hold: AccountHold): void {
    const cur = this.holds.get(account)
    if (cur && cur.until >= hold.until) return
    this.holds.set(account, hold)
    this.dirty = true
  }

  /** Sets the records last published to MQTT. */
  setMqttRecords(list: PublishedRecord[]): void {
    const same = this.mqttRecords !== undefined && JSON.stringify(this.mqttRecords) === JSON.stringify(list)
    if (same) return
    this.mqttRecords = list
    this.dirty = true
  }

  /** Marks the state changed. */
  touch(): void {
    this.dirty = true
  }

  /** True when there is something to write. */
  get changed(): boolean {
    return this.dirty
  }

  /**
   * Writes the state if it changed: temp file (0600) in the same directory, fsync, rename.
   * Expired holds are dropped first. Never throws: a failure is logged (once per distinct
   * cause) and the state stays in memory, to be written by the next save.
   * @returns true when the file was written.
   */
  save(): boolean {
    const now = this.now()
    for (const [k, h] of this.holds) {
      if (h.until <= now) {
        this.holds.delete(k)
        this.dirty = true
      }
    }
    if (!this.dirty || this.readOnly) return false
    const tmp = `${this.file}.${process.pid}.tmp`
    try {
      this.fs.writeFileSync(tmp, `${JSON.stringify(this.toJSON(now), null, 1)}\n`)
      this.fs.rename(tmp, this.file)
      this.dirty = false
      if (this.lastSaveError) this.log.info(`state: written to ${this.file} again`)
      this.lastSaveError = undefined
      return true
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message
      if (this.lastSaveError !== code) this.log.error(`state: cannot write ${this.file} (${code}); keeping the state in memory`)
      this.lastSaveError = code
      try {
        this.fs.unlink(tmp)
      } catch {
        // Nothing was created, or it is already gone.
      }
      return false
    }
  }

  /** The file's JSON object. */
  toJSON(now: number = this.now()): Record<string, unknown> {
    const records: Record<string, unknown> = {}
    for (const [k, r] of [...this.records].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) records[k] = recordToJson(r)
    const holds: Record<string, unknown> = {}
    for (const [k, h] of this.holds) holds[k] = { provider: h.provider, until: iso(h.until), reason: h.reason }
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      written: iso(now),
      salt: this.salt,
      records,
      holds,
      ...(this.mqttRecords ? { mqtt_records: this.mqttRecords } : {}),
    }
  }
}

/** `2024-06-01T10:00:00.000Z`. */
export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function stamp(ms: number): string {
  return iso(ms).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

const TIME_FIELDS = ['changed', 'written', 'verified', 'seen', 'missing', 'answered', 'retry'] as const

function recordToJson(r: RecordState): Record<string, unknown> {
  const o: Record<string, unknown> = { provider: r.provider, account: r.account }
  if (r.zone !== undefined) o.zone = r.zone
  o.name = r.name
  o.type = r.type
  if (r.value !== undefined) o.value = r.value
  for (const f of TIME_FIELDS) if (r[f] !== undefined) o[f] = iso(r[f])
  if (r.answer !== undefined) o.answer = r.answer
  o.failures = r.failures
  if (r.error !== undefined) o.error = r.error
  if (r.missingFor) o.missing_for = { value: r.missingFor.value, config_hash: r.missingFor.configHash, secret_hash: r.missingFor.secretHash }
  if (r.blocked) {
    const b = r.blocked
    o.blocked = { kind: b.kind, ...(b.code !== undefined ? { code: b.code } : {}), message: b.message, at: iso(b.at), config_hash: b.configHash, secret_hash: b.secretHash }
  }
  return o
}

interface ParsedState {
  salt: string
  written?: number
  records: Map<string, RecordState>
  holds: Map<string, AccountHold>
  mqttRecords?: PublishedRecord[]
  dropped: number
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)
const time = (v: unknown): number | undefined => {
  if (typeof v !== 'string') return undefined
  const t = Date.parse(v)
  return Number.isNaN(t) ? undefined : t
}

/**
 * Parses the text of a state file.
 * @returns the state, or `{ problem }` saying why the file cannot be used (for the warning).
 */
export function parseState(text: string): ParsedState | { problem: string } {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch {
    return { problem: 'is not valid JSON' }
  }
  if (!isObj(raw) || raw.format !== STATE_FORMAT) return { problem: 'is not an edge-ddns state file' }
  if (typeof raw.version !== 'number' || !Number.isInteger(raw.version) || raw.version < 1) return { problem: 'has no valid version' }
  if (raw.version > STATE_VERSION) return { problem: `was written by a newer edge-ddns (state version ${raw.version}, this one reads ${STATE_VERSION})` }
  const salt = str(raw.salt)
  if (!salt || !/^[0-9a-f]{16,}$/.test(salt)) return { problem: 'has no valid salt' }
  const out: ParsedState = { salt, records: new Map(), holds: new Map(), dropped: 0 }
  const written = time(raw.written)
  if (written !== undefined) out.written = written
  if (isObj(raw.records)) {
    for (const [k, v] of Object.entries(raw.records)) {
      const r = recordFromJson(v)
      if (r) out.records.set(k, r)
      else out.dropped++
    }
  }
  if (isObj(raw.holds)) {
    for (const [k, v] of Object.entries(raw.holds)) {
      const until = isObj(v) ? time(v.until) : undefined
      if (isObj(v) && until !== undefined) out.holds.set(k, { provider: str(v.provider) ?? '?', until, reason: str(v.reason) ?? '' })
      else out.dropped++
    }
  }
  if (Array.isArray(raw.mqtt_records)) {
    out.mqttRecords = raw.mqtt_records.filter(
      (x): x is PublishedRecord => isObj(x) && typeof x.name === 'string' && (x.type === 'A' || x.type === 'AAAA'),
    ).map((x) => ({ name: x.name, type: x.type }))
  }
  return out
}

function recordFromJson(v: unknown): RecordState | undefined {
  if (!isObj(v)) return undefined
  const name = str(v.name)
  const account = str(v.account)
  const type = v.type === 'A' || v.type === 'AAAA' ? v.type : undefined
  if (!name || !account || !type) return undefined
  const r: RecordState = {
    provider: str(v.provider) ?? '?',
    account,
    name,
    type,
    failures: typeof v.failures === 'number' && Number.isInteger(v.failures) && v.failures >= 0 ? v.failures : 0,
  }
  const zone = str(v.zone)
  if (zone) r.zone = zone
  const value = str(v.value)
  if (value) r.value = value
  for (const f of TIME_FIELDS) {
    const t = time(v[f])
    if (t !== undefined) r[f] = t
  }
  const answer = str(v.answer)
  if (answer !== undefined) r.answer = answer
  const error = str(v.error)
  if (error !== undefined) r.error = error
  if (isObj(v.missing_for)) {
    const m = v.missing_for
    const mv = str(m.value)
    const configHash = str(m.config_hash)
    const secretHash = str(m.secret_hash)
    // Incomplete: the record is read again, which is always safe.
    if (mv && configHash && secretHash) r.missingFor = { value: mv, configHash, secretHash }
  }
  if (isObj(v.blocked)) {
    const b = v.blocked
    const at = time(b.at)
    const kind = str(b.kind)
    const configHash = str(b.config_hash)
    const secretHash = str(b.secret_hash)
    if (at !== undefined && kind && configHash && secretHash) {
      r.blocked = { kind, message: str(b.message) ?? '', at, configHash, secretHash }
      const code = str(b.code)
      if (code !== undefined) r.blocked.code = code
    }
  }
  return r
}
