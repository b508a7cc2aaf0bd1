import { isIP } from 'node:net'
import { ConfigError } from '../../errors.js'
import type { ParseCtx } from '../../providers/types.js'
import { keyPath, optBool, optInt, optString, rejectUnknown, type Table } from '../../config/fields.js'
import { parseDuration } from '../../config/duration.js'
import { isTopicPath } from './topics.js'

/**
 * The validated `[mqtt]` section.
 *
 * ```toml
 * [mqtt]
 * url = "mqtts://broker.lan:8883"     # mqtt:// (default port 1883) or mqtts:// (8883)
 * username = "edge-ddns"
 * password = "{{MQTT_PASSWORD}}"      # a secret: redacted everywhere
 * ca = "/etc/edge-ddns/mqtt-ca.pem"  # TLS: CA file (PEM); cert + key for client certificates
 * reject_unauthorized = true
 * client_id = "edge-ddns-router"      # default: derived from the device id
 * base_topic = "edge-ddns/router"     # default: edge-ddns/<hostname sanitised>
 * discovery = true                    # Home Assistant discovery configs
 * discovery_prefix = "homeassistant"
 * retain = true                       # state and availability retained
 * qos = 1                             # 0 or 1
 * keepalive = 60                      # seconds
 * connect_timeout = 5                 # seconds (or "5s")
 * publish_timeout = 5                 # seconds
 * expire_after = 330                  # seconds; oneshot entities go unavailable after this; 0 = never
 * required = false                    # true: a failed publish makes the run exit 1 (--mqtt-required)
 * ```
 */
export interface MqttConfig {
  /** The URL as written (it carries no credentials). */
  url: string
  /** `mqtts` means TLS. */
  protocol: 'mqtt' | 'mqtts'
  /** Host name or address, without IPv6 brackets. */
  host: string
  port: number
  username?: string
  /** Registered as a secret at parse time. */
  password?: string
  tls: {
    /** Paths of PEM files, read at connect time. */
    ca?: string
    cert?: string
    key?: string
    /** Verify the broker's certificate (default true); false is for a test broker only. */
    rejectUnauthorized: boolean
  }
  /** Explicit MQTT client id; default derived from the device id (see publish.ts). */
  clientId?: string
  /** Explicit base topic; default `edge-ddns/<hostname sanitised>` (resolved when publishing). */
  baseTopic?: string
  discovery: boolean
  discoveryPrefix: string
  /** Retain flag of the state and availability messages (discovery configs are always retained). */
  retain: boolean
  qos: 0 | 1
  /** Seconds between PINGREQs (MQTT keep alive); default 60. */
  keepaliveSec: number
  /** Seconds from opening the socket to the CONNACK; default 5. */
  connectTimeoutSec: number
  /** Seconds for everything after the CONNACK (discovery, state, availability, disconnect); default 5. */
  publishTimeoutSec: number
  /**
   * Seconds after which Home Assistant shows a oneshot agent's entities unavailable when no new
   * state arrived; default 330 (the 5-minute timer plus a margin); 0 = never. Not used by the daemon,
   * whose last will says `offline`.
   */
  expireAfterSec: number
  /** A failed publish makes the run's exit code 1 (default false: MQTT is only a report). */
  required: boolean
}

/** Keys accepted in `[mqtt]`. */
export const MQTT_KEYS = [
  'url',
  'username',
  'password',
  'ca',
  'cert',
  'key',
  'reject_unauthorized',
  'client_id',
  'base_topic',
  'discovery',
  'discovery_prefix',
  'retain',
  'qos',
  'keepalive',
  'connect_timeout',
  'publish_timeout',
  'expire_after',
  'required',
] as const

/** Default `expire_after`: a 5-minute timer interval plus 30 s for a slow run. */
export const DEFAULT_EXPIRE_AFTER_SEC = 330

/**
 * Validates `[mqtt]`. Light: no I/O, no library loading (the TLS files are read when connecting).
 * @param path the section's path for messages (`mqtt`).
 * @throws ConfigError naming the key (`mqtt.url: ...`) for anything wrong; never echoes the password.
 */
