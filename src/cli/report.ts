import { hostname } from 'node:os'
import type { Config } from '../config/types.js'
import { DEFAULT_TIMEOUTS, type Ctx } from '../context.js'
import type { DnsClient } from '../dns/types.js'
import type { HttpClient } from '../net/http.js'
import type { RecordType } from '../providers/types.js'
import type { MqttConfig } from '../report/mqtt/config.js'
import type { Logger } from '../report/log.js'
import type { Redactor } from '../report/redact.js'
import type { RunSummary } from '../report/summary.js'
import type { Reporter, ReporterFactory } from '../schedule/daemon.js'
import type { StateStore } from '../schedule/state.js'

/**
 * MQTT wiring for the CLI. The MQTT code (and the mqtt library under it) is imported dynamically,
 * only when `[mqtt]` is configured: a run without it never loads or parses any of it.
 *
 * Failure policy (issue 5): MQTT is a report. A broker that is down, slow or refuses the login
 * never delays the DNS work beyond its own timeouts (`connect_timeout` + `publish_timeout`) and
 * never changes the exit code, unless `[mqtt] required = true` or `--mqtt-required`: then a failed
 * publish turns exit 0 into 1.
 */

/** The `[mqtt]` section of a config, if any. */
export function mqttOf(config: Pick<Config, 'extra'>): MqttConfig | undefined {
  return config.extra.mqtt as MqttConfig | undefined
}

/** Every record the config owns, once each, for discovery. */
export function recordKeys(config: Pick<Config, 'domains'>): { name: string; type: RecordType }[] {
  const seen = new Set<string>()
  const out: { name: string; type: RecordType }[] = []
  for (const d of config.domains) {
    for (const r of d.records) {
      const k = `${r.fqdn} ${r.type}`
      if (seen.has(k)) continue
      seen.add(k)
      out.push({ name: r.fqdn, type: r.type })
    }
  }
  return out
}

const noHttp: HttpClient = { request: () => Promise.reject(new Error('MQTT reporting makes no HTTP request')) }
const noDns: DnsClient = { query: () => Promise.reject(new Error('MQTT reporting makes no DNS query')) }

/** A Ctx for the MQTT code: its own signal (not the run's deadline) and no network clients. */
function mqttCtx(log: Logger, redactor: Redactor, now: () => number, signal: AbortSignal): Ctx {
  return { signal, http: noHttp, dns: noDns, log, redactor, now, timeouts: DEFAULT_TIMEOUTS }
}

/** What a oneshot publish needs. */
export interface OneshotReport {
  log: Logger
  redactor: Redactor
  now(): number
  store: StateStore | null
  stateDir: string | undefined
}

/**
 * Publishes one run (oneshot): discovery, state, availability. Never throws; bounded by the MQTT
 * timeouts. Returns whether it worked, or undefined when `[mqtt]` is not configured.
 */
export async function publishOneshot(config: Config, summary: RunSummary, r: OneshotReport): Promise<{ ok: boolean } | undefined> {
  const cfg = mqttOf(config)
  if (!cfg) return undefined
  try {
    const [{ publishRun }, { resolveDeviceId }] = await Promise.all([import('../report/mqtt/publish.js'), import('../report/mqtt/device.js')])
    const host = hostname()
    const device = await resolveDeviceId({ hostname: host, ...(r.stateDir ? { stateDir: r.stateDir } : {}) })
    const records = recordKeys(config)
    const previous = r.store?.mqttRecords
    const res = await publishRun(
      cfg,
      { summary, records, ...(previous ? { previousRecords: previous } : {}) },
      mqttCtx(r.log, r.redactor, r.now, new AbortController().signal),
      { mode: 'oneshot', deviceId: device.id, hostname: host },
    )
    if (res.ok && r.store) {
      r.store.setMqttRecords(records)
      r.store.save()
    }
    return { ok: res.ok }
  } catch (e) {
    r.log.warn(`mqtt: not published: ${(e as Error).message}`)
    return { ok: false }
  }
}

/**
 * The daemon's reporter factory: one long-lived MQTT session per `[mqtt]` config (last will
 * `offline`, state after every cycle, discovery again when Home Assistant comes online, the
 * "Update now" button calling `onCommand`, `offline` on close).
 */
export function mqttReporter(opts: { log: Logger; redactor: Redactor; now(): number; store: StateStore; stateDir: string }): ReporterFactory {
  return async (config, onCommand): Promise<Reporter | null> => {
    const cfg = mqttOf(config)
    if (!cfg) return null
    const [{ openMqttSession }, { resolveDeviceId }] = await Promise.all([import('../report/mqtt/publish.js'), import('../report/mqtt/device.js')])
    const host = hostname()
    const device = await resolveDeviceId({ hostname: host, stateDir: opts.stateDir })
    const session = await openMqttSession(cfg, mqttCtx(opts.log, opts.redactor, opts.now, new AbortController().signal), {
      deviceId: device.id,
      hostname: host,
    })
    const off = session.onCommand(() => onCommand())
    return {
      async publish(summary: RunSummary, current: Config) {
        const records = recordKeys(current)
        const previous = opts.store.mqttRecords
        const res = await session.publishRun({ summary, records, ...(previous ? { previousRecords: previous } : {}) })
        if (res.ok) opts.store.setMqttRecords(records)
      },
      async close() {
        off()
        await session.close()
      },
    }
  }
}
