import { randomBytes } from 'node:crypto'
import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import type { RunSummary } from '../summary.js'
import { openLink, seconds, endpointOf, type MqttLink } from './client.js'
import type { MqttConfig } from './config.js'
import { buildDiscovery, buildState, type DiscoveryMessage, type MqttState, type RecordKey } from './discovery.js'
import {
  AVAILABLE,
  NOT_AVAILABLE,
  UPDATE_COMMAND,
  agentTopics,
  discoveryTopic,
  isOwnDiscoveryTopic,
  recordObjectId,
  type AgentTopics,
} from './topics.js'

/**
 * Publishing a run to MQTT: Home Assistant discovery configs, the state, the availability.
 *
 * Failure policy: MQTT is a report. Nothing here throws or waits past its budget: a dead broker,
 * a refused login, a broker that accepts TCP and never answers, a bad TLS file — each ends as
 * `{ ok: false, error }` within `connect_timeout + publish_timeout + 1 s`, is logged once (warn; error
 * when `[mqtt] required`), and the DNS work and its exit code stay as they are unless
 * `required = true` (`--mqtt-required`), see `exitCodeWithMqtt`.
 *
 * Availability: the daemon (`openMqttSession`) registers `<base>/availability = offline`
 * (retained) as its last will in the CONNECT, publishes `online` after each CONNACK and `offline`
 * when closed. A oneshot run registers no will: its connection lives for well under a second and
 * ends with DISCONNECT, which makes the broker discard a will anyway; a will would only fire when a
 * run is cut off mid-publish and would then mark a healthy agent offline until the next run. It
 * publishes `online` (retained) and relies on the configs' `expire_after`: when runs stop arriving,
 * Home Assistant shows the entities unavailable after `expire_after` seconds.
 *
 * Clearing removed records: before publishing discovery, the agent subscribes for a moment to its
 * own discovery topics (`<prefix>/+/<node_id>/+/config`) and its state topic. The broker sends back
 * every retained config this agent published before, then a marker message the agent publishes to
 * `<base>/sync` (the broker delivers in order), so the agent knows it has seen them all. Any config
 * not in the current set gets an empty retained message, which removes the entity from Home
 * Assistant. The broker is the record of what was published, so this works without a state
 * directory, after a state directory was lost, and after switching from daemon to oneshot (the
 * button goes). `previousRecords`, when the caller knows them, are cleared as well, for brokers
 * whose ACL forbids reading the discovery topics.
 */

/** What a run publishes. */
export interface RunInput {
  summary: RunSummary
  /** Every record the config owns now (each gets a sensor). */
  records: RecordKey[]
  /** Records published by an earlier run (from the state dir); those not in `records` are cleared. */
  previousRecords?: RecordKey[]
}

/** Who is publishing. */
export interface PublishOptions {
  /** `daemon` adds the button and leaves out `expire_after`. */
  mode: 'oneshot' | 'daemon'
  /** From `resolveDeviceId`. */
  deviceId: string
  /** The host name (device name and default base topic). */
  hostname: string
  /** Project page for the discovery `origin` block, when known. */
  supportUrl?: string
}

/** Result of a publish. Never a thrown error. */
export interface PublishResult {
  ok: boolean
  error?: EdgeError
  /** Discovery topics emptied because their entity is gone. */
  cleared?: string[]
}

/** Milliseconds a graceful DISCONNECT may take before the socket is destroyed. */
const END_GRACE_MS = 1000
/** Upper bound for reading back retained configs (within the publish budget). */
const READ_BACK_MS = 1500

/**
 * The process exit code once MQTT is taken into account: unchanged, except that a failed publish
 * turns 0 into 1 when `[mqtt] required = true` (`--mqtt-required`).
 */
export function exitCodeWithMqtt(exitCode: number, cfg: Pick<MqttConfig, 'required'>, result: PublishResult | undefined): number {
  if (exitCode === 0 && cfg.required && result !== undefined && !result.ok) return 1
  return exitCode
}

