import { readFile } from 'node:fs/promises'
import net from 'node:net'
import tls from 'node:tls'
import { PassThrough, type Duplex } from 'node:stream'
import type { IClientOptions, MqttClient } from 'mqtt'
import { EdgeError } from '../../errors.js'
import type { MqttConfig } from './config.js'

/**
 * A thin, promise-based MQTT 3.1.1 connection over TCP or TLS.
 *
 * The library is loaded lazily (a dynamic import on the first connect) and only its client class:
 * `mqtt/lib/client` with a socket built here from `node:net` / `node:tls`, so the websocket, SOCKS,
 * browser and URL-parsing parts of mqtt.js stay out of the bundle and out of start-up.
 *
 * Protocol: MQTT 3.1.1 (OASIS, 2014): CONNACK return codes in §3.2.2.3 (4 = bad user name or
 * password, 5 = not authorized), the will message in §3.1.2.5, retained messages in §3.3.1.3.
 */

/** The will message, registered in the CONNECT (MQTT 3.1.1 §3.1.2.5). */
export interface WillMessage {
  topic: string
  payload: string
  retain: boolean
  qos: 0 | 1
}

/** How to open a link. */
export interface LinkOptions {
  clientId: string
  will?: WillMessage
  /** Milliseconds from opening the socket to the CONNACK. */
  connectTimeoutMs: number
  /** Milliseconds between reconnection attempts; 0 = never reconnect (oneshot). */
  reconnectPeriodMs: number
}

/** A message received on a subscription. */
export interface ReceivedMessage {
  topic: string
  payload: Buffer
  /** Set for a retained message sent because of a new subscription. */
  retain: boolean
}

/** An open (or reconnecting) MQTT connection. Methods reject with EdgeError; none throws synchronously. */
export interface MqttLink {
  /** `host:port`, for messages. */
  readonly endpoint: string
  readonly connected: boolean
  /**
   * Resolves at the first CONNACK that accepts the connection; rejects with the first error
   * (refused, not authorised, TLS, timeout) when that comes first.
   */
  readonly ready: Promise<void>
  /** Publishes; with QoS 1 resolves at the PUBACK. Rejects when not connected. */
  publish(topic: string, payload: string, opts: { retain: boolean; qos: 0 | 1 }): Promise<void>
  /** Subscribes; resolves with the granted QoS per filter (128 = refused by the broker). */
  subscribe(filters: string[], qos: 0 | 1): Promise<number[]>
  unsubscribe(filters: string[]): Promise<void>
  /** Registers a message listener; returns its remover. */
  onMessage(cb: (m: ReceivedMessage) => void): () => void
  /** Called after every accepted CONNACK (the first and each reconnection). */
  onConnect(cb: () => void): () => void
  /** Called with each connection error after `ready` settled (reconnecting links). */
  onError(cb: (e: EdgeError) => void): () => void
  /** Called each time an accepted connection is lost (not for attempts that never connected). */
  onClose(cb: () => void): () => void
  /**
   * Sends DISCONNECT (the broker then discards the will) and closes; after `timeoutMs` the socket
   * is destroyed instead. Never rejects.
   */
  end(timeoutMs: number): Promise<void>
}

type MqttClientCtor = typeof MqttClient
let clientClass: Promise<MqttClientCtor> | undefined

/** Loads mqtt.js's client class once (dynamic import: nothing of mqtt.js runs before MQTT is used). */
export function loadClientClass(): Promise<MqttClientCtor> {
  clientClass ??= import('mqtt/lib/client').then((m) => {
    // CommonJS interop differs between Node (module.exports as `default`) and bundlers.
    const mod = m as unknown as { default?: unknown }
    const cands = [mod.default, (mod.default as { default?: unknown } | undefined)?.default, m]
    const ctor = cands.find((c) => typeof c === 'function' && typeof (c as { prototype?: { publish?: unknown } }).prototype?.publish === 'function')
    if (!ctor) throw new EdgeError('internal', 'mqtt: the mqtt library has no client class (this is a bug in edge-ddns, please report it)')
    return ctor as MqttClientCtor
  })
  return clientClass
}

/** Reads the TLS files of `[mqtt]`; a missing file is the user's error, named by its key. */
async function readTlsFiles(cfg: MqttConfig): Promise<{ ca?: Buffer; cert?: Buffer; key?: Buffer }> {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {}
  for (const k of ['ca', 'cert', 'key'] as const) {
    const p = cfg.tls[k]
    if (p === undefined) continue
    try {
      out[k] = await readFile(p)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      throw new EdgeError('config', `mqtt: cannot read the ${k} file ${p} (${code})`, { retryable: false, cause: err })
    }
  }
  return out
}

/** `host:port`, with brackets around an IPv6 address. */
export function endpointOf(cfg: Pick<MqttConfig, 'host' | 'port'>): string {
  return `${cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host}:${cfg.port}`
}

/** TLS verification error codes of node:tls (OpenSSL's X509_V_ERR names), and what they mean. */
const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
])

