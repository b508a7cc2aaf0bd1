import type { DnsClient } from './dns/types.js'
import type { HttpClient } from './net/http.js'
import type { Logger } from './report/log.js'
import type { Redactor } from './report/redact.js'

/** Timeouts of one run, in milliseconds (the config gives seconds). */
export interface Timeouts {
  /** One HTTP request, whole; default 10 000. */
  httpMs: number
  /** One DNS query attempt; default 2 000. */
  dnsMs: number
  /** Retries of a DNS query after a timeout; default 1. */
  dnsRetries: number
  /** The whole run; default 30 000. */
  runMs: number
}

export const DEFAULT_TIMEOUTS: Timeouts = { httpMs: 10_000, dnsMs: 2_000, dnsRetries: 1, runMs: 30_000 }

/**
 * What every stage after the config gets injected. Nothing after the config stage reads
 * `process.env` or `process.argv`, and nothing prints except through `log` and `report/`.
 */
export interface Ctx {
  /** Aborted when the run deadline passes or the daemon is told to stop. */
  signal: AbortSignal
  http: HttpClient
  dns: DnsClient
  log: Logger
  redactor: Redactor
  /** Milliseconds since the epoch (a fake clock in tests). */
  now(): number
  timeouts: Timeouts
}