/** The client id: `[mqtt] client_id`, else one derived from the agent id (a oneshot adds a random part
 * so that it never takes over the daemon's session: the broker would drop the daemon and fire its will). */
export function clientIdFor(cfg: Pick<MqttConfig, 'clientId'>, topics: AgentTopics, mode: 'oneshot' | 'daemon'): string {
  if (cfg.clientId !== undefined) return cfg.clientId
  // At most 23 characters: the length every MQTT 3.1.1 broker must accept (§3.1.3.1).
  return mode === 'daemon' ? `edge-ddns-${topics.agentId}` : `edge-ddns-${topics.agentId.slice(0, 8)}-${randomBytes(2).toString('hex')}`
}

/**
 * Connects, publishes one run (discovery configs retained, then the state, then `online`) and
 * disconnects. Never throws; resolves within `connect_timeout + publish_timeout + 1 s`, sooner when
 * `ctx.signal` aborts. Logs its outcome once.
 */
export async function publishRun(cfg: MqttConfig, run: RunInput, ctx: Ctx, opts: PublishOptions): Promise<PublishResult> {
  const endpoint = endpointOf(cfg)
  const connectMs = cfg.connectTimeoutSec * 1000
  const publishMs = cfg.publishTimeoutSec * 1000
  let link: MqttLink | undefined
  let connecting: Promise<MqttLink> | undefined
  let finished = false
  try {
    if (ctx.signal.aborted) throw abortedError()
    const topics = agentTopics(cfg, opts.deviceId, opts.hostname)
    const clientId = clientIdFor(cfg, topics, opts.mode)
    ctx.log.debug(`mqtt: connecting to ${endpoint} as ${clientId}`)
    const opening = openLink(cfg, { clientId, connectTimeoutMs: connectMs + END_GRACE_MS, reconnectPeriodMs: 0 })
    connecting = opening
    opening.then(
      (l) => {
        link = l
      },
      () => {},
    )
    const connectDone = async (): Promise<MqttLink> => {
      const l = await opening
      await l.ready
      return l
    }
    const l = await within(connectDone(), connectMs, () => noConnack(endpoint, connectMs), ctx.signal)
    const published = await within(
      publishAll(l, cfg, topics, run, opts, ctx, { force: true, previousState: undefined, publishedConfigs: undefined }),
      publishMs,
      () => new EdgeError('transient', `mqtt: publishing to ${endpoint} took longer than ${seconds(publishMs)}`),
      ctx.signal,
    )
    await l.end(END_GRACE_MS)
    finished = true
    ctx.log.info(
      `mqtt: published the state${cfg.discovery ? ` and ${published.configs} discovery configs` : ''} to ${endpoint} (${topics.base})`,
    )
    return { ok: true, cleared: published.cleared }
  } catch (err) {
    const error = redacted(toEdgeError(err), ctx)
    logFailure(cfg, ctx, error)
    return { ok: false, error }
  } finally {
    if (!finished) {
      if (link) await link.end(0)
      // The budget may end while the link is still being opened: close it once it exists.
      else void connecting?.then((l) => l.end(0)).catch(() => {})
    }
  }
}

/** What `publishAll` published. */
interface Published {
  configs: number
  cleared: string[]
  state: MqttState
}

/** Per-connection memory of a session (empty for a oneshot). */
interface LinkMemory {
  /** Publish every discovery config even if unchanged. */
  force: boolean
  /** The last state published by this process. */
  previousState: MqttState | undefined
  /** Discovery topic → payload published on this connection. */
  publishedConfigs: Map<string, string> | undefined
}

/**
 * Publishes one run on a connected link: read back (when discovery changed), clear, configs, state,
 * and `online`. Throws EdgeError.
 */
