import type { RecordType } from '../../providers/types.js'
import type { RunSummary } from '../summary.js'
import {
  AVAILABLE,
  NOT_AVAILABLE,
  UPDATE_COMMAND,
  discoveryTopic,
  recordObjectId,
  uniqueId,
  type AgentTopics,
} from './topics.js'

/**
 * Home Assistant MQTT discovery payloads, built by pure functions (no I/O, no clock).
 *
 * Pages followed (the keys each accepts are kept in test/fixtures/mqtt/ha-documented-keys.json):
 * - discovery, device and origin blocks: https://www.home-assistant.io/integrations/mqtt/
 * - sensor: https://www.home-assistant.io/integrations/sensor.mqtt/
 * - binary_sensor: https://www.home-assistant.io/integrations/binary_sensor.mqtt/
 * - button: https://www.home-assistant.io/integrations/button.mqtt/
 *
 * BC-32: every payload is built from a fixed whitelist of keys per entity type, the device and
 * origin blocks from their own whitelists; keys whose value is null or undefined are left out;
 * `retain` and `qos` are publish options, never payload keys; device identifiers are non-empty strings.
 *
 * All entities read one retained JSON message, `<base>/state` (see `buildState`), through
 * `value_template`s, so one publish updates every entity. A template renders `None` for a value
 * not known; Home Assistant's MQTT sensor takes the payload `None` as "unknown".
 */

/** The entity types edge-ddns announces. */
export type Component = 'sensor' | 'binary_sensor' | 'button'

/** Keys edge-ddns may put in a payload, per entity type (each a key the type's page documents). */
export const ENTITY_KEYS: Readonly<Record<Component, readonly string[]>> = {
  sensor: [
    'name',
    'unique_id',
    'state_topic',
    'value_template',
    'json_attributes_topic',
    'json_attributes_template',
    'availability_topic',
    'payload_available',
    'payload_not_available',
    'device_class',
    'entity_category',
    'icon',
    'expire_after',
    'device',
    'origin',
  ],
  binary_sensor: [
    'name',
    'unique_id',
    'state_topic',
    'value_template',
    'payload_on',
    'payload_off',
    'json_attributes_topic',
    'json_attributes_template',
    'availability_topic',
    'payload_available',
    'payload_not_available',
    'device_class',
    'entity_category',
    'icon',
    'expire_after',
    'device',
    'origin',
  ],
  button: [
    'name',
    'unique_id',
    'command_topic',
    'payload_press',
    'availability_topic',
    'payload_available',
    'payload_not_available',
    'device_class',
    'entity_category',
    'icon',
    'device',
    'origin',
  ],
}

/** Keys of the `device` block edge-ddns may set. */
export const DEVICE_KEYS: readonly string[] = ['identifiers', 'name', 'manufacturer', 'model', 'sw_version', 'configuration_url']

/** Keys of the `origin` block (name required). */
export const ORIGIN_KEYS: readonly string[] = ['name', 'sw_version', 'support_url']

/** The `device` block. */
export interface DeviceBlock {
  /** Non-empty strings (BC-32). */
  identifiers: string[]
  name: string
  manufacturer: string
  model: string
  sw_version?: string
}

/** The `origin` block: which software published the discovery. */
export interface OriginBlock {
  name: string
  sw_version?: string
  support_url?: string
}

/** One discovery config to publish (retained) on `topic`. */
export interface DiscoveryMessage {
  component: Component
  /** `wan_ipv4`, `record_home_example_com_a`, ... (stable; part of topic and unique_id). */
  objectId: string
  topic: string
  payload: Record<string, unknown>
}

/** A record the config owns. */
export interface RecordKey {
  name: string
  type: RecordType
}

/** What the builders need. */
export interface DiscoveryInput {
  topics: AgentTopics
  /** `daemon` adds the "Update now" button; `oneshot` adds `expire_after`. */
  mode: 'oneshot' | 'daemon'
  hostname: string
  /** edge-ddns version, for `sw_version`. */
  version: string
  records: readonly RecordKey[]
  /** Seconds; 0 = no `expire_after`. Used in oneshot mode only. */
  expireAfterSec: number
  /** Project page for `origin.support_url`, when known. */
  supportUrl?: string
}

