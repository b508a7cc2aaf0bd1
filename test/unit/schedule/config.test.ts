import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config/load.js'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { daemonSettings, parseDaemonSection, parseStateSection, stateSettings } from '../../../src/schedule/config.js'

describe('[state] and [daemon]', () => {
  it('defaults: verify_every 1h, backoff_max 1h, no force_update_after; interval 5m with 30s jitter, watch every 5s', () => {
    expect(stateSettings({ extra: {} })).toEqual({ verifyEveryMs: 3_600_000, backoffMaxMs: 3_600_000 })
    expect(daemonSettings({ extra: {} })).toEqual({ intervalMs: 300_000, jitterMs: 30_000, watch: true, watchEveryMs: 5_000 })
    expect(parseDaemonSection({ interval: '24h' }, 'daemon').jitterMs).toBe(60_000)
  })

  it.each([
    [{ interval: '30s' }, { intervalMs: 30_000, jitterMs: 3_000 }],
    [{ interval: 90 }, { intervalMs: 90_000 }],
    [{ interval: '24h', jitter: 0 }, { intervalMs: 86_400_000, jitterMs: 0 }],
    [{ watch: false, watch_every: '2s' }, { watch: false, watchEveryMs: 2_000 }],
  ])('[daemon] %j', (t, want) => {
    expect(parseDaemonSection(t, 'daemon')).toMatchObject(want)
  })

  it.each([
    [{ dir: '/var/lib/x', verify_every: '30m', force_update_after: '25d', backoff_max: '2h' }, { dir: '/var/lib/x', verifyEveryMs: 1_800_000, forceUpdateAfterMs: 25 * 86_400_000, backoffMaxMs: 7_200_000 }],
    [{ force_update_after: false }, { verifyEveryMs: 3_600_000 }],
    [{ force_update_after: 'off' }, { verifyEveryMs: 3_600_000 }],
  ])('[state] %j', (t, want) => {
    const s = parseStateSection(t, 'state')
    expect(s).toMatchObject(want)
    if (!('force_update_after' in t) || t.force_update_after === false || t.force_update_after === 'off') expect(s.forceUpdateAfterMs).toBeUndefined()
  })

  it.each([
    [{ interval: 'soon' }, 'daemon.interval: is not a duration'],
    [{ interval: '5m', jitter: '10m' }, 'daemon.jitter: must not exceed the interval'],
    [{ interval: 0 }, 'daemon.interval: must be at least'],
    [{ every: '5m' }, 'daemon.every: unknown key'],
    [{ watch: 'yes' }, 'daemon.watch: expected true or false'],
  ])('rejects [daemon] %j', (t, msg) => {
    expect(() => parseDaemonSection(t, 'daemon')).toThrow(ConfigError)
    expect(() => parseDaemonSection(t, 'daemon')).toThrow(msg)
  })

  it.each([
    [{ verify_every: '10s' }, 'state.verify_every: must be at least 1m'],
    [{ force_update_after: '5m' }, 'state.force_update_after: must be at least 1h'],
    [{ force_update_after: true }, 'state.force_update_after: expected a duration'],
    [{ dir: 7 }, 'state.dir: expected a string'],
    [{ path: '/x' }, 'state.path: unknown key'],
  ])('rejects [state] %j', (t, msg) => {
    expect(() => parseStateSection(t, 'state')).toThrow(msg)
  })

  it('the config stage takes the sections from the registry (a bad one is a config error: exit 78)', () => {
    const files: Record<string, string> = {
      '/ok.toml': '[state]\ndir = "/tmp/x"\n[daemon]\ninterval = "10m"\n',
      '/bad.toml': '[daemon]\ninterval = "often"\n',
    }
    const load = (path: string) => loadConfig({ path, env: {}, redactor: new Redactor(), readFile: (p) => files[p]! })
    const { config } = load('/ok.toml')
    expect(stateSettings(config).dir).toBe('/tmp/x')
    expect(daemonSettings(config).intervalMs).toBe(600_000)
    expect(() => load('/bad.toml')).toThrow(/daemon\.interval/)
  })
})