async function publishAll(
  link: MqttLink,
  cfg: MqttConfig,
  topics: AgentTopics,
  run: RunInput,
  opts: PublishOptions,
  ctx: Ctx,
  mem: LinkMemory,
): Promise<Published> {
  const configs: DiscoveryMessage[] = cfg.discovery
    ? buildDiscovery({
        topics,
        mode: opts.mode,
        hostname: opts.hostname,
        version: run.summary.version,
        records: run.records,
        expireAfterSec: cfg.expireAfterSec,
        ...(opts.supportUrl !== undefined ? { supportUrl: opts.supportUrl } : {}),
      })
    : []
  const payloads = new Map(configs.map((m) => [m.topic, ctx.redactor.json(m.payload, 0)]))
  const changed =
    mem.force ||
    mem.publishedConfigs === undefined ||
    mem.publishedConfigs.size !== payloads.size ||
    [...payloads].some(([t, p]) => mem.publishedConfigs?.get(t) !== p)

  let previous: { lastChange?: unknown } | undefined = mem.previousState
  const cleared: string[] = []
  const sends: Promise<void>[] = []
  if (cfg.discovery && changed) {
    const back = await readBack(link, topics, ctx)
    previous ??= back.state
    const stale = new Set(back.configs)
    for (const r of run.previousRecords ?? []) stale.add(discoveryTopic(topics, 'sensor', recordObjectId(r.name, r.type)))
    for (const t of stale) {
      if (payloads.has(t)) continue
      cleared.push(t)
      ctx.log.info(`mqtt: cleared the discovery config ${t} (no longer in the config)`)
      sends.push(link.publish(t, '', { retain: true, qos: cfg.qos }))
    }
    // Discovery configs are always retained: Home Assistant reads them again after its restart.
    for (const [t, p] of payloads) sends.push(link.publish(t, p, { retain: true, qos: cfg.qos }))
  } else if (previous === undefined) {
    previous = (await readBack(link, topics, ctx, false)).state
  }
  const state = buildState(run.summary, previous)
  sends.push(link.publish(topics.state, ctx.redactor.json(state, 0), { retain: cfg.retain, qos: cfg.qos }))
  sends.push(link.publish(topics.availability, AVAILABLE, { retain: cfg.retain, qos: cfg.qos }))
  await Promise.all(sends)
  if (mem.publishedConfigs && cfg.discovery && changed) {
    mem.publishedConfigs.clear()
    for (const [t, p] of payloads) mem.publishedConfigs.set(t, p)
  }
  mem.previousState = state
  mem.force = false
  return { configs: cfg.discovery ? payloads.size : 0, cleared, state }
}

/**
 * Reads back this agent's retained discovery configs (when `discovery`) and its retained state.
 * The broker sends retained messages right after the SUBACK; the marker published to `<base>/sync`
 * afterwards arrives after them, so its arrival means everything retained has been seen.
 * Gives up waiting after READ_BACK_MS (then clears only what it saw).
 */
async function readBack(
  link: MqttLink,
  topics: AgentTopics,
  ctx: Ctx,
  discovery = true,
): Promise<{ configs: Set<string>; state: { lastChange?: unknown } | undefined }> {
  const nonce = randomBytes(8).toString('hex')
  const configs = new Set<string>()
  let state: { lastChange?: unknown } | undefined
  let markerSeen!: () => void
  const marker = new Promise<void>((res) => {
    markerSeen = res
  })
  const off = link.onMessage((m) => {
    if (m.topic === topics.sync) {
      if (m.payload.toString('utf8') === nonce) markerSeen()
      return
    }
    if (!m.retain || m.payload.length === 0) return
    if (m.topic === topics.state) {
      try {
        const v: unknown = JSON.parse(m.payload.toString('utf8'))
        if (typeof v === 'object' && v !== null) state = v as { lastChange?: unknown }
      } catch {
        // Not ours or damaged: no last change carried over.
      }
      return
    }
    if (isOwnDiscoveryTopic(topics, m.topic)) configs.add(m.topic)
  })
  const filters = [topics.sync, topics.state, ...(discovery ? [topics.discoveryFilter] : [])]
  try {
    const granted = await link.subscribe(filters, 1)
    if (discovery && granted[2] === 128) {
      ctx.log.debug(`mqtt: the broker refused a subscription to ${topics.discoveryFilter}; removed records are cleared only from the state`)
    }
    await link.publish(topics.sync, nonce, { retain: false, qos: 1 })
    const wait = delay(READ_BACK_MS)
    const complete = await Promise.race([marker.then(() => true), wait.promise.then(() => false)])
    wait.cancel()
    if (!complete) ctx.log.debug(`mqtt: the marker on ${topics.sync} did not come back; clearing only the configs seen`)
    await link.unsubscribe(filters)
  } finally {
    off()
  }
  return { configs, state }
}

