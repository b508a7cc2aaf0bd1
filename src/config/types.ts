import type { Timeouts } from '../context.js'
import type { DetectConfig } from '../detect/types.js'
import type { Family, ProviderDef, RecordRef } from '../providers/types.js'
import type { LogLevel } from '../report/log.js'

/** One validated `[[domains]]` entry. */
export interface DomainEntry {
  /** Position in the file, and its path for messages: `domains[1]`. */
  index: number
  path: string
  /** The provider type (`cloudflare`, ...). */
  type: string
  def: ProviderDef
  /** Provider-specific settings as returned by `def.parse`. */
  settings: unknown
  /** Families this entry manages (dness `ip_types`; default `["4"]`). */
  families: Family[]
  /** Create a missing record instead of reporting it missing. */
  create: boolean
  /** TTL in seconds for created records; existing records keep theirs. */
  ttl?: number
  /** Every record the entry owns: each name × each family's type. */
  records: RecordRef[]
  /** Provider account key (never a secret) for state and rate limits. */
  account: string
}

/** The whole validated config. Built only by `loadConfig`; nothing else reads the environment. */
export interface Config {
  /** The file it came from, or null when running without a config. */
  file: string | null
  /** `[log] level`; the command line's `--log-level` wins. */
  logLevel?: LogLevel
  timeouts: Timeouts
  detect: DetectConfig
  domains: DomainEntry[]
  /** Sections later issues fill in are kept as validated tables in their own modules. */
  extra: Record<string, unknown>
}
