import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLE, ROOT } from '../helpers/bundle.js'
import { startCloudflare, type FakeCloudflare } from '../helpers/cloudflare-server.js'
import { startMyIpServer, type TestDnsServer } from '../helpers/dns-server.js'
import { boot, ensureRootfs, have, run, sleep, type Container } from './container.js'

// The real proof of issue 7: a minimal Debian 12 boots with systemd under systemd-nspawn, the .deb
// is installed into it with dpkg, and the units run for real against local servers on the host
// (a DNS "what is my IP" server and a fake Cloudflare API on 127.0.0.1; the container shares the
// host's network). The journal must show a clean run as a dynamic user, under the whole sandbox:
// MemoryDenyWriteExecute=, the system call filter, RestrictAddressFamilies=, ProcSubset=pid …
//
// Needs root, and the Debian packages debootstrap, systemd-container (systemd-nspawn) and
// iproute2 (ip, for the interface check's network namespace). Node is the host's, bound read-only
// into the container at /usr/bin/node (the package's Depends is forced: there is no nodejs package
// in the container). Run: npm run test:sandbox

const isRoot = process.getuid?.() === 0
const tools = ['systemd-nspawn', 'nsenter', 'dpkg-deb', 'ip'].filter((t) => !have(t, t === 'ip' ? ['-V'] : ['--version']))
const rootfs = join(ROOT, '.cache', 'nspawn-root')
const needDebootstrap = !existsSync(join(rootfs, '.edge-ddns-rootfs'))
if (needDebootstrap && !have('debootstrap', ['--version'])) tools.push('debootstrap')

let why = ''
if (!isRoot) why = 'not root: systemd-nspawn and network namespaces need root'
else if (tools.length) why = `missing ${tools.join(', ')} (apt-get install debootstrap systemd-container iproute2)`
if (why) {
  if (process.env.CI && isRoot) {
    it('the nspawn sandbox test can run (required under CI as root)', () => {
      expect.fail(why)
    })
  } else console.warn(`\n*** SKIPPED the systemd-nspawn sandbox test: ${why} ***\n`)
}

const TOKEN = 'sandbox-token-0123456789'
const OLD = '192.0.2.1'
const NEW = '198.51.100.7'
/** systemd's range for DynamicUser= UIDs (61184–65519). */
const DYNAMIC_UIDS = [61184, 65519] as const

/** Does the bundle know `edge-ddns daemon` yet (issue 6)? */
function bundleHasDaemon(): boolean {
  const r = spawnSync(process.execPath, [BUNDLE, 'daemon', '--help'], { encoding: 'utf8', timeout: 30_000 })
  return !/unknown command 'daemon'/.test(r.stderr + r.stdout)
}

interface JournalEntry {
  MESSAGE?: string | number[]
  _UID?: string
  _PID?: string
  SYSLOG_IDENTIFIER?: string
}