/** A long-lived connection for the daemon. */
export interface MqttSession {
  /** True while the broker connection is up. */
  readonly connected: boolean
  /**
   * Publishes a run on the open connection (discovery only when it changed since the last publish
   * on this connection). Never throws; within `publish_timeout`. When not connected, the run is kept
   * and published as soon as the connection is back; the result says `ok: false`.
   */
  publishRun(run: RunInput): Promise<PublishResult>
  /** Calls `cb` when the "Update now" button is pressed in Home Assistant; returns the remover. */
  onCommand(cb: (command: typeof UPDATE_COMMAND) => void): () => void
  /** Publishes `offline` (retained), disconnects and stops reconnecting. Never throws; bounded. */
  close(): Promise<void>
}

/** Options of `openMqttSession`. */
export interface SessionOptions {
  deviceId: string
  hostname: string
  supportUrl?: string
  /** Milliseconds between reconnection attempts; default 5000. */
  reconnectPeriodMs?: number
}

/**
 * Opens the daemon's connection: will `<base>/availability = offline` (retained) in the CONNECT,
 * `online` after every CONNACK, subscriptions to `<prefix>/status` (Home Assistant's birth message:
 * on `online` every discovery config and the state are published again, as the discovery docs ask)
 * and to `<base>/command` (the "Update now" button). Reconnects on its own.
 *
 * Never throws: waits at most `connect_timeout` for the first CONNACK, logs a failure, and returns a
 * session that keeps trying. `ctx.signal` is not used (call `close()`); `ctx.log` and `ctx.redactor` are.
 */
