import { spawn } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBundle } from '../../build/bundle.mjs'
import { runtimes } from '../helpers/bundle.js'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startHttpEcho, type HttpEcho } from '../helpers/http-echo.js'
import { mosquittoPeer, mosquittoSubOne, startMosquitto, type Mosquitto } from '../helpers/mosquitto.js'

// The bundle's MQTT path end to end, against a real mosquitto: the bundle uses build/stubs/ in
// place of lru-cache, rfdc (QoS 1 publishes are cloned before they are stored), bl (the CONNACK,
// SUBACK, PUBACK and the retained configs read back are parsed through it), debug,
// worker-timers, readable-stream and mqtt's package.json, and loads Node's built-ins lazily. The
// source-level MQTT tests (test/integration/mqtt.test.ts) use the real packages; this proves the
// slimmed bundle does the same job on every runtime.

const WAN = '203.0.113.9'
const STALE = '198.51.100.1'
const TOKEN = 'cfBundleMqtt_abcdefghijklmnopqrstuvwxyz01'

const peer = mosquittoPeer()
if (!peer.ok) it.skip(`SKIPPED: ${peer.reason}`, () => {})

describe.skipIf(!peer.ok)('the bundle publishes to a real mosquitto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-bundle-mqtt-'))
  let bundle: string
  let broker: Mosquitto
  let cf: FakeCloudflare
  let echo: HttpEcho
  beforeAll(async () => {
    bundle = join(dir, 'edge-ddns.mjs')
    await buildBundle({ outfile: bundle })
    broker = await startMosquitto()
    echo = await startHttpEcho({ body: `${WAN}\n` })
  }, 120_000)
  afterAll(async () => {
    await broker?.stop()
    await echo?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  describe.each(runtimes())('under $name', (rt) => {
    if (!rt.bin) {
      it.skipIf(!process.env.CI)(`SKIPPED: ${rt.why}`, () => {})
      if (process.env.CI) it(`${rt.name} must be available under CI`, () => expect.fail(rt.why))
      return
    }
    const base = `edge-ddns/bundle-${rt.name.replace(/[^a-z0-9]+/gi, '-')}`

    it('a oneshot run that updates a record leaves state, availability and discovery retained', async () => {
      cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home.example.com', content: STALE }] }] })
      try {
        const alone = mkdtempSync(join(dir, 'run-'))
        const copy = join(alone, 'edge-ddns.mjs')
        copyFileSync(bundle, copy)
        const cfg = join(alone, 'edge-ddns.toml')
        writeFileSync(
          cfg,
          `[detect]
ipv4 = ["${echo.url4}/ip"]
allow_documentation = true

[[domains]]
type = "cloudflare"
token = "${TOKEN}"
zone = "example.com"
records = ["home.example.com"]
base_url = "${cf.url}"

[mqtt]
url = "mqtt://127.0.0.1:${broker.ports.plain}"
base_topic = "${base}"
qos = 1
required = true
`,
          { mode: 0o600 },
        )
        const r = await run(rt.bin!, [copy, 'run', '-c', cfg], alone)
        expect(r.stderr).not.toMatch(/TypeError|is not a function|ReferenceError|please report/)
        expect(r.status, r.stderr).toBe(0)
        expect(r.stderr).toMatch(/mqtt: published the state and \d+ discovery configs/)
        expect(cf.records('example.com')[0]!.content).toBe(WAN)

        const state = JSON.parse(mosquittoSubOne(broker.ports.plain, `${base}/state`) ?? 'null') as {
          ok: boolean
          records: { name: string; type: string; status: string; value?: string }[]
        }
        expect(state).toMatchObject({ ok: true })
        expect(state.records).toEqual([expect.objectContaining({ name: 'home.example.com', type: 'A', status: 'updated' })])
        expect(mosquittoSubOne(broker.ports.plain, `${base}/availability`)).toBe('online')
        const config = JSON.parse(mosquittoSubOne(broker.ports.plain, 'homeassistant/sensor/+/record_home_example_com_a/config') ?? 'null') as {
          state_topic?: string
        } | null
        expect(config?.state_topic).toBeDefined()
      } finally {
        await cf.close()
      }
    })
  })
})

/** Runs a child without blocking this process, whose event loop serves the local stand-ins. */
function run(bin: string, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (status) => {
      clearTimeout(timer)
      resolve({ status, stdout, stderr })
    })
  })
}
