import { describe, expect, it } from 'vitest'
import { DROP_IN, readUnit, SERVICES, single, values, words } from './unit-file.js'

// Static checks of systemd/: what each unit must say, read from the files themselves. The
// measured checks (systemd-analyze verify and security) are in analyze.test.ts; the real run is
// `npm run test:sandbox`.

/** The sandbox both services share (issue 7), one setting per row. */
const SANDBOX: [key: string, value: string][] = [
  ['DynamicUser', 'yes'],
  ['StateDirectory', 'edge-ddns'],
  ['StateDirectoryMode', '0700'],
  ['UMask', '0077'],
  ['CapabilityBoundingSet', ''],
  ['AmbientCapabilities', ''],
  ['NoNewPrivileges', 'yes'],
  ['ProtectSystem', 'strict'],
  ['ProtectHome', 'yes'],
  ['PrivateTmp', 'yes'],
  ['PrivateDevices', 'yes'],
  ['PrivateUsers', 'yes'],
  ['PrivateMounts', 'yes'],
  ['PrivateIPC', 'yes'],
  ['RemoveIPC', 'yes'],
  ['KeyringMode', 'private'],
  ['ProtectClock', 'yes'],
  ['ProtectKernelTunables', 'yes'],
  ['ProtectKernelModules', 'yes'],
  ['ProtectKernelLogs', 'yes'],
  ['ProtectControlGroups', 'yes'],
  ['ProtectHostname', 'yes'],
  ['ProtectProc', 'invisible'],
  ['ProcSubset', 'pid'],
  ['RestrictNamespaces', 'yes'],
  ['RestrictRealtime', 'yes'],
  ['RestrictSUIDSGID', 'yes'],
  ['LockPersonality', 'yes'],
  ['MemoryDenyWriteExecute', 'yes'],
  ['SystemCallArchitectures', 'native'],
  ['Environment', 'NODE_OPTIONS=--jitless'],
  ['EnvironmentFile', '-/etc/edge-ddns/edge-ddns.env'],
]

/** Settings that may differ between the oneshot and the daemon; everything else must match. */
const PER_UNIT = new Set(['Type', 'ExecStart', 'ExecReload', 'Restart', 'RestartSec', 'RestartPreventExitStatus', 'TimeoutStartSec', 'TimeoutStopSec', 'SuccessExitStatus'])