export async function openMqttSession(cfg: MqttConfig, ctx: Ctx, opts: SessionOptions): Promise<MqttSession> {
  const endpoint = endpointOf(cfg)
  const connectMs = cfg.connectTimeoutSec * 1000
  const publishMs = cfg.publishTimeoutSec * 1000
  const topics = agentTopics(cfg, opts.deviceId, opts.hostname)
  const pubOpts: PublishOptions = {
    mode: 'daemon',
    deviceId: opts.deviceId,
    hostname: opts.hostname,
    ...(opts.supportUrl !== undefined ? { supportUrl: opts.supportUrl } : {}),
  }
  const commandCbs = new Set<(c: typeof UPDATE_COMMAND) => void>()
  const mem: LinkMemory = { force: true, previousState: undefined, publishedConfigs: new Map() }
  let lastRun: RunInput | undefined
  let lastError: EdgeError | undefined
  let lost = false
  let closed = false

  let link: MqttLink
  try {
    link = await openLink(cfg, {
      clientId: clientIdFor(cfg, topics, 'daemon'),
      connectTimeoutMs: connectMs,
      reconnectPeriodMs: opts.reconnectPeriodMs ?? 5000,
      will: { topic: topics.availability, payload: NOT_AVAILABLE, retain: true, qos: cfg.qos },
    })
  } catch (err) {
    const error = redacted(toEdgeError(err), ctx)
    logFailure(cfg, ctx, error)
    return deadSession(error)
  }

  // One operation at a time on the link: a birth message during a publish waits its turn.
  let chain: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn)
    chain = p.catch(() => {})
    return p
  }
  const bounded = <T>(p: Promise<T>, what: string): Promise<T> =>
    within(p, publishMs, () => new EdgeError('transient', `mqtt: ${what} on ${endpoint} took longer than ${seconds(publishMs)}`))

  const onConnected = (): void => {
    if (closed) return
    mem.force = true
    mem.publishedConfigs?.clear()
    if (lastError || lost) ctx.log.info(`mqtt: connected to ${endpoint} again`)
    else ctx.log.debug(`mqtt: connected to ${endpoint}`)
    lastError = undefined
    lost = false
    void serial(() =>
      bounded(
        (async () => {
          await link.subscribe([topics.haStatus, topics.command], cfg.qos)
          await link.publish(topics.availability, AVAILABLE, { retain: true, qos: cfg.qos })
          if (lastRun) await publishAll(link, cfg, topics, lastRun, pubOpts, ctx, mem)
        })(),
        'announcing',
      ),
    ).catch((err) => ctx.log.warn(redacted(toEdgeError(err), ctx).message))
  }
  // Refused credentials (the CONNACK) and unusable TLS files stay wrong until the config changes
  // (SIGHUP opens a new session): stop trying instead of hammering the broker.
  let stopped = false
  const stopIfPermanent = (e: EdgeError): boolean => {
    const permanent = e.kind === 'config' || (e.kind === 'auth' && typeof e.code === 'number')
    if (permanent && !stopped) {
      stopped = true
      ctx.log.error('mqtt: not reconnecting until the config changes')
      void link.end(0)
    }
    return permanent
  }
  link.onConnect(onConnected)
  link.onClose(() => {
    if (closed) return
    lost = true
    ctx.log.warn(`mqtt: lost the connection to ${endpoint}; reconnecting every ${seconds(opts.reconnectPeriodMs ?? 5000)}`)
  })
  link.onError((e) => {
    if (closed) return
    const error = redacted(e, ctx)
    if (lastError?.message !== error.message) logFailure(cfg, ctx, error)
    else ctx.log.debug(error.message)
    lastError = error
    stopIfPermanent(error)
  })
  let republishPending = false
  link.onMessage((m) => {
    if (closed) return
    const text = m.payload.toString('utf8')
    if (m.topic === topics.haStatus) {
      if (text.trim() !== 'online' || !lastRun) return
      // At most one re-publish waits at a time: a flood of birth messages (a restart loop, or
      // anyone with publish rights) must not queue thousands of publishes ahead of a cycle's.
      if (republishPending) return
      republishPending = true
      ctx.log.info('mqtt: Home Assistant is online; publishing discovery again')
      const run = lastRun
      void serial(() => {
        republishPending = false
        mem.force = true
        // The newest run by the time the queue reaches this re-publish.
        return bounded(publishAll(link, cfg, topics, lastRun ?? run, pubOpts, ctx, mem), 'publishing discovery')
      }).catch((err) => ctx.log.warn(redacted(toEdgeError(err), ctx).message))
    } else if (m.topic === topics.command) {
      if (m.retain) {
        // A retained command would fire at every reconnection: drop it from the broker.
        if (m.payload.length > 0) void link.publish(topics.command, '', { retain: true, qos: cfg.qos }).catch(() => {})
        return
      }
      if (text !== UPDATE_COMMAND) {
        ctx.log.warn(`mqtt: ignored an unknown command on ${topics.command} (expected "${UPDATE_COMMAND}")`)
        return
      }
      ctx.log.info('mqtt: "Update now" pressed')
      for (const cb of [...commandCbs]) {
        try {
          cb(UPDATE_COMMAND)
        } catch (err) {
          ctx.log.error(`mqtt: command handler failed: ${toEdgeError(err).message}`)
        }
      }
    }
  })

  try {
    await within(link.ready, connectMs, () => noConnack(endpoint, connectMs))
  } catch (err) {
    const error = redacted(toEdgeError(err), ctx)
    if (lastError?.message !== error.message) logFailure(cfg, ctx, error)
    lastError = error
    if (!stopIfPermanent(error)) ctx.log.info(`mqtt: retrying every ${seconds(opts.reconnectPeriodMs ?? 5000)}`)
  }

  return {
    get connected() {
      return !closed && link.connected
    },
    async publishRun(run) {
      lastRun = run
      if (closed) return { ok: false, error: new EdgeError('transient', 'mqtt: the session is closed') }
      if (!link.connected) {
        const why = lastError ? ` (${lastError.message})` : ''
        return { ok: false, error: new EdgeError('transient', `mqtt: not connected to ${endpoint}${why}; the run will be published on reconnection`) }
      }
      try {
        const p = await serial(() => bounded(publishAll(link, cfg, topics, run, pubOpts, ctx, mem), 'publishing'))
        ctx.log.debug(`mqtt: published the run to ${endpoint} (${topics.base})`)
        return { ok: true, cleared: p.cleared }
      } catch (err) {
        const error = redacted(toEdgeError(err), ctx)
        logFailure(cfg, ctx, error)
        return { ok: false, error }
      }
    },
    onCommand(cb) {
      commandCbs.add(cb)
      return () => commandCbs.delete(cb)
    },
    async close() {
      if (closed) return
      closed = true
      commandCbs.clear()
      try {
        if (link.connected) {
          await within(
            chain.then(() => link.publish(topics.availability, NOT_AVAILABLE, { retain: true, qos: cfg.qos })),
            publishMs,
            () => new EdgeError('transient', `mqtt: publishing offline to ${endpoint} took longer than ${seconds(publishMs)}`),
          )
        }
      } catch (err) {
        ctx.log.warn(redacted(toEdgeError(err), ctx).message)
      }
      await link.end(END_GRACE_MS)
    },
  }
}