export function parseMqttSection(t: Table, path: string, ctx: ParseCtx): MqttConfig {
  // Register the secret first: no later error may echo it.
  if (typeof t.password === 'string') ctx.secret(t.password)
  rejectUnknown(t, MQTT_KEYS, path)

  const urlRaw = optString(t, 'url', path)
  if (urlRaw === undefined) throw new ConfigError(keyPath(path, 'url'), 'is required (mqtt://host:1883 or mqtts://host:8883)')
  const { protocol, host, port } = parseBrokerUrl(urlRaw, keyPath(path, 'url'), ctx)

  const username = optString(t, 'username', path)
  const passwordRaw = t.password
  if (passwordRaw !== undefined && typeof passwordRaw !== 'string') {
    throw new ConfigError(keyPath(path, 'password'), 'expected a string')
  }
  // A password is taken byte for byte (no trim): spaces may be part of it.
  const password = passwordRaw === '' ? undefined : passwordRaw
  if (password !== undefined && username === undefined) {
    throw new ConfigError(keyPath(path, 'password'), 'needs a username (MQTT sends no password without one)')
  }

  const ca = optString(t, 'ca', path)
  const cert = optString(t, 'cert', path)
  const key = optString(t, 'key', path)
  const rejectUnauthorized = optBool(t, 'reject_unauthorized', path) ?? true
  if (protocol === 'mqtt') {
    for (const [k, v] of [['ca', ca], ['cert', cert], ['key', key]] as const) {
      if (v !== undefined) throw new ConfigError(keyPath(path, k), 'is used only with an mqtts:// url')
    }
    if (t.reject_unauthorized !== undefined) {
      throw new ConfigError(keyPath(path, 'reject_unauthorized'), 'is used only with an mqtts:// url')
    }
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(keyPath(path, cert === undefined ? 'cert' : 'key'), 'a client certificate needs both cert and key')
  }
  if (!rejectUnauthorized) ctx.warn(`${keyPath(path, 'reject_unauthorized')} = false: the broker's certificate is not checked`)

  const clientId = optString(t, 'client_id', path)
  if (clientId !== undefined && (clientId.length > 65535 || /[\u0000-\u001f]/.test(clientId))) {
    throw new ConfigError(keyPath(path, 'client_id'), 'must be printable text')
  }

  const baseTopic = topicPath(t, 'base_topic', path)
  const discoveryPrefix = topicPath(t, 'discovery_prefix', path) ?? 'homeassistant'

  const qos = optInt(t, 'qos', path, 0, 1) ?? 1
  const keepaliveSec = optInt(t, 'keepalive', path, 0, 65535) ?? 60
  const connectTimeoutSec = seconds(t, 'connect_timeout', path, 5, 0.1, 300)
  const publishTimeoutSec = seconds(t, 'publish_timeout', path, 5, 0.1, 300)
  const expireAfterSec = seconds(t, 'expire_after', path, DEFAULT_EXPIRE_AFTER_SEC, 0, 30 * 86_400)
  if (expireAfterSec !== 0 && !Number.isInteger(expireAfterSec)) {
    throw new ConfigError(keyPath(path, 'expire_after'), 'must be a whole number of seconds (Home Assistant takes an integer)')
  }

  const cfg: MqttConfig = {
    url: urlRaw,
    protocol,
    host,
    port,
    tls: { rejectUnauthorized },
    discovery: optBool(t, 'discovery', path) ?? true,
    discoveryPrefix,
    retain: optBool(t, 'retain', path) ?? true,
    qos: qos === 0 ? 0 : 1,
    keepaliveSec,
    connectTimeoutSec,
    publishTimeoutSec,
    expireAfterSec,
    required: optBool(t, 'required', path) ?? false,
  }
  if (username !== undefined) cfg.username = username
  if (password !== undefined) cfg.password = password
  if (ca !== undefined) cfg.tls.ca = ca
  if (cert !== undefined) cfg.tls.cert = cert
  if (key !== undefined) cfg.tls.key = key
  if (clientId !== undefined) cfg.clientId = clientId
  if (baseTopic !== undefined) cfg.baseTopic = baseTopic
  return cfg
}

/**
 * Splits a broker URL. Accepts `mqtt://host[:port]` and `mqtts://host[:port]` with an optional
 * trailing `/`; credentials in the URL are refused (they would be logged with it; use
 * `username`/`password`), as are paths, queries and fragments.
 */
function parseBrokerUrl(raw: string, path: string, ctx: ParseCtx): { protocol: 'mqtt' | 'mqtts'; host: string; port: number } {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new ConfigError(path, 'is not a valid URL (expected mqtt://host:1883 or mqtts://host:8883)')
  }
  if (u.password) ctx.secret(safeDecode(u.password))
  if (u.username || u.password) {
    throw new ConfigError(path, 'must not carry credentials; set [mqtt] username and password instead')
  }
  if (u.protocol !== 'mqtt:' && u.protocol !== 'mqtts:') {
    throw new ConfigError(path, `must start with mqtt:// or mqtts:// (got ${u.protocol}//); websockets are not supported`)
  }
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') {
    throw new ConfigError(path, 'must be only mqtt[s]://host[:port], without a path or query')
  }
  let host = u.hostname
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host === '') throw new ConfigError(path, 'has no host')
  if (host.includes(':') && isIP(host) !== 6) throw new ConfigError(path, 'has an invalid host')
  const protocol = u.protocol === 'mqtts:' ? 'mqtts' : 'mqtt'
  const port = u.port === '' ? (protocol === 'mqtts' ? 8883 : 1883) : Number(u.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError(path, 'has an invalid port')
  return { protocol, host, port }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

function topicPath(t: Table, key: string, path: string): string | undefined {
  const s = optString(t, key, path)
  if (s === undefined) return undefined
  if (!isTopicPath(s)) {
    throw new ConfigError(
      keyPath(path, key),
      'must be topic levels of letters, digits, "_" and "-" separated by "/" (no wildcards, no empty level, no leading or trailing "/")',
    )
  }
  return s
}

function seconds(t: Table, key: string, path: string, dflt: number, min: number, max: number): number {
  const v = t[key]
  if (v === undefined) return dflt
  return parseDuration(v, keyPath(path, key), { min, max })
}
