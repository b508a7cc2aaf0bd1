import dgram from 'node:dgram'
import type { AddressInfo } from 'node:net'
import type { Ctx } from '../../../../src/context.js'
import { DEFAULT_TIMEOUTS } from '../../../../src/context.js'
import { EdgeError } from '../../../../src/errors.js'
import { exchange } from '../../../../src/dns/transport.js'
import type { ExchangeOptions } from '../../../../src/dns/transport.js'
import { memoryLogger } from '../../../../src/report/log.js'
import { Redactor } from '../../../../src/report/redact.js'
import { rfc2136 } from '../../../../src/providers/rfc2136/index.js'
import type { ExchangeFn, Rfc2136Settings } from '../../../../src/providers/rfc2136/index.js'
import { createRfc2136Provider } from '../../../../src/providers/rfc2136/index.js'
import type { Provider, RecordRef } from '../../../../src/providers/types.js'

/** A run context for provider tests: fake clock, memory logger, no HTTP, no DnsClient (rfc2136 uses neither). */
export function testCtx(nowMs: () => number = () => Date.now(), dnsMs = 1000): Ctx & { lines: string[] } {
  const redactor = new Redactor()
  const log = memoryLogger(redactor)
  return {
    signal: new AbortController().signal,
    http: { request: () => Promise.reject(new EdgeError('internal', 'no HTTP in rfc2136 tests')) },
    dns: { query: () => Promise.reject(new EdgeError('internal', 'rfc2136 must not use the DnsClient')) },
    log,
    redactor,
    now: nowMs,
    timeouts: { ...DEFAULT_TIMEOUTS, dnsMs, dnsRetries: 0 },
    lines: log.lines,
  }
}

/** One message sent through the counting exchange. */
export interface Sent {
  message: Buffer
  opts: ExchangeOptions
  /** DNS opcode of the message: 0 QUERY, 5 UPDATE. */
  opcode: number
}

/** The real `exchange`, recording every message (to count UPDATEs without looking at the server). */
export function countingExchange(): { exchange: ExchangeFn; sent: Sent[]; updates: () => number } {
  const sent: Sent[] = []
  return {
    sent,
    updates: () => sent.filter((s) => s.opcode === 5).length,
    exchange: (message, opts) => {
      sent.push({ message, opts, opcode: (message.readUInt16BE(2) >> 11) & 0x0f })
      return exchange(message, opts)
    },
  }
}

/** Parses an entry through the provider definition, as the config stage does; returns what it registered. */
export function parseEntry(entry: Record<string, unknown>, path = 'domains[0]') {
  const secrets: string[] = []
  const warnings: string[] = []
  const parsed = rfc2136.parse(entry, path, { secret: (s) => secrets.push(s), warn: (w) => warnings.push(w) })
  return { parsed, secrets, warnings }
}

/** Builds the provider for an entry, with a counting transport. */
export function providerFor(
  entry: Record<string, unknown>,
  ttl?: number,
): { provider: Provider; settings: Rfc2136Settings; refs: (type: 'A' | 'AAAA') => RecordRef[]; net: ReturnType<typeof countingExchange> } {
  const { parsed } = parseEntry(entry)
  const net = countingExchange()
  const provider = createRfc2136Provider(parsed.settings, ttl === undefined ? {} : { ttl }, { exchange: net.exchange })
  return {
    provider,
    settings: parsed.settings,
    refs: (type) => parsed.names.map((fqdn) => ({ fqdn, type, zone: parsed.zone! })),
    net,
  }
}

/** A UDP DNS stand-in on 127.0.0.1 answering each datagram with whatever `answer` returns (null: silence). */
export async function udpStub(answer: (msg: Buffer) => Buffer | null): Promise<{ port: number; received: Buffer[]; close: () => Promise<void> }> {
  const sock = dgram.createSocket('udp4')
  const received: Buffer[] = []
  sock.on('message', (msg, rinfo) => {
    received.push(msg)
    const out = answer(msg)
    if (out) sock.send(out, rinfo.port, rinfo.address)
  })
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', () => resolve()))
  return {
    port: (sock.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((resolve) => sock.close(() => resolve())),
  }
}
