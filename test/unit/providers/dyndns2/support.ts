import type { Ctx } from '../../../../src/context.js'
import { DEFAULT_TIMEOUTS } from '../../../../src/context.js'
import { createDnsClient } from '../../../../src/dns/client.js'
import { createHttpClient } from '../../../../src/net/http.js'
import type { Change, Current, ParsedEntry, ProviderDef, RecordRef } from '../../../../src/providers/types.js'
import { memoryLogger, type LogLevel } from '../../../../src/report/log.js'
import { Redactor } from '../../../../src/report/redact.js'

/**
 * Shared builders for the push-only provider tests (dyndns2, noip, dynu, he, namecheap, duckdns,
 * desec): a run context with the real HTTP and DNS clients (short timeouts, fake clock), and
 * parsing through a provider definition as the config stage does.
 */

/** A Ctx with real clients, a memory logger (debug unless asked) and a fresh redactor. */
export function pushCtx(opts: { level?: LogLevel; now?: number } = {}): Ctx & { lines: string[] } {
  const redactor = new Redactor()
  const log = memoryLogger(redactor, opts.level ?? 'debug')
  const timeouts = { ...DEFAULT_TIMEOUTS, httpMs: 5_000, dnsMs: 500, dnsRetries: 0 }
  const ctx: Ctx = {
    signal: new AbortController().signal,
    http: createHttpClient({ timeoutMs: timeouts.httpMs }),
    dns: createDnsClient(timeouts),
    log,
    redactor,
    now: () => opts.now ?? Date.UTC(2026, 5, 1),
    timeouts,
  }
  return Object.assign(ctx, { lines: log.lines })
}

/** What parsing one entry gave: the result, the secrets it registered, the warnings it made. */
export interface Parsed<S> {
  parsed: ParsedEntry<S>
  settings: S
  secrets: string[]
  warnings: string[]
}

/** Parses `keys` with `def` at `domains[0]`, registering secrets with `ctx`'s redactor when given. */
export function parseWith<S>(def: ProviderDef<S>, keys: Record<string, unknown>, ctx?: Ctx): Parsed<S> {
  const secrets: string[] = []
  const warnings: string[] = []
  const parsed = def.parse(keys, 'domains[0]', {
    secret: (s) => {
      secrets.push(s)
      ctx?.redactor.add(s)
    },
    warn: (w) => warnings.push(w),
  })
  return { parsed, settings: parsed.settings, secrets, warnings }
}

export const A = (fqdn: string): RecordRef => ({ fqdn, type: 'A' })
export const AAAA = (fqdn: string): RecordRef => ({ fqdn, type: 'AAAA' })

export const present = (...values: string[]): Current => ({ kind: 'present', values, via: 'dns test' })
export const absent: Current = { kind: 'absent', via: 'dns test' }

/** A Change to `value`; by default the record held another value. */
export function change(ref: RecordRef, value: string, current: Current = present(ref.type === 'A' ? '192.0.2.1' : '2001:db8::1'), create = false): Change {
  return { ref, value, current, create }
}

/** The fake BC-28 credential: every character that breaks a naive URL or Basic header. */
export const NASTY = 'Ab&c#d$e%f:g+h'
/** NASTY as application/x-www-form-urlencoded encodes it. */
export const NASTY_ENCODED = 'Ab%26c%23d%24e%25f%3Ag%2Bh'
