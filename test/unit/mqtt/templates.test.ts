import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { buildDiscovery, buildState } from '../../../src/report/mqtt/discovery.js'
import { agentTopics } from '../../../src/report/mqtt/topics.js'
import { sampleSummary } from './helpers.js'

/**
 * The value and attribute templates of every discovery payload, rendered by the real Jinja2 (the
 * engine Home Assistant's templates run on) against the state message, in a sandbox with
 * StrictUndefined: stricter than Home Assistant, so a template that passes here cannot hit an
 * undefined value there. Home Assistant's MQTT sensor reads the rendered text `None` as "unknown".
 *
 * Peer: python3 with jinja2 (Debian package python3-jinja2).
 */

const RENDER = `
import json, sys
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
out = []
for job in json.load(sys.stdin):
    value = job["payload"]
    out.append(env.from_string(job["template"]).render(value=value, value_json=json.loads(value), entity_id="sensor.x"))
print(json.dumps(out))
`

// Debian's python3-jinja2 installs for /usr/bin/python3, which a python3 earlier on PATH (pyenv,
// a virtualenv) does not see: try the system one first.
let python = '/usr/bin/python3'

function jinjaPeer(): boolean {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      execFileSync(candidate, ['-c', 'import jinja2'], { stdio: 'ignore' })
      python = candidate
      return true
    } catch {
      /* try the next one */
    }
  }
  {
    if (process.env.CI) throw new Error('CI is set and python3 with jinja2 is missing (apt-get install python3-jinja2)')
    console.warn('\n*** SKIPPING Home Assistant template tests: python3 with jinja2 is missing (apt-get install python3-jinja2) ***\n')
    return false
  }
}

function render(jobs: { template: string; payload: string }[]): string[] {
  return JSON.parse(execFileSync(python, ['-c', RENDER], { input: JSON.stringify(jobs), encoding: 'utf8' })) as string[]
}

const topics = agentTopics({ discoveryPrefix: 'homeassistant' }, '0123456789ab', 'router')
const msgs = buildDiscovery({
  topics,
  mode: 'daemon',
  hostname: 'router',
  version: '1.2.3',
  records: [
    { name: 'home.example.com', type: 'A' },
    { name: 'vpn.example.com', type: 'A' },
    { name: 'home.example.com', type: 'AAAA' },
  ],
  expireAfterSec: 0,
})

/** Renders value_template and json_attributes_template of every entity against `state`. */
function renderAll(state: object): Record<string, { value?: string; attrs?: unknown }> {
  const payload = JSON.stringify(state)
  const jobs: { id: string; kind: 'value' | 'attrs'; template: string; payload: string }[] = []
  for (const m of msgs) {
    if (typeof m.payload.value_template === 'string') jobs.push({ id: m.objectId, kind: 'value', template: m.payload.value_template, payload })
    if (typeof m.payload.json_attributes_template === 'string') {
      jobs.push({ id: m.objectId, kind: 'attrs', template: m.payload.json_attributes_template, payload })
    }
  }
  const out = render(jobs)
  const res: Record<string, { value?: string; attrs?: unknown }> = {}
  jobs.forEach((j, i) => {
    const r = (res[j.id] ??= {})
    const text = (out[i] ?? '').trim()
    if (j.kind === 'value') r.value = text
    else r.attrs = JSON.parse(text)
  })
  return res
}

const peer = jinjaPeer()

describe.skipIf(!peer)('Home Assistant templates (real Jinja2)', () => {
  it('a failed run: addresses, problem ON with the error, per-record value and outcome', () => {
    const r = renderAll(buildState(sampleSummary()))
    expect(r.wan_ipv4).toEqual({ value: '192.0.2.10', attrs: { address: '192.0.2.10', source: 'opendns' } })
    expect(r.wan_ipv6).toEqual({ value: 'None', attrs: { error: 'ipify: timeout after 10 s' } })
    expect(r.last_run?.value).toBe('2026-11-29T12:00:00.000Z')
    expect(r.last_run?.attrs).toEqual({
      duration_ms: 412,
      exit_code: 1,
      ok: false,
      counts: { updated: 1, created: 0, unchanged: 0, missing: 0, failed: 1, skipped: 0 },
      version: '1.2.3',
    })
    expect(r.last_change?.value).toBe('2026-11-29T12:00:00.000Z')
    expect(r.problem).toEqual({
      value: 'ON',
      attrs: {
        error: 'IPv6: ipify: timeout after 10 s; vpn.example.com A: cloudflare: HTTP 403 from api.cloudflare.com: Invalid token',
        exit_code: 1,
      },
    })
    expect(r.record_home_example_com_a).toEqual({
      value: '192.0.2.10',
      attrs: { outcome: 'updated', provider: 'cloudflare', value: '192.0.2.10', previous: ['198.51.100.7'], error: '', warnings: [] },
    })
    expect(r.record_vpn_example_com_a?.value).toBe('None')
    expect(r.record_vpn_example_com_a?.attrs).toMatchObject({ outcome: 'failed', error: 'cloudflare: HTTP 403 from api.cloudflare.com: Invalid token' })
    // A configured record the run did not report.
    expect(r.record_home_example_com_aaaa).toEqual({ value: 'None', attrs: { outcome: 'not in the last run' } })
  })

  it('a good run without a change: problem OFF, last change unknown when never seen', () => {
    const s = sampleSummary({
      detected: { ipv4: { address: '192.0.2.10', source: 'opendns' } },
      records: [{ name: 'home.example.com', type: 'A', provider: 'cloudflare', entry: 'domains[0]', status: 'unchanged', value: '192.0.2.10' }],
      counts: { updated: 0, created: 0, unchanged: 1, missing: 0, failed: 0, skipped: 0 },
      ok: true,
      exitCode: 0,
    })
    const r = renderAll(buildState(s))
    expect(r.problem).toEqual({ value: 'OFF', attrs: { error: '', exit_code: 0 } })
    expect(r.last_change?.value).toBe('None')
    expect(r.wan_ipv6).toEqual({ value: 'None', attrs: {} })
    expect(r.record_home_example_com_a?.value).toBe('192.0.2.10')
    const carried = renderAll(buildState(s, { lastChange: '2026-11-28T08:00:00.000Z' }))
    expect(carried.last_change?.value).toBe('2026-11-28T08:00:00.000Z')
  })
})
