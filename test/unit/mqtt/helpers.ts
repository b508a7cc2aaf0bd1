import type { Ctx } from '../../../src/context.js'
import { DEFAULT_TIMEOUTS } from '../../../src/context.js'
import { memoryLogger } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'
import type { RunSummary } from '../../../src/report/summary.js'
import type { ParseCtx } from '../../../src/providers/types.js'

/** A Ctx for MQTT tests: memory logger at debug, a Redactor, no HTTP/DNS (MQTT uses neither). */
export function mqttCtx(secrets: string[] = [], signal: AbortSignal = new AbortController().signal): Ctx & { lines: string[] } {
  const redactor = new Redactor()
  for (const s of secrets) redactor.add(s)
  const log = memoryLogger(redactor, 'debug')
  const ctx: Ctx = {
    signal,
    http: undefined as never,
    dns: undefined as never,
    log,
    redactor,
    now: () => Date.parse('2026-11-29T12:00:00Z'),
    timeouts: DEFAULT_TIMEOUTS,
  }
  return Object.assign(ctx, { lines: log.lines })
}

/** A ParseCtx recording secrets and warnings. */
export function parseCtx(): ParseCtx & { secrets: string[]; warnings: string[] } {
  const secrets: string[] = []
  const warnings: string[] = []
  return { secrets, warnings, secret: (v) => secrets.push(v), warn: (m) => warnings.push(m) }
}

/** A run summary with two records: one updated, one failed; IPv6 not detected. */
export function sampleSummary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    version: '1.2.3',
    time: '2026-11-29T12:00:00.000Z',
    durationMs: 412,
    detected: {
      ipv4: { address: '192.0.2.10', source: 'opendns' },
      ipv6: { error: 'ipify: timeout after 10 s' },
    },
    records: [
      {
        name: 'home.example.com',
        type: 'A',
        provider: 'cloudflare',
        entry: 'domains[0]',
        status: 'updated',
        value: '192.0.2.10',
        previous: ['198.51.100.7'],
      },
      {
        name: 'vpn.example.com',
        type: 'A',
        provider: 'cloudflare',
        entry: 'domains[0]',
        status: 'failed',
        value: '192.0.2.10',
        error: 'cloudflare: HTTP 403 from api.cloudflare.com: Invalid token',
      },
    ],
    counts: { updated: 1, created: 0, unchanged: 0, missing: 0, failed: 1, skipped: 0 },
    ok: false,
    exitCode: 1,
    ...over,
  }
}