/** The device block of an agent. `identifiers` is never empty: it holds the node id. */
export function buildDevice(topics: AgentTopics, hostname: string, version: string): DeviceBlock {
  const host = hostname.trim() || topics.agentId
  return pick(
    {
      identifiers: [topics.nodeId],
      name: `edge-ddns ${host}`,
      manufacturer: 'edge-ddns',
      model: 'Dynamic DNS agent',
      sw_version: version || undefined,
    },
    DEVICE_KEYS,
  ) as unknown as DeviceBlock
}

/** The origin block. */
export function buildOrigin(version: string, supportUrl?: string): OriginBlock {
  return pick({ name: 'edge-ddns', sw_version: version || undefined, support_url: supportUrl }, ORIGIN_KEYS) as unknown as OriginBlock
}

/** Jinja string literal of `s` (JSON escapes are valid Jinja/Python escapes). */
function lit(s: string): string {
  return JSON.stringify(s)
}

/** Template of a record's published value: `None` unless it is updated, created or unchanged. */
export function recordValueTemplate(r: RecordKey): string {
  return (
    `{% for r in value_json.records if r.name == ${lit(r.name)} and r.type == ${lit(r.type)} %}` +
    `{{ r.value if r.value is defined and r.status in ["updated", "created", "unchanged"] else None }}` +
    `{% else %}None{% endfor %}`
  )
}

/** Attributes template of a record: outcome, provider, desired value, previous values, error. */
export function recordAttributesTemplate(r: RecordKey): string {
  return (
    `{% for r in value_json.records if r.name == ${lit(r.name)} and r.type == ${lit(r.type)} %}` +
    `{{ {"outcome": r.status, "provider": r.provider, "value": r.value | default(""), ` +
    `"previous": r.previous | default([]), "error": r.error | default(""), "warnings": r.warnings | default([])} | tojson }}` +
    `{% else %}{{ {"outcome": "not in the last run"} | tojson }}{% endfor %}`
  )
}

/** Value template of a detected address family. */
export function addressTemplate(family: 'ipv4' | 'ipv6'): string {
  return `{{ value_json.detected.${family}.address if value_json.detected.${family} is defined and value_json.detected.${family}.address is defined else None }}`
}

/**
 * Every discovery config of one agent, in a fixed order: WAN IPv4, WAN IPv6, last run, last change,
 * problem, one sensor per record (in the order given), and in daemon mode the "Update now" button.
 */