describe.each(SERVICES)('%s', (name) => {
  const unit = readUnit(name)

  it.each(SANDBOX)('sets %s=%s', (key, value) => {
    expect(values(unit, 'Service', key)).toEqual([value])
  })

  it('BC-35: RestrictAddressFamilies= keeps AF_NETLINK, so the interface source can list addresses', () => {
    expect(words(unit, 'Service', 'RestrictAddressFamilies')).toContain('AF_NETLINK')
  })

  it('allows exactly AF_INET, AF_INET6 and AF_NETLINK sockets (no AF_UNIX, no deny-list form)', () => {
    expect(words(unit, 'Service', 'RestrictAddressFamilies').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK'])
  })

  it('filters system calls: @system-service plus @pkey (node 20 calls pkey_alloc), minus @privileged @resources', () => {
    const filters = values(unit, 'Service', 'SystemCallFilter')
    expect(filters).toHaveLength(2)
    expect(filters[0]!.split(/\s+/).sort()).toEqual(['@pkey', '@system-service'])
    expect(filters[1]!.startsWith('~')).toBe(true)
    expect(filters[1]!.slice(1).split(/\s+/).sort()).toEqual(['@privileged', '@resources'])
  })

  it('starts the launcher with the config path, so a missing config is an error (exit 78), not a detect-only run', () => {
    const exec = single(unit, 'Service', 'ExecStart')
    expect(exec).toMatch(/^\/usr\/bin\/edge-ddns (run|daemon) -c \/etc\/edge-ddns\/edge-ddns\.toml$/)
  })

  it('documents LoadCredential= with the config\'s credential helper as the better way to pass secrets', () => {
    expect(unit.comments).toMatch(/LoadCredential=[\w.-]+:\/etc\/edge-ddns\//)
    expect(unit.comments).toContain('{{credential "')
  })

  it('orders itself after the network is up', () => {
    expect(words(unit, 'Unit', 'After')).toContain('network-online.target')
    expect(words(unit, 'Unit', 'Wants')).toContain('network-online.target')
  })

  it('sets nothing twice by accident (each single-valued setting once)', () => {
    const lists = new Set(['SystemCallFilter', 'RestrictAddressFamilies', 'Environment', 'After', 'Wants'])
    const seen = new Map<string, number>()
    for (const a of unit.assignments) if (!lists.has(a.key)) seen.set(`${a.section}.${a.key}`, (seen.get(`${a.section}.${a.key}`) ?? 0) + 1)
    expect([...seen].filter(([, n]) => n > 1)).toEqual([])
  })
})

describe('edge-ddns.service (oneshot)', () => {
  const unit = readUnit('edge-ddns.service')
  it('is a oneshot that runs `edge-ddns run`', () => {
    expect(single(unit, 'Service', 'Type')).toBe('oneshot')
    expect(single(unit, 'Service', 'ExecStart')).toBe('/usr/bin/edge-ddns run -c /etc/edge-ddns/edge-ddns.toml')
  })
  it('BC-30: a deferral for an unsynchronised clock (exit 75) is not a failed unit', () => {
    expect(words(unit, 'Service', 'SuccessExitStatus')).toEqual(['75'])
  })
  it('has a bound on a hung run', () => {
    expect(single(unit, 'Service', 'TimeoutStartSec')).toMatch(/^\d+(min|s)$/)
  })
})

describe('edge-ddns-daemon.service', () => {
  const unit = readUnit('edge-ddns-daemon.service')
  it('is Type=exec (Node and Bun cannot sd_notify) and runs `edge-ddns daemon`', () => {
    expect(single(unit, 'Service', 'Type')).toBe('exec')
    expect(single(unit, 'Service', 'ExecStart')).toBe('/usr/bin/edge-ddns daemon -c /etc/edge-ddns/edge-ddns.toml')
  })
  it('restarts on failure but not after a config error (78), so a bad config does not loop', () => {
    expect(single(unit, 'Service', 'Restart')).toBe('on-failure')
    expect(words(unit, 'Service', 'RestartPreventExitStatus')).toEqual(['78'])
    expect(single(unit, 'Service', 'RestartSec')).toMatch(/^\d+s$/)
  })
  it('reloads with SIGHUP to its main process', () => {
    expect(single(unit, 'Service', 'ExecReload')).toMatch(/kill -HUP "\$MAINPID"/)
  })
  it('cannot run together with the timer (two agents would race on one state file)', () => {
    expect(words(unit, 'Unit', 'Conflicts')).toContain('edge-ddns.timer')
  })
})

describe('the two services share one sandbox', () => {
  it('every setting outside the per-unit ones is the same in both', () => {
    const pick = (name: string) =>
      readUnit(name)
        .assignments.filter((a) => a.section === 'Service' && !PER_UNIT.has(a.key))
        .map((a) => `${a.key}=${a.value}`)
        .sort()
    expect(pick('edge-ddns-daemon.service')).toEqual(pick('edge-ddns.service'))
  })
})

describe('edge-ddns.timer', () => {
  const unit = readUnit('edge-ddns.timer')
  it('fires every 5 minutes with a randomized, per-host stable delay, and catches up after downtime', () => {
    expect(single(unit, 'Timer', 'OnCalendar')).toBe('*:0/5')
    const delay = /^(\d+)min$/.exec(single(unit, 'Timer', 'RandomizedDelaySec'))
    expect(delay, 'RandomizedDelaySec in minutes').not.toBeNull()
    expect(Number(delay![1])).toBeGreaterThan(0)
    expect(Number(delay![1])).toBeLessThan(5)
    expect(single(unit, 'Timer', 'FixedRandomDelay')).toBe('yes')
    expect(single(unit, 'Timer', 'Persistent')).toBe('yes')
  })
  it('starts edge-ddns.service (the default Unit= of edge-ddns.timer) and is enabled under timers.target', () => {
    expect(values(unit, 'Timer', 'Unit')).toEqual([])
    expect(single(unit, 'Install', 'WantedBy')).toBe('timers.target')
  })
})

describe('fixed-endpoints.conf.example', () => {
  const dropIn = readUnit(DROP_IN)
  it('denies every address and allows loopback plus the user\'s own servers', () => {
    expect(values(dropIn, 'Service', 'IPAddressDeny')).toEqual(['any'])
    const allow = words(dropIn, 'Service', 'IPAddressAllow')
    expect(allow).toContain('localhost')
    expect(allow.length).toBeGreaterThan(1)
  })
  it('says how to install it', () => {
    expect(dropIn.comments).toContain('/etc/systemd/system/edge-ddns.service.d/fixed-endpoints.conf')
  })
})
