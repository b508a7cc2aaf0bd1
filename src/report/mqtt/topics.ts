import { sha256Hex } from '../../sha256.js'
import type { RecordType } from '../../providers/types.js'
import type { MqttConfig } from './config.js'

/**
 * Topic names and ids of one agent. Every id that lands in a topic or a `unique_id` uses only
 * `[A-Za-z0-9_-]` (Home Assistant's rule for discovery `node_id` / `object_id`,
 * https://www.home-assistant.io/integrations/mqtt/#discovery-topic), and every id is a pure
 * function of its inputs so it stays the same across restarts.
 */

/** Characters allowed in one topic level / id. */
const ID_RE = /^[A-Za-z0-9_-]+$/

/** True when `s` is a non-empty id of `[A-Za-z0-9_-]`. */
export function isTopicId(s: string): boolean {
  return ID_RE.test(s)
}

/** True when `s` is one or more `/`-separated levels, each a topic id (no wildcards, no empty level). */
export function isTopicPath(s: string): boolean {
  return s.split('/').every(isTopicId)
}

/** First `n` hex digits of sha256(`s`). */
export function shortHash(s: string, n = 6): string {
  return sha256Hex(s).slice(0, n)
}

/**
 * A host name as one topic level: lower case, every run of other characters than `[a-z0-9_-]`
 * becomes `_`, no `_` at either end; `host` when nothing is left.
 * `Router.lan` → `router_lan`.
 */
export function sanitizeId(s: string, fallback = 'host'): string {
  const out = s
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
  return out === '' ? fallback : out
}

/**
 * The object id of a record's sensor: `record_<name>_<type>`, dots as `_`, `*` as `wildcard`.
 * `home.example.com` A → `record_home_example_com_a`. A name with other characters (an `_`, which
 * would make `a_b.example.com` and `a.b.example.com` collide) gets a short hash of the exact name
 * appended, so two records never share an id.
 */
export function recordObjectId(name: string, type: RecordType): string {
  const lower = name.toLowerCase().replace(/\.$/, '')
  const plain = /^[a-z0-9.*-]+$/.test(lower)
  let id = lower.replace(/\*/g, 'wildcard').replace(/[^a-z0-9-]+/g, '_').replace(/^_+|_+$/g, '')
  if (id === '') id = 'apex'
  if (!plain) id = `${id}_${shortHash(lower)}`
  return `record_${id}_${type.toLowerCase()}`
}

/** Every topic and id one agent uses. */
export interface AgentTopics {
  /**
   * 12 hex digits naming this agent: the device id, or, when `base_topic` is set explicitly, a
   * hash of the device id and the base topic (two agents on one host with their own base topics
   * stay two devices in Home Assistant).
   */
  agentId: string
  /** Discovery `node_id` and the device identifier: `edge_ddns_<agentId>`. */
  nodeId: string
  /** `<base>`: the configured `base_topic`, else `edge-ddns/<hostname sanitised>`. */
  base: string
  /** `<base>/state`: the retained JSON of the last run. */
  state: string
  /** `<base>/availability`: `online` / `offline`. */
  availability: string
  /** `<base>/command`: the "Update now" button publishes here (daemon). */
  command: string
  /** `<base>/sync`: a marker this agent publishes to itself to know its retained configs have all arrived. */
  sync: string
  /** `<discovery_prefix>`. */
  discoveryPrefix: string
  /** `<discovery_prefix>/status`: Home Assistant's birth (`online`) and will (`offline`). */
  haStatus: string
  /** `<discovery_prefix>/+/<nodeId>/+/config`: every discovery config of this agent. */
  discoveryFilter: string
}

/** Payloads on the availability topic (Home Assistant's defaults). */
export const AVAILABLE = 'online'
export const NOT_AVAILABLE = 'offline'
/** Payload the "Update now" button sends on the command topic. */
export const UPDATE_COMMAND = 'update'

/**
 * The topics of one agent.
 * @param deviceId the id from `resolveDeviceId` (sanitised again here; never empty).
 * @param hostname the host name, for the default base topic.
 */
export function agentTopics(
  cfg: Pick<MqttConfig, 'baseTopic' | 'discoveryPrefix'>,
  deviceId: string,
  hostname: string,
): AgentTopics {
  const dev = sanitizeId(deviceId, shortHash(`host:${hostname}`, 12))
  const agentId = cfg.baseTopic === undefined ? dev : shortHash(`${dev}\u0000${cfg.baseTopic}`, 12)
  const nodeId = `edge_ddns_${agentId}`
  const base = cfg.baseTopic ?? `edge-ddns/${sanitizeId(hostname)}`
  const prefix = cfg.discoveryPrefix
  return {
    agentId,
    nodeId,
    base,
    state: `${base}/state`,
    availability: `${base}/availability`,
    command: `${base}/command`,
    sync: `${base}/sync`,
    discoveryPrefix: prefix,
    haStatus: `${prefix}/status`,
    discoveryFilter: `${prefix}/+/${nodeId}/+/config`,
  }
}

/** `<prefix>/<component>/<nodeId>/<objectId>/config`. */
export function discoveryTopic(t: AgentTopics, component: string, objectId: string): string {
  return `${t.discoveryPrefix}/${component}/${t.nodeId}/${objectId}/config`
}

/** The `unique_id` of an entity: `<nodeId>_<objectId>`, distinct between agents (it holds the agent id). */
export function uniqueId(t: AgentTopics, objectId: string): string {
  return `${t.nodeId}_${objectId}`
}

/**
 * True when `topic` is one of this agent's discovery config topics (matches `discoveryFilter`).
 */
export function isOwnDiscoveryTopic(t: AgentTopics, topic: string): boolean {
  const parts = topic.split('/')
  const pre = t.discoveryPrefix.split('/')
  if (parts.length !== pre.length + 4) return false
  for (let i = 0; i < pre.length; i++) if (parts[i] !== pre[i]) return false
  return parts[pre.length + 1] === t.nodeId && parts[pre.length + 3] === 'config'
}
