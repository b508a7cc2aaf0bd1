import { describe, expect, it } from 'vitest'
import {
  agentTopics,
  discoveryTopic,
  isOwnDiscoveryTopic,
  isTopicId,
  recordObjectId,
  sanitizeId,
  uniqueId,
} from '../../../src/report/mqtt/topics.js'

describe('topic ids', () => {
  it.each([
    ['home.example.com', 'A', 'record_home_example_com_a'],
    ['home.example.com', 'AAAA', 'record_home_example_com_aaaa'],
    ['Home.Example.COM.', 'A', 'record_home_example_com_a'],
    ['*.example.com', 'A', 'record_wildcard_example_com_a'],
    ['my-host.example.com', 'A', 'record_my-host_example_com_a'],
  ] as const)('%s %s → %s', (name, type, id) => {
    expect(recordObjectId(name, type)).toBe(id)
  })

  it('names that would collide after sanitising get distinct ids', () => {
    const a = recordObjectId('a_b.example.com', 'A')
    const b = recordObjectId('a.b.example.com', 'A')
    expect(a).not.toBe(b)
    expect(isTopicId(a)).toBe(true)
    expect(recordObjectId('a_b.example.com', 'A')).toBe(a)
  })

  it('the wildcard and the apex do not collide', () => {
    expect(recordObjectId('*.example.com', 'A')).not.toBe(recordObjectId('example.com', 'A'))
  })

  it.each([
    ['Router.lan', 'router_lan'],
    ['edge-01', 'edge-01'],
    ['..', 'host'],
    ['', 'host'],
    ['a b/c+#', 'a_b_c'],
  ])('sanitizeId(%j) = %j', (input, out) => {
    expect(sanitizeId(input)).toBe(out)
    expect(isTopicId(sanitizeId(input))).toBe(true)
  })
})

describe('agent topics', () => {
  const cfg = { discoveryPrefix: 'homeassistant' }

  it('default base topic is edge-ddns/<hostname sanitised>; ids hold the device id', () => {
    const t = agentTopics(cfg, '0123456789ab', 'Router.lan')
    expect(t).toEqual({
      agentId: '0123456789ab',
      nodeId: 'edge_ddns_0123456789ab',
      base: 'edge-ddns/router_lan',
      state: 'edge-ddns/router_lan/state',
      availability: 'edge-ddns/router_lan/availability',
      command: 'edge-ddns/router_lan/command',
      sync: 'edge-ddns/router_lan/sync',
      discoveryPrefix: 'homeassistant',
      haStatus: 'homeassistant/status',
      discoveryFilter: 'homeassistant/+/edge_ddns_0123456789ab/+/config',
    })
    expect(discoveryTopic(t, 'sensor', 'wan_ipv4')).toBe('homeassistant/sensor/edge_ddns_0123456789ab/wan_ipv4/config')
    expect(uniqueId(t, 'wan_ipv4')).toBe('edge_ddns_0123456789ab_wan_ipv4')
  })

  it('the same inputs give the same topics (stable across restarts)', () => {
    expect(agentTopics(cfg, 'abcdefabcdef', 'gw')).toEqual(agentTopics(cfg, 'abcdefabcdef', 'gw'))
  })

  it('an explicit base_topic gives another agent id, so two agents on one host stay apart', () => {
    const a = agentTopics({ ...cfg, baseTopic: 'site/a' }, 'abcdefabcdef', 'gw')
    const b = agentTopics({ ...cfg, baseTopic: 'site/b' }, 'abcdefabcdef', 'gw')
    expect(a.base).toBe('site/a')
    expect(a.agentId).toMatch(/^[0-9a-f]{12}$/)
    expect(a.nodeId).not.toBe(b.nodeId)
  })

  it('BC-32: an empty device id never gives an empty id', () => {
    const t = agentTopics(cfg, '', 'gw')
    expect(t.agentId).toMatch(/^[0-9a-f]{12}$/)
    expect(t.nodeId).toMatch(/^edge_ddns_[0-9a-f]{12}$/)
  })

  it('recognises its own discovery topics only', () => {
    const t = agentTopics({ discoveryPrefix: 'ha/disc' }, '0123456789ab', 'gw')
    expect(isOwnDiscoveryTopic(t, 'ha/disc/sensor/edge_ddns_0123456789ab/x/config')).toBe(true)
    expect(isOwnDiscoveryTopic(t, 'ha/disc/sensor/edge_ddns_ffffffffffff/x/config')).toBe(false)
    expect(isOwnDiscoveryTopic(t, 'ha/sensor/edge_ddns_0123456789ab/x/config')).toBe(false)
    expect(isOwnDiscoveryTopic(t, 'ha/disc/sensor/edge_ddns_0123456789ab/x/state')).toBe(false)
  })
})
