import { writeFileSync } from 'node:fs'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { parseMqttSection, type MqttConfig } from '../../src/report/mqtt/config.js'
import { buildDiscovery, buildState } from '../../src/report/mqtt/discovery.js'
import { exitCodeWithMqtt, openMqttSession, publishRun, type RunInput } from '../../src/report/mqtt/publish.js'
import { agentTopics } from '../../src/report/mqtt/topics.js'
import { freePort, mosquittoPeer, mosquittoSubOne, startMosquitto, TEST_PASSWORD, TEST_USER, type Mosquitto } from '../helpers/mosquitto.js'
import { mqttCtx, parseCtx, sampleSummary } from '../unit/mqtt/helpers.js'

/**
 * MQTT reporting against a real mosquitto (started by the test on free loopback ports), read back
 * with a real client (mqtt.js and mosquitto_sub). Time bounds are generous: they prove a call ends,
 * not that it is fast.
 */

const peer = mosquittoPeer()

let broker: Mosquitto

/** `[mqtt]` for the broker's listener `which`, with short timeouts. */
function cfgFor(which: 'plain' | 'auth' | 'tls', extra: Record<string, unknown> = {}): MqttConfig {
  const scheme = which === 'tls' ? 'mqtts' : 'mqtt'
  return parseMqttSection(
    { url: `${scheme}://127.0.0.1:${broker.ports[which]}`, connect_timeout: 2, publish_timeout: 3, ...extra },
    'mqtt',
    parseCtx(),
  )
}

function runFor(records: { name: string; type: 'A' | 'AAAA' }[], over: Parameters<typeof sampleSummary>[0] = {}): RunInput {
  const summary = sampleSummary({
    records: records.map((r) => ({ ...r, provider: 'cloudflare', entry: 'domains[0]', status: 'unchanged' as const, value: r.type === 'A' ? '192.0.2.10' : '2001:db8::10' })),
    counts: { updated: 0, created: 0, unchanged: records.length, missing: 0, failed: 0, skipped: 0 },
    ok: true,
    exitCode: 0,
    ...over,
  })
  return { summary, records }
}

const HOME_A = { name: 'home.example.com', type: 'A' as const }
const HOME_AAAA = { name: 'home.example.com', type: 'AAAA' as const }
const VPN_A = { name: 'vpn.example.com', type: 'A' as const }

/**
 * Every retained message under `filter`, read with mqtt.js: subscribe, then publish a marker and
 * wait for it (the broker sends retained messages first).
 */
async function retained(filter: string): Promise<Map<string, string>> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { reconnectPeriod: 0, connectTimeout: 5000 })
  const out = new Map<string, string>()
  const marker = `test/marker/${Math.random().toString(16).slice(2)}`
  try {
    const done = new Promise<void>((resolve) => {
      c.on('message', (topic, payload, packet) => {
        if (topic === marker) resolve()
        else if (packet.retain) out.set(topic, payload.toString('utf8'))
      })
    })
    await c.subscribeAsync([filter, marker], { qos: 1 })
    await c.publishAsync(marker, 'x', { qos: 1 })
    await done
  } finally {
    await c.endAsync()
  }
  return out
}

/**
 * A live subscriber recording every message published after it subscribed (the retained messages
 * sent at subscription are left out: it waits for its own marker before recording).
 */
async function watch(filters: string[]): Promise<{ got: { topic: string; payload: string }[]; close(): Promise<void> }> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { reconnectPeriod: 0 })
  const got: { topic: string; payload: string }[] = []
  const marker = `test/marker/${Math.random().toString(16).slice(2)}`
  let live = false
  let ready!: () => void
  const isReady = new Promise<void>((r) => (ready = r))
  c.on('message', (topic, payload) => {
    if (topic === marker) {
      live = true
      ready()
    } else if (live) got.push({ topic, payload: payload.toString('utf8') })
  })
  await c.subscribeAsync([...filters, marker], { qos: 1 })
  await c.publishAsync(marker, 'x', { qos: 1 })
  await isReady
  return { got, close: () => c.endAsync() }
}