/**
 * Maps what mqtt.js or the socket raised to an EdgeError with a message that names the broker and
 * never the password: `mqtt: connection refused by 127.0.0.1:1883`,
 * `mqtt: not authorised (bad username or password)`, `mqtt: TLS: ...`.
 */
export function describeError(err: unknown, endpoint: string, connectTimeoutMs: number): EdgeError {
  if (err instanceof EdgeError) return err
  const e = err as { code?: unknown; message?: unknown } | undefined
  const code = typeof e?.code === 'string' || typeof e?.code === 'number' ? e.code : undefined
  const msg = typeof e?.message === 'string' ? e.message : String(err)
  // CONNACK refusals: mqtt.js sets `code` to the return code (3.1.1 §3.2.2.3).
  if (typeof code === 'number') {
    switch (code) {
      case 1:
        return new EdgeError('protocol', `mqtt: ${endpoint} refused the connection: unacceptable protocol version`, { code, retryable: false })
      case 2:
        return new EdgeError('auth', `mqtt: ${endpoint} rejected the client id (set [mqtt] client_id)`, { code, retryable: false })
      case 3:
        return new EdgeError('transient', `mqtt: ${endpoint} says the server is unavailable`, { code })
      case 4:
      case 5:
      case 134:
      case 135:
        return new EdgeError('auth', 'mqtt: not authorised (bad username or password)', {
          code,
          retryable: false,
          hint: 'check [mqtt] username and password, and that the broker listener accepts them',
        })
      default:
        return new EdgeError('protocol', `mqtt: ${endpoint} refused the connection (return code ${code})`, { code, retryable: false })
    }
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new EdgeError('transient', `mqtt: connection refused by ${endpoint}`, { code })
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new EdgeError('transient', `mqtt: cannot resolve the broker host of ${endpoint} (${code})`, { code })
    case 'ECONNRESET':
    case 'EPIPE':
      return new EdgeError('transient', `mqtt: connection reset by ${endpoint}`, { code })
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new EdgeError('transient', `mqtt: cannot reach ${endpoint} (${code})`, { code })
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return new EdgeError('auth', `mqtt: TLS: the certificate of ${endpoint} is not valid now (${code}); check the clock`, { code, retryable: false })
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new EdgeError('auth', `mqtt: TLS: the certificate of ${endpoint} does not name this host (${code})`, { code, retryable: false })
  }
  if (typeof code === 'string' && TLS_TRUST_CODES.has(code)) {
    return new EdgeError('auth', `mqtt: TLS: the certificate of ${endpoint} is not trusted (${code})`, {
      code,
      retryable: false,
      hint: "set [mqtt] ca to the file of the CA that signed the broker's certificate",
    })
  }
  if (msg === 'connack timeout') {
    return new EdgeError('transient', `mqtt: no answer (CONNACK) from ${endpoint} within ${seconds(connectTimeoutMs)}`)
  }
  if (typeof code === 'string' && (code.startsWith('ERR_OSSL') || code === 'ERR_TLS_SETUP')) {
    return new EdgeError('config', `mqtt: TLS: cannot use the [mqtt] ca/cert/key files (${code})`, {
      code,
      retryable: false,
      hint: 'they must be PEM files; cert and key must belong together',
    })
  }
  if (/TLS|SSL|certificate/i.test(msg) || (typeof code === 'string' && code.startsWith('ERR_SSL'))) {
    return new EdgeError('auth', `mqtt: TLS: handshake with ${endpoint} failed (${code ?? msg})`, { code, retryable: false })
  }
  return new EdgeError('transient', `mqtt: ${endpoint}: ${msg}${code !== undefined ? ` (${code})` : ''}`, { code })
}

/** `5 s`, `0.5 s`. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`
}

/**
 * Opens a link to the broker of `cfg`. Resolves once the library is loaded and the socket is being
 * opened (the CONNACK is awaited through `link.ready`); rejects only when a TLS file cannot be read
 * or the library cannot be loaded.
 */
