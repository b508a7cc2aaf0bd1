import type { Ctx, Timeouts } from '../../../src/context.js'
import { createDnsClient } from '../../../src/dns/client.js'
import type { AddressPolicy } from '../../../src/detect/types.js'
import { createHttpClient, type HttpClient } from '../../../src/net/http.js'
import { memoryLogger } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'

/** A run context with the real DNS and HTTP clients (tests point them at local servers), short timeouts and an in-memory log. */
export function fakeCtx(over: { timeouts?: Partial<Timeouts>; http?: HttpClient; signal?: AbortSignal } = {}): Ctx & { lines: string[] } {
  const timeouts: Timeouts = { httpMs: 2000, dnsMs: 1000, dnsRetries: 1, runMs: 10_000, ...over.timeouts }
  const redactor = new Redactor()
  const log = memoryLogger(redactor, 'debug')
  return {
    signal: over.signal ?? new AbortController().signal,
    http: over.http ?? createHttpClient({ timeoutMs: timeouts.httpMs }),
    dns: createDnsClient(timeouts),
    log,
    redactor,
    now: () => 0,
    timeouts,
    lines: log.lines,
  }
}

export const STRICT: AddressPolicy = { allowPrivate: false, allowDocumentation: false, preferTemporary: false }
/** Tests use documentation addresses, so most of them need this. */
export const DOCS: AddressPolicy = { allowPrivate: false, allowDocumentation: true, preferTemporary: false }