async function publishOnce(topic: string, payload: string, retain = false): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { reconnectPeriod: 0 })
  await c.publishAsync(topic, payload, { qos: 1, retain })
  await c.endAsync()
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe.skipIf(!peer.ok)('MQTT reporting against a real mosquitto', () => {
  beforeAll(async () => {
    broker = await startMosquitto()
  })
  afterAll(async () => {
    await broker?.stop()
  })

  it('a oneshot run leaves the retained discovery configs, state and availability on the broker', async () => {
    const cfg = cfgFor('plain')
    const ctx = mqttCtx()
    // A failed run (one record updated, one failed, no IPv6) for an agent owning home A and AAAA.
    const run: RunInput = { summary: sampleSummary(), records: [HOME_A, HOME_AAAA] }
    const res = await publishRun(cfg, run, ctx, { mode: 'oneshot', deviceId: 'aaaaaaaaaaa1', hostname: 'router1' })
    expect(res).toEqual({ ok: true, cleared: [] })
    expect(ctx.lines).toContain(`info: mqtt: published the state and 7 discovery configs to 127.0.0.1:${broker.ports.plain} (edge-ddns/router1)`)

    const topics = agentTopics(cfg, 'aaaaaaaaaaa1', 'router1')
    const expected = buildDiscovery({ topics, mode: 'oneshot', hostname: 'router1', version: '1.2.3', records: run.records, expireAfterSec: 330 })
    const configs = await retained(topics.discoveryFilter)
    expect([...configs.keys()].sort()).toEqual(expected.map((m) => m.topic).sort())
    for (const m of expected) expect(JSON.parse(configs.get(m.topic) ?? 'null')).toEqual(m.payload)

    const base = await retained('edge-ddns/router1/#')
    expect(JSON.parse(base.get('edge-ddns/router1/state') ?? 'null')).toEqual(buildState(run.summary))
    expect(base.get('edge-ddns/router1/availability')).toBe('online')
    // The read-back marker is not retained.
    expect(base.has('edge-ddns/router1/sync')).toBe(false)
    // And the broker's own command-line client reads the same state.
    expect(JSON.parse(mosquittoSubOne(broker.ports.plain, 'edge-ddns/router1/state') ?? 'null')).toMatchObject({ ok: false, exitCode: 1 })
  })

  it('three agents on one broker keep their topics and unique ids apart', async () => {
    const agents = [
      { deviceId: 'bbbbbbbbbbb1', hostname: 'site-a', records: [HOME_A] },
      { deviceId: 'bbbbbbbbbbb2', hostname: 'site-b', records: [HOME_A] },
      { deviceId: 'bbbbbbbbbbb3', hostname: 'site-c', records: [VPN_A] },
    ]
    const cfg = cfgFor('plain')
    const results = await Promise.all(
      agents.map((a) => publishRun(cfg, runFor(a.records), mqttCtx(), { mode: 'oneshot', deviceId: a.deviceId, hostname: a.hostname })),
    )
    expect(results.map((r) => r.ok)).toEqual([true, true, true])
    const all = await retained('homeassistant/#')
    const uniqueIds: string[] = []
    for (const a of agents) {
      const t = agentTopics(cfg, a.deviceId, a.hostname)
      const mine = [...all].filter(([topic]) => topic.includes(`/${t.nodeId}/`))
      expect(mine).toHaveLength(6)
      for (const [, p] of mine) {
        const payload = JSON.parse(p) as { unique_id: string; state_topic?: string; device: { identifiers: string[] } }
        uniqueIds.push(payload.unique_id)
        expect(payload.device.identifiers).toEqual([t.nodeId])
        if (payload.state_topic) expect(payload.state_topic).toBe(`edge-ddns/${a.hostname}/state`)
      }
      const state = JSON.parse((await retained(t.state)).get(t.state) ?? 'null') as { records: { name: string }[] }
      expect(state.records.map((r) => r.name)).toEqual(a.records.map((r) => r.name))
    }
    expect(new Set(uniqueIds).size).toBe(uniqueIds.length)
  })

  it('a removed record gets its discovery config cleared (and the daemon button goes in oneshot)', async () => {
    const cfg = cfgFor('plain')
    const opts = { deviceId: 'ccccccccccc1', hostname: 'router-c' }
    const t = agentTopics(cfg, opts.deviceId, opts.hostname)
    const vpnTopic = `homeassistant/sensor/${t.nodeId}/record_vpn_example_com_a/config`
    const buttonTopic = `homeassistant/button/${t.nodeId}/update_now/config`

    const first = await publishRun(cfg, runFor([HOME_A, VPN_A]), mqttCtx(), { ...opts, mode: 'daemon' })
    expect(first.ok).toBe(true)
    const before = await retained(t.discoveryFilter)
    expect(before.has(vpnTopic)).toBe(true)
    expect(before.has(buttonTopic)).toBe(true)

    const ctx = mqttCtx()
    const second = await publishRun(cfg, runFor([HOME_A]), ctx, { ...opts, mode: 'oneshot' })
    expect(second.ok).toBe(true)
    expect(second.cleared?.sort()).toEqual([buttonTopic, vpnTopic].sort())
    expect(ctx.lines).toContain(`info: mqtt: cleared the discovery config ${vpnTopic} (no longer in the config)`)
    const after = await retained(t.discoveryFilter)
    expect(after.has(vpnTopic)).toBe(false)
    expect(after.has(buttonTopic)).toBe(false)
    expect(after.has(`homeassistant/sensor/${t.nodeId}/record_home_example_com_a/config`)).toBe(true)
    expect(after.size).toBe(6)
  })

  it('previousRecords from the state dir are cleared too', async () => {
    const cfg = cfgFor('plain', { discovery_prefix: 'ha-prev' })
    const opts = { mode: 'oneshot' as const, deviceId: 'ccccccccccc2', hostname: 'router-d' }
    const t = agentTopics(cfg, opts.deviceId, opts.hostname)
    // Retained by someone else's earlier run under this agent's node id.
    const stray = `ha-prev/sensor/${t.nodeId}/record_old_example_com_a/config`
    await publishOnce(stray, '{"name":"old"}', true)
    const res = await publishRun(cfg, { ...runFor([HOME_A]), previousRecords: [{ name: 'old.example.com', type: 'A' }, HOME_A] }, mqttCtx(), opts)
    expect(res.cleared).toEqual([stray])
    expect((await retained(t.discoveryFilter)).has(stray)).toBe(false)
  })

  it('lastChange is carried over from the retained state of the previous run', async () => {
    const cfg = cfgFor('plain')
    const opts = { mode: 'oneshot' as const, deviceId: 'ccccccccccc3', hostname: 'router-e' }
    const changed = runFor([HOME_A])
    changed.summary.records[0]!.status = 'updated'
    changed.summary.time = '2026-11-28T08:00:00.000Z'
    expect((await publishRun(cfg, changed, mqttCtx(), opts)).ok).toBe(true)
    const quiet = runFor([HOME_A])
    quiet.summary.time = '2026-11-29T08:00:00.000Z'
    expect((await publishRun(cfg, quiet, mqttCtx(), opts)).ok).toBe(true)
    const state = JSON.parse((await retained('edge-ddns/router-e/state')).get('edge-ddns/router-e/state') ?? 'null')
    expect(state).toMatchObject({ time: '2026-11-29T08:00:00.000Z', lastChange: '2026-11-28T08:00:00.000Z' })
  })

  it('discovery = false and retain = false: only state and availability, not retained', async () => {
    const cfg = cfgFor('plain', { discovery: false, retain: false })
    const opts = { mode: 'oneshot' as const, deviceId: 'ccccccccccc4', hostname: 'router-f' }
    const t = agentTopics(cfg, opts.deviceId, opts.hostname)
    const w = await watch([t.state, t.availability, t.discoveryFilter])
    const ctx = mqttCtx()
    expect(await publishRun(cfg, runFor([HOME_A]), ctx, opts)).toEqual({ ok: true, cleared: [] })
    await until(() => w.got.length >= 2)
    await w.close()
    expect(w.got.map((m) => m.topic).sort()).toEqual([t.availability, t.state])
    expect(ctx.lines).toContain(`info: mqtt: published the state to 127.0.0.1:${broker.ports.plain} (edge-ddns/router-f)`)
    expect((await retained('edge-ddns/router-f/#')).size).toBe(0)
  })

  it('password listener: the right password (BC-28 characters) works', async () => {
    const ctx = mqttCtx([TEST_PASSWORD])
    const res = await publishRun(cfgFor('auth', { username: TEST_USER, password: TEST_PASSWORD }), runFor([HOME_A]), ctx, {
      mode: 'oneshot',
      deviceId: 'ddddddddddd1',
      hostname: 'auth-ok',
    })
    expect(res).toEqual({ ok: true, cleared: [] })
  })

  it('bad password → a clear error that never contains the password', async () => {
    const password = 'Wr0ng&Secret#pw'
    const ctx = mqttCtx([password])
    const started = Date.now()
    const res = await publishRun(cfgFor('auth', { username: TEST_USER, password }), runFor([HOME_A]), ctx, {
      mode: 'oneshot',
      deviceId: 'ddddddddddd2',
      hostname: 'auth-bad',
    })
    expect(res.ok).toBe(false)
    expect(res.error?.message).toBe('mqtt: not authorised (bad username or password)')
    expect(res.error?.kind).toBe('auth')
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(ctx.lines).toContain(
      'warn: mqtt: not authorised (bad username or password) (check [mqtt] username and password, and that the broker listener accepts them)',
    )
    expect(ctx.lines.join('\n')).not.toContain(password)
    expect(ctx.lines.join('\n')).not.toContain(encodeURIComponent(password))
  })

  it('no credentials on the password listener → not authorised', async () => {
    const res = await publishRun(cfgFor('auth'), runFor([HOME_A]), mqttCtx(), { mode: 'oneshot', deviceId: 'ddddddddddd3', hostname: 'anon' })
    expect(res.error?.message).toBe('mqtt: not authorised (bad username or password)')
  })

  it('TLS with the CA the test generated works; by name (SNI) too', async () => {
    const byIp = await publishRun(cfgFor('tls', { ca: broker.caFile }), runFor([HOME_A]), mqttCtx(), {
      mode: 'oneshot',
      deviceId: 'eeeeeeeeeee1',
      hostname: 'tls-ok',
    })
    expect(byIp).toEqual({ ok: true, cleared: [] })
    const cfg = parseMqttSection({ url: `mqtts://localhost:${broker.ports.tls}`, ca: broker.caFile, connect_timeout: 2 }, 'mqtt', parseCtx())
    const byName = await publishRun(cfg, runFor([HOME_A]), mqttCtx(), { mode: 'oneshot', deviceId: 'eeeeeeeeeee2', hostname: 'tls-name' })
    expect(byName.ok).toBe(true)
    expect((await retained('edge-ddns/tls-ok/availability')).get('edge-ddns/tls-ok/availability')).toBe('online')
  })

  it('TLS with the wrong CA (or none) fails clearly', async () => {
    for (const extra of [{ ca: broker.wrongCaFile }, {}]) {
      const ctx = mqttCtx()
      const res = await publishRun(cfgFor('tls', extra), runFor([HOME_A]), ctx, { mode: 'oneshot', deviceId: 'eeeeeeeeeee3', hostname: 'tls-bad' })
      expect(res.ok).toBe(false)
      expect(res.error?.message).toMatch(
        new RegExp(`^mqtt: TLS: the certificate of 127\\.0\\.0\\.1:${broker.ports.tls} is not trusted \\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\\)$`),
      )
      expect(ctx.lines.join('\n')).toMatch(/set \[mqtt\] ca to the file of the CA/)
    }
  })

  it('an unreadable CA file is a clear error naming the key', async () => {
    const res = await publishRun(cfgFor('tls', { ca: '/nonexistent/ca.pem' }), runFor([HOME_A]), mqttCtx(), {
      mode: 'oneshot',
      deviceId: 'eeeeeeeeeee4',
      hostname: 'tls-nofile',
    })
    expect(res.error?.message).toBe('mqtt: cannot read the ca file /nonexistent/ca.pem (ENOENT)')
  })

  it('a CA file without a certificate leaves the broker untrusted', async () => {
    const bad = `${broker.dir}/not-a-ca.pem`
    writeFileSync(bad, 'hello\n')
    const res = await publishRun(cfgFor('tls', { ca: bad }), runFor([HOME_A]), mqttCtx(), { mode: 'oneshot', deviceId: 'eeeeeeeeeee5', hostname: 'tls-pem' })
    expect(res.error?.message).toMatch(/^mqtt: TLS: the certificate of 127\.0\.0\.1:\d+ is not trusted/)
  })

  it('a client key that is not PEM is a clear error, and a session with it does not crash', async () => {
    const bad = `${broker.dir}/not-a-key.pem`
    writeFileSync(bad, 'hello\n')
    const extra = { ca: broker.caFile, cert: bad, key: bad }
    const res = await publishRun(cfgFor('tls', extra), runFor([HOME_A]), mqttCtx(), { mode: 'oneshot', deviceId: 'eeeeeeeeeee6', hostname: 'tls-key' })
    expect(res.error?.message).toBe('mqtt: TLS: cannot use the [mqtt] ca/cert/key files (ERR_OSSL_PEM_NO_START_LINE)')
    expect(res.error?.kind).toBe('config')
    const session = await openMqttSession(cfgFor('tls', { ...extra, connect_timeout: 1 }), mqttCtx(), {
      deviceId: 'eeeeeeeeeee7',
      hostname: 'tls-key-daemon',
      reconnectPeriodMs: 100,
    })
    // Several reconnection attempts go by without an uncaught exception.
    await new Promise((r) => setTimeout(r, 400))
    expect(session.connected).toBe(false)
    await session.close()
  })

  it('broker down (closed port) → ok:false, the run ends within the timeouts', async () => {
    const port = await freePort()
    const cfg = parseMqttSection({ url: `mqtt://127.0.0.1:${port}`, connect_timeout: 1, publish_timeout: 1 }, 'mqtt', parseCtx())
    const started = Date.now()
    const res = await publishRun(cfg, runFor([HOME_A]), mqttCtx(), { mode: 'oneshot', deviceId: 'fffffffffff1', hostname: 'down' })
    expect(res.ok).toBe(false)
    expect(res.error?.message).toBe(`mqtt: connection refused by 127.0.0.1:${port}`)
    expect(Date.now() - started).toBeLessThan(8000)
    // The run's exit code is the DNS one unless MQTT is required.
    expect(exitCodeWithMqtt(0, cfg, res)).toBe(0)
    expect(exitCodeWithMqtt(0, { required: true }, res)).toBe(1)
    expect(exitCodeWithMqtt(1, { required: true }, res)).toBe(1)
  })

  it('a broker that accepts TCP but never answers CONNACK → ok:false within connect_timeout (+ margin)', async () => {
    const sockets = new Set<net.Socket>()
    let closed = 0
    const hole = net.createServer((s) => {
      sockets.add(s)
      s.on('error', () => {})
      s.on('close', () => closed++)
      // Read (and drop) the CONNECT, never answer.
      s.resume()
    })
    await new Promise<void>((r) => hole.listen(0, '127.0.0.1', () => r()))
    const port = (hole.address() as net.AddressInfo).port
    try {
      const cfg = parseMqttSection({ url: `mqtt://127.0.0.1:${port}`, connect_timeout: 1, publish_timeout: 1 }, 'mqtt', parseCtx())
      const ctx = mqttCtx()
      const started = Date.now()
      const res = await publishRun(cfg, runFor([HOME_A]), ctx, { mode: 'oneshot', deviceId: 'fffffffffff2', hostname: 'hang' })
      expect(res.ok).toBe(false)
      expect(res.error?.message).toBe(`mqtt: no answer (CONNACK) from 127.0.0.1:${port} within 1 s`)
      expect(Date.now() - started).toBeLessThan(8000)
      // The connection was given up, not left open.
      await until(() => sockets.size > 0 && closed === sockets.size)
    } finally {
      for (const s of sockets) s.destroy()
      await new Promise((r) => hole.close(r))
    }
  })

  it('an aborted run publishes nothing and returns at once', async () => {
    const ac = new AbortController()
    ac.abort()
    const res = await publishRun(cfgFor('plain'), runFor([HOME_A]), mqttCtx([], ac.signal), { mode: 'oneshot', deviceId: 'fffffffffff3', hostname: 'abort' })
    expect(res.error?.message).toBe('mqtt: not published: the run was aborted')
    expect((await retained('edge-ddns/abort/#')).size).toBe(0)
  })

  describe('daemon session', () => {
    it('publishes, re-publishes discovery when Home Assistant comes online, and takes the button press', async () => {
      const cfg = cfgFor('plain')
      const ctx = mqttCtx()
      const opts = { deviceId: '11111111111a', hostname: 'daemon-a', reconnectPeriodMs: 200 }
      const t = agentTopics(cfg, opts.deviceId, opts.hostname)
      const session = await openMqttSession(cfg, ctx, opts)
      try {
        expect(session.connected).toBe(true)
        const res = await session.publishRun(runFor([HOME_A]))
        expect(res).toEqual({ ok: true, cleared: [] })
        const configs = await retained(t.discoveryFilter)
        expect(configs.size).toBe(7)
        expect(configs.has(`homeassistant/button/${t.nodeId}/update_now/config`)).toBe(true)
        for (const p of configs.values()) expect(JSON.parse(p)).not.toHaveProperty('expire_after')
        expect((await retained(t.availability)).get(t.availability)).toBe('online')

        // An unchanged run does not publish discovery again.
        const w = await watch([t.discoveryFilter, t.state])
        expect((await session.publishRun(runFor([HOME_A]))).ok).toBe(true)
        await until(() => w.got.some((m) => m.topic === t.state))
        expect(w.got.filter((m) => m.topic.endsWith('/config'))).toEqual([])

        // Home Assistant's birth message: every config again.
        w.got.length = 0
        await publishOnce('homeassistant/status', 'online')
        await until(() => w.got.filter((m) => m.topic.endsWith('/config')).length >= 7)
        expect(new Set(w.got.filter((m) => m.topic.endsWith('/config')).map((m) => m.topic))).toEqual(new Set(configs.keys()))
        expect(ctx.lines).toContain('info: mqtt: Home Assistant is online; publishing discovery again')

        // A flood of birth messages coalesces: at most one re-publish waits at a time (review finding:
        // 2000 of them queued 2000 re-publishes ahead of the next cycle's publish).
        const before = ctx.lines.filter((l) => l.includes('publishing discovery again')).length
        const flood = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.plain}`, { reconnectPeriod: 0 })
        await Promise.all(Array.from({ length: 300 }, () => flood.publishAsync('homeassistant/status', 'online', { qos: 1 })))
        await flood.endAsync()
        await new Promise((r) => setTimeout(r, 1500))
        const republished = ctx.lines.filter((l) => l.includes('publishing discovery again')).length - before
        expect(republished).toBeGreaterThanOrEqual(1)
        expect(republished).toBeLessThan(30)
        await w.close()

        // "Update now".
        const pressed: string[] = []
        session.onCommand((c) => pressed.push(c))
        await publishOnce(t.command, 'update')
        await until(() => pressed.length === 1)
        expect(pressed).toEqual(['update'])
        await publishOnce(t.command, 'reboot')
        await until(() => ctx.lines.some((l) => l.includes('ignored an unknown command')))
        expect(pressed).toEqual(['update'])
      } finally {
        await session.close()
      }
      expect((await retained(t.availability)).get(t.availability)).toBe('offline')
      expect(session.connected).toBe(false)
    })

    it('the last will (registered in the CONNECT) says offline when the connection dies; back online after reconnecting', async () => {
      // A TCP proxy in front of the broker, so the test can cut the agent's connection without a DISCONNECT.
      const conns = new Set<net.Socket>()
      const proxy = net.createServer((client) => {
        const upstream = net.connect({ host: '127.0.0.1', port: broker.ports.plain })
        conns.add(client)
        conns.add(upstream)
        client.pipe(upstream).pipe(client)
        const kill = (): void => {
          client.destroy()
          upstream.destroy()
        }
        client.on('error', kill)
        upstream.on('error', kill)
        client.on('close', kill)
        upstream.on('close', kill)
      })
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()))
      const port = (proxy.address() as net.AddressInfo).port
      const cfg = parseMqttSection({ url: `mqtt://127.0.0.1:${port}`, connect_timeout: 2, publish_timeout: 3 }, 'mqtt', parseCtx())
      const opts = { deviceId: '22222222222b', hostname: 'daemon-will', reconnectPeriodMs: 300 }
      const t = agentTopics(cfg, opts.deviceId, opts.hostname)
      const ctx = mqttCtx()
      const session = await openMqttSession(cfg, ctx, opts)
      try {
        expect((await session.publishRun(runFor([HOME_A]))).ok).toBe(true)
        const w = await watch([t.availability])
        for (const s of conns) s.destroy()
        conns.clear()
        // The broker publishes the will, then the session reconnects and says online again.
        await until(() => w.got.some((m) => m.payload === 'offline'), 10_000)
        await until(() => w.got.some((m) => m.payload === 'online'), 10_000)
        expect(w.got.findIndex((m) => m.payload === 'offline')).toBeLessThan(w.got.findIndex((m) => m.payload === 'online'))
        await w.close()
        expect(ctx.lines).toContain(`warn: mqtt: lost the connection to 127.0.0.1:${port}; reconnecting every 0.3 s`)
        expect(ctx.lines).toContain(`info: mqtt: connected to 127.0.0.1:${port} again`)
      } finally {
        await session.close()
        for (const s of conns) s.destroy()
        await new Promise((r) => proxy.close(r))
      }
    })

    it('a session with a bad password says so once and stops reconnecting', async () => {
      const ctx = mqttCtx(['Wr0ng&Secret#pw'])
      const session = await openMqttSession(cfgFor('auth', { username: TEST_USER, password: 'Wr0ng&Secret#pw' }), ctx, {
        deviceId: '44444444444d',
        hostname: 'daemon-auth',
        reconnectPeriodMs: 100,
      })
      await new Promise((r) => setTimeout(r, 500))
      expect(session.connected).toBe(false)
      expect(ctx.lines.filter((l) => l.startsWith('warn: mqtt: not authorised'))).toHaveLength(1)
      expect(ctx.lines).toContain('error: mqtt: not reconnecting until the config changes')
      expect(ctx.lines.join('\n')).not.toContain('Wr0ng&Secret#pw')
      const res = await session.publishRun(runFor([HOME_A]))
      expect(res.error?.message).toMatch(/^mqtt: not connected to 127\.0\.0\.1:\d+ \(mqtt: not authorised \(bad username or password\)\)/)
      await session.close()
    })

    it('a session to a dead broker opens within connect_timeout, reports not connected, and closes', async () => {
      const port = await freePort()
      const cfg = parseMqttSection({ url: `mqtt://127.0.0.1:${port}`, connect_timeout: 1, publish_timeout: 1 }, 'mqtt', parseCtx())
      const ctx = mqttCtx()
      const started = Date.now()
      const session = await openMqttSession(cfg, ctx, { deviceId: '33333333333c', hostname: 'daemon-down', reconnectPeriodMs: 200 })
      expect(Date.now() - started).toBeLessThan(5000)
      expect(session.connected).toBe(false)
      const res = await session.publishRun(runFor([HOME_A]))
      expect(res.ok).toBe(false)
      expect(res.error?.message).toBe(
        `mqtt: not connected to 127.0.0.1:${port} (mqtt: connection refused by 127.0.0.1:${port}); the run will be published on reconnection`,
      )
      expect(ctx.lines).toContain(`warn: mqtt: connection refused by 127.0.0.1:${port}`)
      // Repeated refusals are not logged as warnings again.
      await new Promise((r) => setTimeout(r, 700))
      expect(ctx.lines.filter((l) => l.startsWith('warn: mqtt: connection refused'))).toHaveLength(1)
      const closing = Date.now()
      await session.close()
      expect(Date.now() - closing).toBeLessThan(5000)
    })
  })
})
