import { describe, expect, it } from 'vitest'
import { describeError, endpointOf, loadClientClass, seconds } from '../../../src/report/mqtt/client.js'
import { clientIdFor, exitCodeWithMqtt } from '../../../src/report/mqtt/publish.js'
import { agentTopics } from '../../../src/report/mqtt/topics.js'

const EP = '127.0.0.1:1883'

describe('MQTT error messages', () => {
  it.each([
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1883'), { code: 'ECONNREFUSED' }), 'transient', 'mqtt: connection refused by 127.0.0.1:1883'],
    [Object.assign(new Error('Connection refused: Not authorized'), { code: 5 }), 'auth', 'mqtt: not authorised (bad username or password)'],
    [Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }), 'auth', 'mqtt: not authorised (bad username or password)'],
    [Object.assign(new Error('Connection refused: Identifier rejected'), { code: 2 }), 'auth', 'mqtt: 127.0.0.1:1883 rejected the client id (set [mqtt] client_id)'],
    [Object.assign(new Error('x'), { code: 3 }), 'transient', 'mqtt: 127.0.0.1:1883 says the server is unavailable'],
    [new Error('connack timeout'), 'transient', 'mqtt: no answer (CONNACK) from 127.0.0.1:1883 within 5 s'],
    [Object.assign(new Error('getaddrinfo ENOTFOUND broker'), { code: 'ENOTFOUND' }), 'transient', 'mqtt: cannot resolve the broker host of 127.0.0.1:1883 (ENOTFOUND)'],
    [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'transient', 'mqtt: connection reset by 127.0.0.1:1883'],
    [
      Object.assign(new Error('self-signed certificate in certificate chain'), { code: 'SELF_SIGNED_CERT_IN_CHAIN' }),
      'auth',
      'mqtt: TLS: the certificate of 127.0.0.1:1883 is not trusted (SELF_SIGNED_CERT_IN_CHAIN)',
    ],
    [
      Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }),
      'auth',
      'mqtt: TLS: the certificate of 127.0.0.1:1883 does not name this host (ERR_TLS_CERT_ALTNAME_INVALID)',
    ],
    [
      Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' }),
      'auth',
      'mqtt: TLS: the certificate of 127.0.0.1:1883 is not valid now (CERT_HAS_EXPIRED); check the clock',
    ],
    [new Error('something odd'), 'transient', 'mqtt: 127.0.0.1:1883: something odd'],
  ])('%s → %s: %s', (err, kind, message) => {
    const e = describeError(err, EP, 5000)
    expect(e.kind).toBe(kind)
    expect(e.message).toBe(message)
  })

  it('auth and TLS trust failures are not retryable; a refused connection is', () => {
    expect(describeError(Object.assign(new Error(''), { code: 5 }), EP, 5000).retryable).toBe(false)
    expect(describeError(Object.assign(new Error(''), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), EP, 5000).retryable).toBe(false)
    expect(describeError(Object.assign(new Error(''), { code: 'ECONNREFUSED' }), EP, 5000).retryable).toBe(true)
  })

  it('formats endpoints and durations', () => {
    expect(endpointOf({ host: '2001:db8::1', port: 8883 })).toBe('[2001:db8::1]:8883')
    expect(endpointOf({ host: 'broker.lan', port: 1883 })).toBe('broker.lan:1883')
    expect(seconds(500)).toBe('0.5 s')
  })
})

describe('MQTT client loading and ids', () => {
  it('loads only the client class of mqtt.js, lazily', async () => {
    const C = await loadClientClass()
    expect(typeof C).toBe('function')
    expect(typeof C.prototype.publish).toBe('function')
    expect(await loadClientClass()).toBe(C)
  })

  it('client ids: daemon stable, oneshot distinct per run, both at most 23 characters; client_id wins', () => {
    const t = agentTopics({ discoveryPrefix: 'homeassistant' }, '0123456789ab', 'gw')
    expect(clientIdFor({}, t, 'daemon')).toBe('edge-ddns-0123456789ab')
    const a = clientIdFor({}, t, 'oneshot')
    expect(a).toMatch(/^edge-ddns-01234567-[0-9a-f]{4}$/)
    expect(a.length).toBeLessThanOrEqual(23)
    expect(clientIdFor({ clientId: 'mine' }, t, 'oneshot')).toBe('mine')
  })

  it('exit code policy: MQTT counts only when required', () => {
    const failed = { ok: false }
    expect(exitCodeWithMqtt(0, { required: false }, failed)).toBe(0)
    expect(exitCodeWithMqtt(0, { required: true }, failed)).toBe(1)
    expect(exitCodeWithMqtt(0, { required: true }, { ok: true })).toBe(0)
    expect(exitCodeWithMqtt(78, { required: true }, failed)).toBe(78)
    expect(exitCodeWithMqtt(0, { required: true }, undefined)).toBe(0)
  })
})
