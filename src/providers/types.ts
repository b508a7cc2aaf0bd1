import type { Ctx } from '../context.js'
import type { EdgeError } from '../errors.js'
import type { Table } from '../config/fields.js'

/** The record types edge-ddns manages. */
export type RecordType = 'A' | 'AAAA'

/** Address family of a record type: A → 4, AAAA → 6. */
export type Family = 4 | 6

/** One record the config owns: a name (FQDN, lower case, no trailing dot) and a type. */
export interface RecordRef {
  /** Fully qualified name without the trailing dot, e.g. `home.example.com`; the apex is the zone name. */
  fqdn: string
  type: RecordType
  /** The zone the record belongs to, when the provider works per zone (`example.com`). */
  zone?: string
}

/**
 * What the provider holds now for one record.
 * `absent` is a fact (empty listing, NXDOMAIN); a failed lookup is `failed`, never `absent` (BC-34).
 * `via` says how it was read (`api`, `dns <server>`), for the log.
 */
export type Current =
  | { kind: 'present'; values: string[]; via?: string; meta?: unknown }
  | { kind: 'absent'; via?: string; meta?: unknown }
  | { kind: 'failed'; error: EdgeError }

/** One write the reconciler asks for: set `ref` to exactly `value`. */
export interface Change {
  ref: RecordRef
  /** The address to publish. */
  value: string
  /** What `read` returned for this record (carries provider ids and fields to keep, in `meta`). */
  current: Current
  /** True when the entry says `create = true` and the record is absent. */
  create: boolean
}

/** What happened to one record in one run. */
export type OutcomeStatus = 'updated' | 'created' | 'unchanged' | 'missing' | 'failed' | 'skipped'

/** The result for one record. */
export interface Outcome {
  ref: RecordRef
  status: OutcomeStatus
  /** The value now published (updated, created, unchanged) or desired (missing, failed). */
  value?: string
  /** Values before the change, when known. */
  previous?: string[]
  /** Set when status is `failed` (and for `skipped`, the reason). */
  error?: EdgeError
  /** Non-fatal remarks (the provider echoed another address, ...). */
  warnings?: string[]
}

/** A provider instance built from one validated `[[domains]]` entry. */
export interface Provider {
  /**
   * Reads the current value of each ref, in the order given. A zone-wide failure marks every ref
   * of that zone `failed`; it does not throw. One call per zone where the API allows.
   */
  read(refs: RecordRef[], ctx: Ctx): Promise<Current[]>
  /**
   * Writes the given changes, and only those; keeps TTL, proxied, comments and other fields it was
   * not asked to change. Returns one Outcome per change, in order; one failing change never stops
   * the others.
   */
  write(changes: Change[], ctx: Ctx): Promise<Outcome[]>
}

/** Documentation of one provider key, for `edge-ddns providers`, `check` and the README table. */
export interface KeyDoc {
  key: string
  required: boolean
  secret?: boolean
  doc: string
}

/** What one provider can do, for the README table and the planner. */
export interface Capabilities {
  /** How the current value is read: through the provider's API, or by a DNS query. */
  read: 'api' | 'dns'
  ipv6: boolean
  /** v4 and v6 go in one request. */
  dualStackOneRequest: boolean
}

/** The result of validating a provider's part of a `[[domains]]` entry. */
export interface ParsedEntry<S> {
  settings: S
  /** The records this entry owns, per family it manages (types follow from `ip_types`). */
  names: string[]
  /** The zone, when the provider has one. */
  zone?: string
  /**
   * Identifies the account (provider + endpoint + user, never the secret itself) so that state
   * and rate limits are kept per account.
   */
  account: string
}

/** Context given to `parse`: registers secrets so they are redacted everywhere. */
export interface ParseCtx {
  secret(value: string): void
  warn(msg: string): void
}

/** One provider type, as listed in the registry. */
export interface ProviderDef<S = unknown> {
  /** The `type` value in a `[[domains]]` entry. */
  name: string
  /** One line for `edge-ddns providers`. */
  summary: string
  /** API documentation page the implementation follows. */
  docs: string
  keys: KeyDoc[]
  capabilities: Capabilities
  /**
   * TTLs the provider accepts, in seconds; `auto` is the value meaning "provider's automatic TTL"
   * (Cloudflare: 1). The config stage rejects a `ttl` outside this before any network call (BC-09).
   * Absent: the provider takes no TTL, and a `ttl` key is a config error.
   */
  ttl?: { min: number; max: number; auto?: number }
  /**
   * Validates the provider-specific keys of a `[[domains]]` entry (the common keys `type`,
   * `ip_types`, `create`, `ttl` are removed before). Rejects unknown keys.
   * @throws ConfigError naming the key path (`domains[0].zone`).
   */
  parse(entry: Table, path: string, ctx: ParseCtx): ParsedEntry<S>
  /**
   * Builds the provider for one entry; must not do I/O. `families` are the families the entry
   * manages (a protocol that deletes what it is not sent, like deSEC's, must preserve the others).
   */
  create(settings: S, opts: { ttl?: number; families?: Family[] }): Provider
}