/** A session that could not even start (an unreadable TLS file): every publish reports why. */
function deadSession(error: EdgeError): MqttSession {
  return {
    connected: false,
    publishRun: async () => ({ ok: false, error }),
    onCommand: () => () => {},
    close: async () => {},
  }
}

function noConnack(endpoint: string, ms: number): EdgeError {
  return new EdgeError('transient', `mqtt: no answer (CONNACK) from ${endpoint} within ${seconds(ms)}`)
}

function abortedError(): EdgeError {
  return new EdgeError('transient', 'mqtt: not published: the run was aborted')
}

function logFailure(cfg: MqttConfig, ctx: Ctx, error: EdgeError): void {
  const line = `${error.message}${error.hint ? ` (${error.hint})` : ''}`
  if (cfg.required) ctx.log.error(line)
  else ctx.log.warn(line)
}

/** The error with its message passed through the Redactor (a last guard: messages carry no secret). */
function redacted(e: EdgeError, ctx: Ctx): EdgeError {
  const msg = ctx.redactor.redact(e.message)
  if (msg === e.message) return e
  return new EdgeError(e.kind, msg, { retryable: e.retryable, code: e.code, hint: e.hint, retryAfterSec: e.retryAfterSec })
}

/** `p`, or a rejection with `onTimeout()` after `ms`, or with an abort error when `signal` aborts. */
function within<T>(p: Promise<T>, ms: number, onTimeout: () => EdgeError, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError())
    const onAbort = (): void => {
      cleanup()
      reject(abortedError())
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(onTimeout())
    }, ms)
    const cleanup = (): void => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    p.then(
      (v) => {
        cleanup()
        resolve(v)
      },
      (e: unknown) => {
        cleanup()
        reject(e)
      },
    )
  })
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined
  const promise = new Promise<void>((res) => {
    timer = setTimeout(res, ms)
  })
  return { promise, cancel: () => clearTimeout(timer) }
}