describe.runIf(!why)('the units in a systemd-nspawn container (Debian 12)', () => {
  const machine = `edge-ddns-test-${process.pid}`
  const netns = `edge-ddns-if-${process.pid}`
  let c: Container
  let work = ''
  let debFile = ''
  let dns: TestDnsServer
  let cf: FakeCloudflare | undefined
  let netnsMade = false

  const sh = (args: string[], ms?: number) => c.exec(args, ms)
  const show = async (unit: string, ...props: string[]) => {
    const r = await sh(['systemctl', 'show', unit, ...props.map((p) => `--property=${p}`)])
    return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  }
  /** The unit's journal since `cursor`, as entries (MESSAGE as text). */
  const journal = async (unit: string, since?: string) => {
    const r = await sh(['journalctl', '--no-pager', '-o', 'json', `--unit=${unit}`, ...(since ? [`--after-cursor=${since}`] : [])])
    return r.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JournalEntry & { __CURSOR: string })
      .map((e) => ({ ...e, text: Array.isArray(e.MESSAGE) ? Buffer.from(e.MESSAGE).toString('utf8') : String(e.MESSAGE ?? '') }))
  }
  const cursor = async () => {
    const r = await sh(['journalctl', '--no-pager', '-o', 'json', '-n', '1'])
    return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { __CURSOR?: string }).__CURSOR
  }

  /** A fresh fake Cloudflare with home.example.com A OLD, and the config + env file in the container. */
  async function freshWorld(extra = ''): Promise<void> {
    await cf?.close()
    cf = await startCloudflare({ token: TOKEN, zones: [{ name: 'example.com', records: [{ type: 'A', name: 'home', content: OLD }] }] })
    c.write(
      '/etc/edge-ddns/edge-ddns.toml',
      [
        '[detect]',
        `ipv4 = [{ dns = "127.0.0.1:${dns.port}", name = "myip.opendns.com", type = "A" }]`,
        'ipv6 = []',
        'allow_documentation = true',
        '',
        '[[domains]]',
        'type = "cloudflare"',
        'token = "{{CF_TOKEN}}"',
        'zone = "example.com"',
        'records = ["home.example.com"]',
        `base_url = "${cf.url}"`,
        extra,
        '',
      ].join('\n'),
    )
    c.write('/etc/edge-ddns/edge-ddns.env', `CF_TOKEN=${TOKEN}\n`, 0o600)
    // A new world: the state of earlier runs (StateDirectory=, shared by both units) must not
    // vouch for a record the new fake holds differently.
    await sh(['systemctl', 'clean', '--what=state', 'edge-ddns.service'])
  }
  const record = () => cf!.records('example.com').find((r) => r.type === 'A')?.content

  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run build first`)
    await ensureRootfs(rootfs, (l) => console.log(l))
    work = mkdtempSync(join(tmpdir(), 'edge-ddns-sandbox-'))
    execFileSync(process.execPath, [join(ROOT, 'build', 'deb.mjs'), '--out', work], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
    debFile = readdirSync(work).find((f) => f.endsWith('.deb'))!

    // The interface check's network: a veth pair in its own namespace, holding an IPv4 and a stable
    // and a deprecated IPv6 documentation address (the deprecated one added last, so an
    // enumeration without flags would list it first).
    const ip = (...a: string[]) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'pipe'] })
    ip('netns', 'add', netns)
    netnsMade = true
    ip('-n', netns, 'link', 'set', 'lo', 'up')
    ip('-n', netns, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1')
    ip('-n', netns, 'link', 'set', 'v0', 'up')
    ip('-n', netns, 'link', 'set', 'v1', 'up')
    ip('-n', netns, 'addr', 'add', '2001:db8::7/64', 'dev', 'v0', 'nodad')
    ip('-n', netns, 'addr', 'add', '2001:db8::99/64', 'dev', 'v0', 'nodad', 'preferred_lft', '0', 'valid_lft', 'forever')
    ip('-n', netns, 'addr', 'add', '192.0.2.7/24', 'dev', 'v0')

    dns = await startMyIpServer({ v4: NEW })
    c = await boot(rootfs, machine, [
      { host: process.execPath, container: '/usr/bin/node', readOnly: true },
      { host: work, container: '/mnt/edge-ddns', readOnly: true },
      { host: `/run/netns/${netns}`, container: '/run/netns/edge-ddns-if', readOnly: true },
    ])
  })

  afterAll(async () => {
    await c?.stop()
    await cf?.close()
    await dns?.close()
    if (netnsMade) spawnSync('ip', ['netns', 'del', netns])
    if (work) rmSync(work, { recursive: true, force: true })
  })

  it('installs the .deb with dpkg and starts or enables nothing', async () => {
    const r = await sh(['dpkg', '--force-depends', '-i', `/mnt/edge-ddns/${debFile}`])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    for (const u of ['edge-ddns.timer', 'edge-ddns.service', 'edge-ddns-daemon.service']) {
      expect((await show(u, 'LoadState', 'ActiveState', 'UnitFileState'))).toEqual({ LoadState: 'loaded', ActiveState: 'inactive', UnitFileState: 'disabled' })
    }
  })

  it('the oneshot unit runs clean as a dynamic user and fixes the record', async () => {
    await freshWorld()
    const since = await cursor()
    const r = await sh(['systemctl', 'start', 'edge-ddns.service'])
    const entries = await journal('edge-ddns.service', since)
    const log = entries.map((e) => e.text).join('\n')
    expect(r.code, `${r.stderr}\n${log}`).toBe(0)
    // `systemctl show` cannot tell: a finished oneshot is unloaded and shows defaults. The journal
    // keeps what systemd saw: a clean exit 0 (a failure logs "Main process exited, code=…").
    expect(log).toContain('edge-ddns.service: Deactivated successfully.')
    expect(log).not.toContain('Main process exited')
    expect(log).toContain(`home.example.com A: updated ${OLD} -> ${NEW}`)
    expect(log).not.toMatch(/SIGSYS|status=31|Warning|error:/)
    expect(record()).toBe(NEW)
    expect(cf!.writes().map((w) => w.method)).toEqual(['PATCH'])

    // The agent's own lines come from a dynamic user's process.
    const own = entries.filter((e) => e.text.includes('home.example.com A: updated'))
    expect(own.length).toBe(1)
    const uid = Number(own[0]!._UID)
    expect(uid).toBeGreaterThanOrEqual(DYNAMIC_UIDS[0])
    expect(uid).toBeLessThanOrEqual(DYNAMIC_UIDS[1])
    // StateDirectory= with DynamicUser=: /var/lib/private/edge-ddns, 0700, owned by that user.
    const st = await sh(['stat', '-c', '%a %u', '/var/lib/private/edge-ddns'])
    expect(st.stdout.trim()).toBe(`700 ${uid}`)
    expect((await sh(['readlink', '/var/lib/edge-ddns'])).stdout.trim()).toBe('private/edge-ddns')
  })

  it('a second run finds the record right and writes nothing', async () => {
    const since = await cursor()
    const r = await sh(['systemctl', 'start', 'edge-ddns.service'])
    expect(r.code).toBe(0)
    expect(cf!.writes()).toHaveLength(1)
    const log = (await journal('edge-ddns.service', since)).map((e) => e.text).join('\n')
    expect(log).not.toContain('updated')
  })

  /** Runs edge-ddns.service once with a runtime drop-in; returns its journal and final state. */
  async function runWithDropIn(dropIn: string): Promise<{ code: number | null; log: string; state: Record<string, string> }> {
    c.write('/run/systemd/system/edge-ddns.service.d/50-test.conf', `[Service]\n${dropIn}\n`)
    try {
      await sh(['systemctl', 'daemon-reload'])
      const since = await cursor()
      const r = await sh(['systemctl', 'start', 'edge-ddns.service'])
      const log = (await journal('edge-ddns.service', since)).map((e) => e.text).join('\n')
      const state = await show('edge-ddns.service', 'Result', 'ExecMainStatus')
      return { code: r.code, log, state }
    } finally {
      rmSync(`/proc/${c.pid}/root/run/systemd/system/edge-ddns.service.d`, { recursive: true, force: true })
      await sh(['systemctl', 'daemon-reload'])
      await sh(['systemctl', 'reset-failed', 'edge-ddns.service'])
    }
  }
  /** The real unit, moved into the namespace holding v0 and asked to detect only, with `config`. */
  const ifcheck = (config: string) =>
    `NetworkNamespacePath=/run/netns/edge-ddns-if\nExecStart=\nExecStart=/usr/bin/edge-ddns detect -c /etc/edge-ddns/${config} --json`

  it('BC-35: under the unit\'s sandbox the interface source lists addresses (AF_NETLINK) and sees IPv6 flags (ProcSubset=pid)', async () => {
    // IPv4 comes from getifaddrs (netlink); IPv6 flags from /proc/self/net/if_inet6.
    c.write('/etc/edge-ddns/ifcheck.toml', '[detect]\nipv4 = ["interface:v0"]\nipv6 = ["interface:v0"]\nallow_documentation = true\n')
    c.write('/etc/edge-ddns/ifcheck4.toml', '[detect]\nipv4 = ["interface:v0"]\nipv6 = []\nallow_documentation = true\n')
    const { code, log } = await runWithDropIn(ifcheck('ifcheck.toml'))
    expect(code, log).toBe(0)
    expect(log).not.toMatch(/cannot list network interfaces|sandbox/)
    const json = JSON.parse(log.slice(log.indexOf('['), log.lastIndexOf(']') + 1)) as { family: number; address: string | null }[]
    expect(json.find((f) => f.family === 4)?.address).toBe('192.0.2.7')
    // 2001:db8::99 is deprecated (preferred_lft 0) and listed first by getifaddrs: only its flag in
    // /proc/self/net/if_inet6 rules it out.
    expect(json.find((f) => f.family === 6)?.address).toBe('2001:db8::7')
    expect(log).toContain('skipped 2001:db8::99 is deprecated')
  })

  // The sandbox bites: each setting the agent depends on, taken away, breaks it the way the unit's
  // comments say. (So the clean runs above really ran under these settings.)
  it.each([
    {
      what: 'without AF_NETLINK the interface source reports the sandbox, not "no address" (BC-35)',
      dropIn: `${ifcheck('ifcheck4.toml')}\nRestrictAddressFamilies=\nRestrictAddressFamilies=AF_INET AF_INET6`,
      expectLog: /cannot list network interfaces to read v0[\s\S]*AF_NETLINK/,
      status: '1',
    },
    {
      what: 'without @pkey in the system call filter node dies of SIGSYS (pkey_alloc)',
      dropIn: 'SystemCallFilter=\nSystemCallFilter=@system-service\nSystemCallFilter=~@privileged @resources',
      expectLog: /status=31\/SYS/,
      status: '31',
    },
    {
      what: 'without --jitless node aborts under MemoryDenyWriteExecute=',
      dropIn: 'Environment=NODE_OPTIONS=',
      expectLog: /SetPermissions|Fatal error|status=5\/TRAP/,
      status: '5',
    },
  ])('$what', async ({ dropIn, expectLog, status }) => {
    const before = cf!.writes().length
    const { code, log, state } = await runWithDropIn(dropIn)
    expect(code, log).not.toBe(0)
    expect(log).toMatch(expectLog)
    expect(state.ExecMainStatus).toBe(status)
    expect(cf!.writes().length).toBe(before)
  })

  it('the timer can be started and schedules the next run', async () => {
    expect((await sh(['systemctl', 'start', 'edge-ddns.timer'])).code).toBe(0)
    const t = await show('edge-ddns.timer', 'ActiveState', 'NextElapseUSecRealtime')
    expect(t.ActiveState).toBe('active')
    expect(t.NextElapseUSecRealtime).not.toBe('')
  })

  const hasDaemon = existsSync(BUNDLE) && bundleHasDaemon()
  if (!hasDaemon) console.warn('\n*** SKIPPED the daemon unit in the sandbox: this bundle has no `edge-ddns daemon` command yet (issue 6) ***\n')

  describe.runIf(hasDaemon)('edge-ddns-daemon.service', () => {
    let mainPid = ''

    it('starts as a dynamic user, stops the timer (Conflicts=) and fixes the record', async () => {
      await freshWorld()
      const r = await sh(['systemctl', 'start', 'edge-ddns-daemon.service'])
      expect(r.code, r.stderr).toBe(0)
      const deadline = Date.now() + 60_000
      while (record() !== NEW && Date.now() < deadline) await sleep(200)
      expect(record()).toBe(NEW)
      const s = await show('edge-ddns-daemon.service', 'ActiveState', 'MainPID')
      expect(s.ActiveState).toBe('active')
      mainPid = s.MainPID!
      const status = await sh(['cat', `/proc/${mainPid}/status`])
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status.stdout)?.[1])
      expect(uid).toBeGreaterThanOrEqual(DYNAMIC_UIDS[0])
      expect(uid).toBeLessThanOrEqual(DYNAMIC_UIDS[1])
      expect((await show('edge-ddns.timer', 'ActiveState')).ActiveState).toBe('inactive')
    })

    it('systemctl reload (SIGHUP) keeps the same process', async () => {
      expect((await sh(['systemctl', 'reload', 'edge-ddns-daemon.service'])).code).toBe(0)
      await sleep(2000)
      expect(await show('edge-ddns-daemon.service', 'ActiveState', 'MainPID')).toEqual({ ActiveState: 'active', MainPID: mainPid })
    })

    it('systemctl stop ends it cleanly (exit 0 on SIGTERM)', async () => {
      const since = await cursor()
      expect((await sh(['systemctl', 'stop', 'edge-ddns-daemon.service'])).code).toBe(0)
      // A stopped unit is unloaded (`systemctl show` gives defaults); the journal says how it ended:
      // exit 0 logs "Deactivated successfully", anything else "Main process exited, code=…".
      const log = (await journal('edge-ddns-daemon.service', since)).map((e) => e.text).join('\n')
      expect(log).toContain('edge-ddns-daemon.service: Deactivated successfully.')
      expect(log).not.toContain('Main process exited')
      const all = (await journal('edge-ddns-daemon.service')).map((e) => e.text).join('\n')
      expect(all).not.toMatch(/SIGSYS|status=31|Warning|error:/)
    })

    it('a bad config exits 78 and is not restarted (RestartPreventExitStatus=78)', async () => {
      await freshWorld('bogus_key = 1')
      await sh(['systemctl', 'reset-failed', 'edge-ddns-daemon.service'])
      await sh(['systemctl', 'start', 'edge-ddns-daemon.service'])
      const deadline = Date.now() + 30_000
      let s: Record<string, string> = {}
      while (Date.now() < deadline) {
        s = await show('edge-ddns-daemon.service', 'ActiveState', 'SubState', 'ExecMainStatus', 'NRestarts')
        if (s.ActiveState === 'failed' || s.SubState === 'auto-restart') break
        await sleep(200)
      }
      // Without RestartPreventExitStatus= it would sit in auto-restart for RestartSec= instead.
      expect(s).toEqual({ ActiveState: 'failed', SubState: 'failed', ExecMainStatus: '78', NRestarts: '0' })
      expect(cf!.requests).toEqual([])
    })
  })
})