export async function openLink(cfg: MqttConfig, opts: LinkOptions): Promise<MqttLink> {
  const endpoint = endpointOf(cfg)
  const files = cfg.protocol === 'mqtts' ? await readTlsFiles(cfg) : {}
  const MqttClient = await loadClientClass()

  const buildStream = (): Duplex => {
    try {
      return openSocket()
    } catch (err) {
      // tls.connect throws at once on unusable key material; mqtt.js calls this from a timer when
      // reconnecting, where a throw would end the process: hand the error over as a stream error.
      const failed = new PassThrough()
      const e = err instanceof Error ? err : new Error(String(err))
      if ((e as NodeJS.ErrnoException).code === undefined) Object.assign(e, { code: 'ERR_TLS_SETUP' })
      process.nextTick(() => failed.destroy(e))
      return failed
    }
  }
  const openSocket = (): Duplex => {
    if (cfg.protocol === 'mqtts') {
      const sock = tls.connect({
        host: cfg.host,
        port: cfg.port,
        // SNI only for names (RFC 6066 §3 forbids addresses).
        ...(net.isIP(cfg.host) === 0 ? { servername: cfg.host } : {}),
        rejectUnauthorized: cfg.tls.rejectUnauthorized,
        ...files,
      })
      sock.setNoDelay(true)
      return sock
    }
    const sock = net.createConnection({ host: cfg.host, port: cfg.port })
    sock.setNoDelay(true)
    return sock
  }

  const options: IClientOptions = {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: true,
    keepalive: cfg.keepaliveSec,
    connectTimeout: opts.connectTimeoutMs,
    reconnectPeriod: opts.reconnectPeriodMs,
    // The session subscribes again itself after each CONNACK.
    resubscribe: false,
    queueQoSZero: false,
    // mqtt.js's own debug logging stays off whatever DEBUG says.
    log: () => {},
    ...(cfg.username !== undefined ? { username: cfg.username } : {}),
    ...(cfg.password !== undefined ? { password: cfg.password } : {}),
    ...(opts.will ? { will: { topic: opts.will.topic, payload: Buffer.from(opts.will.payload), retain: opts.will.retain, qos: opts.will.qos } } : {}),
  }
  const client = new MqttClient(buildStream as never, options)

  const messageCbs = new Set<(m: ReceivedMessage) => void>()
  const connectCbs = new Set<() => void>()
  const errorCbs = new Set<(e: EdgeError) => void>()
  const closeCbs = new Set<() => void>()
  let up = false
  let settled = false
  let ending: Promise<void> | undefined
  let resolveReady!: () => void
  let rejectReady!: (e: EdgeError) => void
  const ready = new Promise<void>((res, rej) => {
    resolveReady = res
    rejectReady = rej
  })
  // Nobody may be waiting on `ready` when it fails (a reconnecting link); that is not an error.
  ready.catch(() => {})

  client.on('connect', () => {
    up = true
    if (!settled) {
      settled = true
      resolveReady()
    }
    for (const cb of [...connectCbs]) cb()
  })
  // An EventEmitter without an 'error' listener throws: this one is always there.
  client.on('error', (err: unknown) => {
    const e = describeError(err, endpoint, opts.connectTimeoutMs)
    if (!settled) {
      settled = true
      rejectReady(e)
      return
    }
    for (const cb of [...errorCbs]) cb(e)
  })
  client.on('close', () => {
    if (!up) return
    up = false
    for (const cb of [...closeCbs]) cb()
  })
  client.on('message', (topic: string, payload: Buffer, packet: { retain?: boolean }) => {
    for (const cb of [...messageCbs]) cb({ topic, payload, retain: packet.retain === true })
  })

  const notConnected = (): EdgeError => new EdgeError('transient', `mqtt: not connected to ${endpoint}`)

  return {
    endpoint,
    get connected() {
      return client.connected
    },
    ready,
    publish(topic, payload, o) {
      return new Promise((resolve, reject) => {
        if (!client.connected) return reject(notConnected())
        client.publish(topic, payload, { retain: o.retain, qos: o.qos }, (err) => {
          if (err) reject(describeError(err, endpoint, opts.connectTimeoutMs))
          else resolve()
        })
      })
    },
    subscribe(filters, qos) {
      return new Promise((resolve, reject) => {
        if (!client.connected) return reject(notConnected())
        client.subscribe(filters, { qos }, (err, granted) => {
          if (err) return reject(describeError(err, endpoint, opts.connectTimeoutMs))
          resolve(filters.map((f) => granted?.find((g) => g.topic === f)?.qos ?? 128))
        })
      })
    },
    unsubscribe(filters) {
      return new Promise((resolve, reject) => {
        if (!client.connected) return reject(notConnected())
        client.unsubscribe(filters, (err?: Error) => {
          if (err) reject(describeError(err, endpoint, opts.connectTimeoutMs))
          else resolve()
        })
      })
    },
    onMessage(cb) {
      messageCbs.add(cb)
      return () => messageCbs.delete(cb)
    },
    onConnect(cb) {
      connectCbs.add(cb)
      return () => connectCbs.delete(cb)
    },
    onError(cb) {
      errorCbs.add(cb)
      return () => errorCbs.delete(cb)
    },
    onClose(cb) {
      closeCbs.add(cb)
      return () => closeCbs.delete(cb)
    },
    end(timeoutMs) {
      if (!settled) {
        settled = true
        rejectReady(new EdgeError('transient', `mqtt: connection to ${endpoint} closed before it was ready`))
      }
      ending ??= new Promise<void>((resolve) => {
        let done = false
        const finish = (): void => {
          if (done) return
          done = true
          clearTimeout(timer)
          resolve()
        }
        const force = (): void => {
          client.end(true, () => finish())
          // end(true) calls back once the socket is destroyed; return regardless.
          setTimeout(finish, 50)
        }
        const timer = setTimeout(force, Math.max(0, timeoutMs))
        if (!client.connected || timeoutMs <= 0) {
          clearTimeout(timer)
          force()
          return
        }
        client.end(false, () => finish())
      })
      return ending
    },
  }
}
