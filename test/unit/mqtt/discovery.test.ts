import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  DEVICE_KEYS,
  ENTITY_KEYS,
  ORIGIN_KEYS,
  buildDevice,
  buildDiscovery,
  buildState,
  type Component,
  type DiscoveryInput,
  type DiscoveryMessage,
} from '../../../src/report/mqtt/discovery.js'
import { agentTopics, isTopicId } from '../../../src/report/mqtt/topics.js'
import { sampleSummary } from './helpers.js'

const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/mqtt/${name}`, import.meta.url))
/** Keys Home Assistant documents per entity type (names the pages it follows). */
const documented = JSON.parse(readFileSync(fixture('ha-documented-keys.json'), 'utf8')) as Record<Component | 'device' | 'origin', string[]> & {
  device_class: Record<Component, string[]>
  entity_category: Record<Component, string[]>
}

const topics = agentTopics({ discoveryPrefix: 'homeassistant' }, '0123456789ab', 'router')
const records = [
  { name: 'home.example.com', type: 'A' as const },
  { name: 'home.example.com', type: 'AAAA' as const },
  { name: '*.example.com', type: 'A' as const },
]
const input = (over: Partial<DiscoveryInput> = {}): DiscoveryInput => ({
  topics,
  mode: 'oneshot',
  hostname: 'router',
  version: '1.2.3',
  records,
  expireAfterSec: 330,
  ...over,
})

/** Every key path whose value is null or undefined, and every `retain`/`qos` key, anywhere. */
function badKeys(v: unknown, path = ''): string[] {
  if (v === null || v === undefined) return [path || '(root)']
  if (Array.isArray(v)) return v.flatMap((x, i) => badKeys(x, `${path}[${i}]`))
  if (typeof v === 'object') {
    return Object.entries(v).flatMap(([k, x]) => [
      ...(k === 'retain' || k === 'qos' ? [`${path}.${k}`] : []),
      ...badKeys(x, `${path}.${k}`),
    ])
  }
  return []
}

function checkBc32(msgs: DiscoveryMessage[]): void {
  for (const m of msgs) {
    const p = m.payload
    const allowed = documented[m.component]
    expect(Object.keys(p).filter((k) => !allowed.includes(k)), `${m.objectId}: keys Home Assistant does not document`).toEqual([])
    expect(badKeys(p), `${m.objectId}: null/undefined values or publish options`).toEqual([])
    const device = p.device as Record<string, unknown>
    expect(Object.keys(device).filter((k) => !documented.device.includes(k))).toEqual([])
    expect(Array.isArray(device.identifiers)).toBe(true)
    const ids = device.identifiers as unknown[]
    expect(ids.length).toBeGreaterThan(0)
    for (const id of ids) {
      expect(typeof id).toBe('string')
      expect((id as string).length).toBeGreaterThan(0)
    }
    expect(Object.keys(p.origin as object).filter((k) => !documented.origin.includes(k))).toEqual([])
    expect((p.origin as { name?: unknown }).name).toBe('edge-ddns')
    if (p.device_class !== undefined) expect(documented.device_class[m.component]).toContain(p.device_class)
    if (p.entity_category !== undefined) expect(documented.entity_category[m.component]).toContain(p.entity_category)
    expect(typeof p.unique_id).toBe('string')
    expect(isTopicId(m.objectId)).toBe(true)
  }
}

describe('discovery builders', () => {
  it('the whitelists in src are documented keys (BC-32)', () => {
    for (const c of Object.keys(ENTITY_KEYS) as Component[]) {
      expect(ENTITY_KEYS[c].filter((k) => !documented[c].includes(k))).toEqual([])
      expect(ENTITY_KEYS[c]).not.toContain('retain')
      expect(ENTITY_KEYS[c]).not.toContain('qos')
    }
    expect(DEVICE_KEYS.filter((k) => !documented.device.includes(k))).toEqual([])
    expect(ORIGIN_KEYS.filter((k) => !documented.origin.includes(k))).toEqual([])
  })

  it('oneshot payloads match the fixture snapshot', async () => {
    const msgs = buildDiscovery(input())
    await expect(JSON.stringify(msgs, null, 2) + '\n').toMatchFileSnapshot(fixture('discovery-oneshot.json'))
  })

  it('daemon payloads match the fixture snapshot', async () => {
    const msgs = buildDiscovery(input({ mode: 'daemon', supportUrl: 'https://example.com/edge-ddns' }))
    await expect(JSON.stringify(msgs, null, 2) + '\n').toMatchFileSnapshot(fixture('discovery-daemon.json'))
  })

  it.each(['oneshot', 'daemon'] as const)('BC-32: every %s payload uses only documented keys, no nulls, no retain/qos', (mode) => {
    const msgs = buildDiscovery(input({ mode }))
    checkBc32(msgs)
  })

  it('BC-32: device id missing → identifiers still a non-empty array of non-empty strings', () => {
    const t = agentTopics({ discoveryPrefix: 'homeassistant' }, '', '')
    const msgs = buildDiscovery(input({ topics: t, hostname: '', version: '' }))
    checkBc32(msgs)
    expect(buildDevice(t, '', '')).toEqual({
      identifiers: [t.nodeId],
      name: `edge-ddns ${t.agentId}`,
      manufacturer: 'edge-ddns',
      model: 'Dynamic DNS agent',
    })
  })

  it('lists the entities: WAN IPv4/IPv6, last run, last change, problem, one sensor per record; the button in daemon mode only', () => {
    const ids = (mode: 'oneshot' | 'daemon') => buildDiscovery(input({ mode })).map((m) => `${m.component}/${m.objectId}`)
    const base = [
      'sensor/wan_ipv4',
      'sensor/wan_ipv6',
      'sensor/last_run',
      'sensor/last_change',
      'binary_sensor/problem',
      'sensor/record_home_example_com_a',
      'sensor/record_home_example_com_aaaa',
      'sensor/record_wildcard_example_com_a',
    ]
    expect(ids('oneshot')).toEqual(base)
    expect(ids('daemon')).toEqual([...base, 'button/update_now'])
  })

  it('expire_after only in oneshot mode, and not when 0; availability always', () => {
    for (const m of buildDiscovery(input())) {
      expect(m.payload.expire_after).toBe(330)
      expect(m.payload.availability_topic).toBe('edge-ddns/router/availability')
    }
    for (const m of buildDiscovery(input({ mode: 'daemon' }))) expect(m.payload.expire_after).toBeUndefined()
    for (const m of buildDiscovery(input({ expireAfterSec: 0 }))) expect(m.payload).not.toHaveProperty('expire_after')
  })

  it('unique ids are distinct within an agent and between agents', () => {
    const other = agentTopics({ discoveryPrefix: 'homeassistant' }, 'ba9876543210', 'router')
    const a = buildDiscovery(input({ mode: 'daemon' })).map((m) => m.payload.unique_id as string)
    const b = buildDiscovery(input({ mode: 'daemon', topics: other })).map((m) => m.payload.unique_id as string)
    expect(new Set(a).size).toBe(a.length)
    expect(a.filter((x) => b.includes(x))).toEqual([])
  })

  it('is pure: the same input builds the same payloads', () => {
    expect(buildDiscovery(input())).toEqual(buildDiscovery(input()))
  })

  it('the button sends "update" on <base>/command', () => {
    const b = buildDiscovery(input({ mode: 'daemon' })).find((m) => m.component === 'button')
    expect(b?.payload).toMatchObject({ command_topic: 'edge-ddns/router/command', payload_press: 'update', name: 'Update now' })
  })
})

describe('state message', () => {
  it('carries the run summary plus problems', () => {
    const s = sampleSummary()
    const state = buildState(s)
    expect(state).toMatchObject(s)
    expect(state.problems).toEqual([
      'IPv6: ipify: timeout after 10 s',
      'vpn.example.com A: cloudflare: HTTP 403 from api.cloudflare.com: Invalid token',
    ])
  })

  it('lastChange is this run when a record changed, else carried from the previous state', () => {
    expect(buildState(sampleSummary()).lastChange).toBe('2026-11-29T12:00:00.000Z')
    const unchanged = sampleSummary({
      records: [{ name: 'home.example.com', type: 'A', provider: 'cloudflare', entry: 'domains[0]', status: 'unchanged', value: '192.0.2.10' }],
      ok: true,
      exitCode: 0,
    })
    expect(buildState(unchanged).lastChange).toBeUndefined()
    expect(buildState(unchanged, { lastChange: '2026-11-28T08:00:00.000Z' }).lastChange).toBe('2026-11-28T08:00:00.000Z')
    expect(buildState(unchanged, { lastChange: 'garbage' }).lastChange).toBeUndefined()
    expect(buildState(unchanged).problems).toEqual([])
  })

  it('a failed run without a named problem still explains itself', () => {
    const s = sampleSummary({ records: [], detected: {}, ok: false, exitCode: 70 })
    expect(buildState(s).problems).toEqual(['run failed (exit code 70)'])
  })
})