export function buildDiscovery(input: DiscoveryInput): DiscoveryMessage[] {
  const { topics } = input
  const device = buildDevice(topics, input.hostname, input.version)
  const origin = buildOrigin(input.version, input.supportUrl)
  const expire = input.mode === 'oneshot' && input.expireAfterSec > 0 ? input.expireAfterSec : undefined
  const common = {
    availability_topic: topics.availability,
    payload_available: AVAILABLE,
    payload_not_available: NOT_AVAILABLE,
    device,
    origin,
  }
  const readOnly = { ...common, state_topic: topics.state, json_attributes_topic: topics.state, expire_after: expire }

  const out: DiscoveryMessage[] = []
  const add = (component: Component, objectId: string, fields: Record<string, unknown>): void => {
    out.push({
      component,
      objectId,
      topic: discoveryTopic(topics, component, objectId),
      payload: pick({ ...fields, unique_id: uniqueId(topics, objectId) }, ENTITY_KEYS[component]),
    })
  }

  add('sensor', 'wan_ipv4', {
    ...readOnly,
    name: 'WAN IPv4',
    icon: 'mdi:ip-network',
    value_template: addressTemplate('ipv4'),
    json_attributes_template: '{{ value_json.detected.ipv4 | default({}) | tojson }}',
  })
  add('sensor', 'wan_ipv6', {
    ...readOnly,
    name: 'WAN IPv6',
    icon: 'mdi:ip-network-outline',
    value_template: addressTemplate('ipv6'),
    json_attributes_template: '{{ value_json.detected.ipv6 | default({}) | tojson }}',
  })
  add('sensor', 'last_run', {
    ...readOnly,
    name: 'Last run',
    device_class: 'timestamp',
    entity_category: 'diagnostic',
    value_template: '{{ value_json.time }}',
    json_attributes_template:
      '{{ {"duration_ms": value_json.durationMs, "exit_code": value_json.exitCode, "ok": value_json.ok, ' +
      '"counts": value_json.counts, "version": value_json.version} | tojson }}',
  })
  add('sensor', 'last_change', {
    ...readOnly,
    name: 'Last change',
    device_class: 'timestamp',
    icon: 'mdi:update',
    value_template: '{{ value_json.lastChange if value_json.lastChange is defined else None }}',
    json_attributes_topic: undefined,
  })
  add('binary_sensor', 'problem', {
    ...readOnly,
    name: 'Problem',
    device_class: 'problem',
    payload_on: 'ON',
    payload_off: 'OFF',
    value_template: '{{ "OFF" if value_json.ok else "ON" }}',
    json_attributes_template:
      '{{ {"error": value_json.problems | default([]) | join("; "), "exit_code": value_json.exitCode} | tojson }}',
  })
  for (const r of input.records) {
    add('sensor', recordObjectId(r.name, r.type), {
      ...readOnly,
      name: `${r.name} ${r.type}`,
      icon: 'mdi:dns',
      value_template: recordValueTemplate(r),
      json_attributes_template: recordAttributesTemplate(r),
    })
  }
  if (input.mode === 'daemon') {
    add('button', 'update_now', {
      ...common,
      name: 'Update now',
      device_class: 'update',
      icon: 'mdi:refresh',
      command_topic: topics.command,
      payload_press: UPDATE_COMMAND,
    })
  }
  return out
}

/**
 * The JSON on `<base>/state`: the run's RunSummary (as `--json` prints it) plus
 * - `problems`: one line per failed/missing record and, when the run failed, per family whose
 *   detection failed (the text of the problem sensor's `error` attribute);
 * - `lastChange`: when a record was last updated or created — this run's time if it changed one,
 *   else the value carried by the previous state message (read back from the broker), else absent.
 */
export interface MqttState extends RunSummary {
  problems: string[]
  lastChange?: string
}

/** Builds the state message of a run. Pure. */
export function buildState(summary: RunSummary, previous?: { lastChange?: unknown }): MqttState {
  const problems: string[] = []
  // A family nobody needed (no AAAA record) may fail to detect on a healthy run: not a problem then.
  for (const [fam, label] of [['ipv4', 'IPv4'], ['ipv6', 'IPv6']] as const) {
    const d = summary.detected[fam]
    if (!summary.ok && d?.error !== undefined && d.address === undefined) problems.push(`${label}: ${d.error}`)
  }
  for (const r of summary.records) {
    if (r.status === 'failed' || r.status === 'missing' || (r.status === 'skipped' && r.error !== undefined)) {
      problems.push(`${r.name} ${r.type}: ${r.error ?? r.status}`)
    }
  }
  if (!summary.ok && problems.length === 0) problems.push(`run failed (exit code ${summary.exitCode})`)
  const changed = summary.records.some((r) => r.status === 'updated' || r.status === 'created')
  const prev = typeof previous?.lastChange === 'string' && !Number.isNaN(Date.parse(previous.lastChange)) ? previous.lastChange : undefined
  const lastChange = changed ? summary.time : prev
  const state: MqttState = { ...summary, problems }
  if (lastChange !== undefined) state.lastChange = lastChange
  return state
}

/**
 * A copy of `fields` with only the `allowed` keys whose value is neither null nor undefined
 * (nested plain objects are cleaned the same way, without a whitelist: device and origin are
 * whitelisted by their own builders).
 */
export function pick(fields: Record<string, unknown>, allowed: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of allowed) {
    const v = fields[k]
    if (v === undefined || v === null) continue
    out[k] = v
  }
  return out
}
