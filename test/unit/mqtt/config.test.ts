import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/errors.js'
import { parseMqttSection } from '../../../src/report/mqtt/config.js'
import { sections } from '../../../src/config/sections.js'
import { parseCtx } from './helpers.js'

const parse = (t: Record<string, unknown>) => parseMqttSection(t, 'mqtt', parseCtx())

function configError(t: Record<string, unknown>): ConfigError {
  try {
    parse(t)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('[mqtt] config', () => {
  it('is registered as a config section', () => {
    expect(sections.find((s) => s.name === 'mqtt')?.parse).toBe(parseMqttSection)
  })

  it('fills the documented defaults', () => {
    expect(parse({ url: 'mqtt://broker.lan' })).toEqual({
      url: 'mqtt://broker.lan',
      protocol: 'mqtt',
      host: 'broker.lan',
      port: 1883,
      tls: { rejectUnauthorized: true },
      discovery: true,
      discoveryPrefix: 'homeassistant',
      retain: true,
      qos: 1,
      keepaliveSec: 60,
      connectTimeoutSec: 5,
      publishTimeoutSec: 5,
      expireAfterSec: 330,
      required: false,
    })
  })

  it('reads every key', () => {
    const ctx = parseCtx()
    const cfg = parseMqttSection(
      {
        url: 'mqtts://[2001:db8::1]:8884/',
        username: 'edge',
        password: ' p&ss ',
        ca: '/etc/ca.pem',
        cert: '/etc/c.pem',
        key: '/etc/k.pem',
        reject_unauthorized: false,
        client_id: 'router-1',
        base_topic: 'home/edge-ddns',
        discovery: false,
        discovery_prefix: 'ha',
        retain: false,
        qos: 0,
        keepalive: 30,
        connect_timeout: '2s',
        publish_timeout: 3,
        expire_after: '11m',
        required: true,
      },
      'mqtt',
      ctx,
    )
    expect(cfg).toMatchObject({
      protocol: 'mqtts',
      host: '2001:db8::1',
      port: 8884,
      username: 'edge',
      password: ' p&ss ',
      tls: { ca: '/etc/ca.pem', cert: '/etc/c.pem', key: '/etc/k.pem', rejectUnauthorized: false },
      clientId: 'router-1',
      baseTopic: 'home/edge-ddns',
      discovery: false,
      discoveryPrefix: 'ha',
      retain: false,
      qos: 0,
      keepaliveSec: 30,
      connectTimeoutSec: 2,
      publishTimeoutSec: 3,
      expireAfterSec: 660,
      required: true,
    })
    expect(ctx.secrets).toContain(' p&ss ')
    expect(ctx.warnings.join('\n')).toMatch(/reject_unauthorized = false/)
  })

  it('mqtts defaults to port 8883', () => {
    expect(parse({ url: 'mqtts://broker.lan' }).port).toBe(8883)
  })

  it.each([
    [{}, 'mqtt.url', /is required/],
    [{ url: 'http://broker.lan' }, 'mqtt.url', /mqtt:\/\/ or mqtts:\/\//],
    [{ url: 'ws://broker.lan' }, 'mqtt.url', /websockets are not supported/],
    [{ url: 'not a url' }, 'mqtt.url', /not a valid URL/],
    [{ url: 'mqtt://broker.lan/path' }, 'mqtt.url', /without a path/],
    [{ url: 'mqtt://broker.lan:70000' }, 'mqtt.url', /valid URL|invalid port/],
    [{ url: 'mqtt://b', colour: 'red' }, 'mqtt.colour', /unknown key/],
    [{ url: 'mqtt://b', password: 'x1234' }, 'mqtt.password', /needs a username/],
    [{ url: 'mqtt://b', ca: '/ca.pem' }, 'mqtt.ca', /only with an mqtts/],
    [{ url: 'mqtt://b', reject_unauthorized: false }, 'mqtt.reject_unauthorized', /only with an mqtts/],
    [{ url: 'mqtts://b', cert: '/c.pem' }, 'mqtt.key', /both cert and key/],
    [{ url: 'mqtt://b', qos: 2 }, 'mqtt.qos', /between 0 and 1/],
    [{ url: 'mqtt://b', base_topic: 'a/+/b' }, 'mqtt.base_topic', /no wildcards/],
    [{ url: 'mqtt://b', base_topic: '/a' }, 'mqtt.base_topic', /leading/],
    [{ url: 'mqtt://b', discovery_prefix: 'home assistant' }, 'mqtt.discovery_prefix', /letters, digits/],
    [{ url: 'mqtt://b', connect_timeout: 'soon' }, 'mqtt.connect_timeout', /duration/],
    [{ url: 'mqtt://b', publish_timeout: 0 }, 'mqtt.publish_timeout', /at least/],
    [{ url: 'mqtt://b', expire_after: 1.5 }, 'mqtt.expire_after', /whole number/],
    [{ url: 'mqtt://b', retain: 'yes' }, 'mqtt.retain', /true or false/],
  ])('rejects %j at %s', (t, path, msg) => {
    const e = configError(t)
    expect(e.path).toBe(path)
    expect(e.message).toMatch(msg)
  })

  it('BC-28: credentials in the URL are refused without echoing them, and registered as a secret', () => {
    const ctx = parseCtx()
    let err: unknown
    try {
      parseMqttSection({ url: 'mqtt://edge:S3cr%26t@broker.lan:1883' }, 'mqtt', ctx)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toBe('mqtt.url: must not carry credentials; set [mqtt] username and password instead')
    expect((err as Error).message).not.toContain('S3cr')
    expect(ctx.secrets).toContain('S3cr&t')
  })

  it('a wrong-typed password is refused without its value', () => {
    const e = configError({ url: 'mqtt://b', username: 'u', password: 123456 })
    expect(e.path).toBe('mqtt.password')
    expect(e.message).not.toContain('123456')
  })

  it('expire_after = 0 turns expiry off', () => {
    expect(parse({ url: 'mqtt://b', expire_after: 0 }).expireAfterSec).toBe(0)
  })
})
