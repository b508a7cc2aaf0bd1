import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Call, FakeRouter, INIT, LAUNCHER, type RouterOptions, shells } from './router.js'

const BUNDLE = '/usr/lib/edge-ddns/edge-ddns.mjs'
const STATE = '/tmp/edge-ddns'
const NODE_FLAGS = ['--max-old-space-size=32', '--max-semi-space-size=1', '--jitless', '--no-expose-wasm']
const NET_MOUNTS = ['/etc/ssl', '/etc/hosts', '/etc/resolv.conf', '/tmp/resolv.conf', '/tmp/resolv.conf.d', '/bin/ubus']

const c = (name: string, ...args: string[]): Call => ({ name, args })

const routers: FakeRouter[] = []
function router(opts: RouterOptions = {}): FakeRouter {
  const r = new FakeRouter(opts)
  routers.push(r)
  return r
}
afterEach(() => {
  for (const r of routers.splice(0)) r.cleanup()
})

/** The exact declaration start_service makes for `runtime` on router `r` (jail on, env file there). */
function declaration(r: FakeRouter, runtime: 'node' | 'bun'): Call[] {
  const real = r.real[runtime]
  const flags = runtime === 'node' ? NODE_FLAGS : ['--smol']
  return [
    c('mkdir', '-p', STATE),
    c('chown', 'edge-ddns:edge-ddns', STATE),
    c('chmod', '0700', STATE),
    c('chown', 'edge-ddns:edge-ddns', r.env),
    c('chmod', '0600', r.env),
    c('procd_open_instance', 'daemon'),
    c('procd_set_param', 'command', real, ...flags, BUNDLE, 'daemon', '-c', r.config, '-e', r.env, '--state-dir', STATE),
    ...(runtime === 'bun' ? [c('procd_set_param', 'env', 'BUN_RUNTIME_TRANSPILER_CACHE_PATH=0')] : []),
    c('procd_set_param', 'user', 'edge-ddns'),
    c('procd_set_param', 'respawn', '3600', '5', '5'),
    c('procd_set_param', 'term_timeout', '10'),
    c('procd_set_param', 'stdout', '1'),
    c('procd_set_param', 'stderr', '1'),
    c('procd_set_param', 'file', '/etc/config/edge-ddns', r.config, r.env),
    c('procd_add_jail', 'edge-ddns', 'ubus', 'procfs', 'ronly'),
    c('procd_add_jail_mount', '/usr/lib/edge-ddns', real, join(r.dir, 'etc', 'edge-ddns'), ...NET_MOUNTS),
    c('procd_add_jail_mount_rw', STATE),
    c('procd_set_param', 'capabilities', '/etc/capabilities/edge-ddns.json'),
    c('procd_set_param', 'no_new_privs', '1'),
    c('procd_close_instance'),
  ]
}

function commandOf(calls: Call[]): string[] | undefined {
  return calls.find((x) => x.name === 'procd_set_param' && x.args[0] === 'command')?.args.slice(1)
}

/** The one logger call of a run that declared nothing, and the check that nothing else happened. */
function refusal(calls: Call[], r: FakeRouter): string {
  expect(calls.filter((x) => x.name.startsWith('procd_'))).toEqual([])
  expect(calls.filter((x) => ['mkdir', 'chown', 'chmod'].includes(x.name))).toEqual([])
  const logs = calls.filter((x) => x.name === 'logger')
  expect(logs).toHaveLength(1)
  expect(calls).toEqual([logs[0], c('rm', '-f', r.declared)])
  const args = logs[0]!.args
  expect(args.slice(0, 4)).toEqual(['-s', '-t', 'edge-ddns', '-p'])
  return `${args[4]} ${args[5]}`
}

describe('openwrt/files/edge-ddns.init', () => {
  it('is a procd init script with START/STOP and the trigger command for rc.common', () => {
    const text = readFileSync(INIT, 'utf8')
    expect(text.split('\n')[0]).toBe('#!/bin/sh /etc/rc.common')
    expect(text).toMatch(/^\tSTART=95$/m)
    expect(text).toMatch(/^\tSTOP=10$/m)
    expect(text).toMatch(/^\tUSE_PROCD=1$/m)
    expect(text).toMatch(/^extra_command "trigger" "Ask the running daemon for a cycle now \(SIGUSR1\)"$/m)
  })

  describe.each(shells())('under $name', (shell) => {
    it('runtime node: declares one jailed instance of node with the memory flags, as edge-ddns', () => {
      const r = router({ runtimes: ['node'] })
      const { calls, code } = r.init(shell, ['start_service'])
      expect(code).toBe(0)
      expect(calls).toEqual(declaration(r, 'node'))
    })

    it('runtime bun: declares bun with --smol and its transpiler cache off', () => {
      const r = router({ runtimes: ['bun'] })
      const { calls, code } = r.init(shell, ['start_service'])
      expect(code).toBe(0)
      expect(calls).toEqual(declaration(r, 'bun'))
    })

    it('runtime none: one clear log line and no instance, so procd has nothing to respawn (BC-33)', () => {
      const r = router({ runtimes: [] })
      const { calls, code } = r.init(shell, ['start_service'])
      expect(code).toBe(0)
      const line = refusal(calls, r)
      expect(line).toMatch(/^daemon\.err not started: no JavaScript runtime: neither node nor bun is in PATH/)
      expect(line).toContain('opkg install node')
      expect(line).toContain('option runtime')
    })

    it.each([
      ['auto', ['node', 'bun'], 'node'],
      ['bun', ['node', 'bun'], 'bun'],
      ['node', ['node', 'bun'], 'node'],
    ] as const)('option runtime %s with %j in PATH runs %s', (opt, present, chosen) => {
      const r = router({ runtimes: [...present], uci: { runtime: opt } })
      const { calls } = r.init(shell, ['start_service'])
      expect(commandOf(calls)?.[0]).toBe(r.real[chosen])
    })

    it('option runtime bun without bun: says bun is missing, declares nothing', () => {
      const r = router({ runtimes: ['node'], uci: { runtime: 'bun' } })
      const line = refusal(r.init(shell, ['start_service']).calls, r)
      expect(line).toMatch(/option runtime is 'bun' but bun is not in PATH/)
    })

    it('option runtime as a path: runs that binary (a node copied to the router)', () => {
      const r = router({ runtimes: [] })
      r.addRuntime('node')
      r.setUci({ runtime: r.real.node })
      const cmd = commandOf(r.init(shell, ['start_service']).calls)
      expect(cmd).toEqual([r.real.node, ...NODE_FLAGS, BUNDLE, 'daemon', '-c', r.config, '-e', r.env, '--state-dir', STATE])
    })

    it.each([
      [{ enabled: '0' }, /^daemon\.notice not started: disabled; set option enabled '1'/],
      [{ runtime: 'deno' }, /^daemon\.err not started: option runtime 'deno' must be auto, node, bun or an absolute path/],
      [{ log_level: 'verbose' }, /^daemon\.err not started: option log_level 'verbose' .* is not one of debug, info, warn, error/],
      [{ config: '/nonexistent/edge-ddns.toml' }, /^daemon\.err not started: config file \/nonexistent\/edge-ddns\.toml does not exist/],
      [{ config: 'edge-ddns.toml' }, /^daemon\.err not started: option config 'edge-ddns\.toml' .* must be an absolute path/],
    ])('UCI %j: one log line, no instance', (uci, message) => {
      const r = router({ runtimes: ['node'], uci })
      expect(refusal(r.init(shell, ['start_service']).calls, r)).toMatch(message)
    })

    it('no edge-ddns user: refuses, since procd would run the daemon as root', () => {
      const r = router({ runtimes: ['node'], user: false })
      expect(refusal(r.init(shell, ['start_service']).calls, r)).toMatch(/user edge-ddns does not exist; reinstall the package/)
    })

    it('option log_level: passed as -l after the state dir', () => {
      const r = router({ runtimes: ['node'], uci: { log_level: 'debug' } })
      expect(commandOf(r.init(shell, ['start_service']).calls)?.slice(-4)).toEqual(['--state-dir', STATE, '-l', 'debug'])
    })

    it('no env file: no -e, no chown of it, and it is not a watched file', () => {
      const r = router({ runtimes: ['node'], envFile: false })
      const { calls } = r.init(shell, ['start_service'])
      expect(commandOf(calls)).toEqual([r.real.node, ...NODE_FLAGS, BUNDLE, 'daemon', '-c', r.config, '--state-dir', STATE])
      expect(calls.filter((x) => x.args.includes(r.env))).toEqual([])
      expect(calls).toContainEqual(c('procd_set_param', 'file', '/etc/config/edge-ddns', r.config))
    })

    it.each([
      ['option jail 0', { uci: { jail: '0' } }],
      ['no /sbin/ujail', { ujail: false }],
    ])('%s: no jail, but still the edge-ddns user and the same command', (_label, opts) => {
      const r = router({ runtimes: ['node'], ...opts })
      const { calls } = r.init(shell, ['start_service'])
      const jailed = declaration(r, 'node')
      const jailOnly = ['procd_add_jail', 'procd_add_jail_mount', 'procd_add_jail_mount_rw']
      expect(calls).toEqual(
        jailed.filter((x) => !jailOnly.includes(x.name) && !(x.name === 'procd_set_param' && ['capabilities', 'no_new_privs'].includes(x.args[0]!))),
      )
    })

    it('a seccomp policy made for this router is declared inside the jail', () => {
      const r = router({ runtimes: ['node'], seccomp: true })
      const { calls } = r.init(shell, ['start_service'])
      expect(calls.at(-2)).toEqual(c('procd_set_param', 'seccomp', r.seccomp))
      expect(calls.at(-1)).toEqual(c('procd_close_instance'))
    })

    it('a symlink planted at the state dir is removed before the root chown', () => {
      const r = router({ runtimes: ['node'] })
      const state = join(r.dir, 'state')
      symlinkSync('/etc/shadow', state)
      const { calls } = r.init(shell, ['start_service'], { TEST_STATE_DIR: state })
      expect(calls.slice(0, 4)).toEqual([c('rm', '-f', state), c('mkdir', '-p', state), c('chown', 'edge-ddns:edge-ddns', state), c('chmod', '0700', state)])
    })

    describe('reload_service', () => {
      it('same UCI, instance running: SIGHUP only (the daemon re-reads TOML and env, same PID)', () => {
        const r = router({ runtimes: ['node'] })
        r.init(shell, ['start_service'])
        const { calls } = r.init(shell, ['reload_service'], { TEST_RUNNING: '1' })
        expect(calls).toEqual([c('procd_running', 'edge-ddns', 'daemon'), c('procd_send_signal', 'edge-ddns', '*', 'HUP')])
      })

      it.each([
        ['runtime node to bun', { runtime: 'bun' }],
        ['log_level set', { log_level: 'warn' }],
      ])('UCI change (%s): declares again, so procd restarts with the new command', (_label, change) => {
        const r = router({ runtimes: ['node', 'bun'] })
        r.init(shell, ['start_service'])
        r.setUci(change)
        const { calls } = r.init(shell, ['reload_service'], { TEST_RUNNING: '1' })
        expect(calls.slice(0, 2)).toEqual([c('procd_running', 'edge-ddns', 'daemon'), c('start')])
        expect(calls.filter((x) => x.name === 'procd_send_signal')).toEqual([])
        const cmd = commandOf(calls)
        if ('runtime' in change) expect(cmd?.[0]).toBe(r.real.bun)
        else expect(cmd?.slice(-2)).toEqual(['-l', 'warn'])
      })

      it('instance not running (e.g. procd gave up after a crash loop): declares again', () => {
        const r = router({ runtimes: ['node'] })
        r.init(shell, ['start_service'])
        const { calls } = r.init(shell, ['reload_service'], { TEST_RUNNING: '0' })
        expect(calls.slice(0, 2)).toEqual([c('procd_running', 'edge-ddns', 'daemon'), c('start')])
        expect(calls).toContainEqual(c('procd_open_instance', 'daemon'))
      })

      it('disabled in UCI: declares again with no instance, so procd stops it', () => {
        const r = router({ runtimes: ['node'] })
        r.init(shell, ['start_service'])
        r.setUci({ enabled: '0' })
        const { calls } = r.init(shell, ['reload_service'], { TEST_RUNNING: '1' })
        expect(calls[0]).toEqual(c('start'))
        expect(calls.filter((x) => x.name === 'procd_open_instance')).toEqual([])
      })
    })

    it('trigger: SIGUSR1 to the instance through procd', () => {
      const r = router({ runtimes: ['node'] })
      expect(r.init(shell, ['trigger']).calls).toEqual([c('procd_send_signal', 'edge-ddns', '*', 'USR1')])
    })

    describe('a signal waits until the instance is 10 s old (before that, Node would open its inspector on SIGUSR1)', () => {
      it('trigger to an instance started just now: sleeps the rest of the 10 s first', () => {
        const r = router({ runtimes: ['node'] })
        const young = spawn('sleep', ['30'], { stdio: 'ignore' })
        try {
          const { calls } = r.init(shell, ['trigger'], { TEST_PID: String(young.pid) })
          expect(calls).toHaveLength(2)
          expect(calls[0]!.name).toBe('sleep')
          expect(['9', '10']).toContain(calls[0]!.args[0])
          expect(calls[1]).toEqual(c('procd_send_signal', 'edge-ddns', '*', 'USR1'))
        } finally {
          young.kill()
        }
      })

      it('reload (SIGHUP) to an instance started just now waits too', () => {
        const r = router({ runtimes: ['node'] })
        r.init(shell, ['start_service'])
        const young = spawn('sleep', ['30'], { stdio: 'ignore' })
        try {
          const { calls } = r.init(shell, ['reload_service'], { TEST_RUNNING: '1', TEST_PID: String(young.pid) })
          expect(calls.map((x) => x.name)).toEqual(['procd_running', 'sleep', 'procd_send_signal'])
          expect(calls[2]).toEqual(c('procd_send_signal', 'edge-ddns', '*', 'HUP'))
        } finally {
          young.kill()
        }
      })

      it.each([
        ['older than the wait (PID 1, settle 1 s)', { TEST_PID: '1', TEST_SETTLE: '1' }],
        ['whose PID is gone', { TEST_PID: '999999999' }],
        ['not running (procd lists no instance)', {}],
      ])('trigger to an instance %s: no wait', (_label, env) => {
        const r = router({ runtimes: ['node'] })
        expect(r.init(shell, ['trigger'], env).calls).toEqual([c('procd_send_signal', 'edge-ddns', '*', 'USR1')])
      })
    })

    it('service_triggers: the UCI reload trigger only, no interface trigger (the hotplug hook is the WAN path)', () => {
      const r = router({ runtimes: ['node'] })
      expect(r.init(shell, ['service_triggers']).calls).toEqual([c('procd_add_reload_trigger', 'edge-ddns')])
    })

    it('stop_service forgets the declaration, so the next reload declares again', () => {
      const r = router({ runtimes: ['node'] })
      r.init(shell, ['start_service'])
      expect(existsSync(r.declared)).toBe(true)
      expect(r.init(shell, ['stop_service']).calls).toEqual([c('rm', '-f', r.declared)])
    })
  })
})

describe('openwrt/files/edge-ddns.sh (/usr/bin/edge-ddns)', () => {
  function launch(r: FakeRouter, args: string[]): { code: number | null; out: string[]; stderr: string } {
    const res = spawnSync('/bin/sh', [LAUNCHER, ...args], { env: r.environment(), encoding: 'utf8', timeout: 20_000 })
    return { code: res.status, out: res.stdout.split('\n').filter((l) => l !== ''), stderr: res.stderr }
  }

  it('node: the same flags as the service, then the bundle and the arguments', () => {
    const r = router({ runtimes: ['node'] })
    const { code, out } = launch(r, ['check', '-c', '/etc/edge-ddns/edge-ddns.toml'])
    expect(code).toBe(0)
    expect(out).toEqual([...NODE_FLAGS, BUNDLE, 'check', '-c', '/etc/edge-ddns/edge-ddns.toml', 'BUN_RUNTIME_TRANSPILER_CACHE_PATH='])
  })

  it('bun (auto, no node): --smol and the transpiler cache off', () => {
    const r = router({ runtimes: ['bun'] })
    const { out } = launch(r, ['detect'])
    expect(out).toEqual(['--smol', BUNDLE, 'detect', 'BUN_RUNTIME_TRANSPILER_CACHE_PATH=0'])
  })

  it('no runtime: exit 127 and a message that says what to install', () => {
    const r = router({ runtimes: [] })
    const { code, stderr, out } = launch(r, ['check'])
    expect(code).toBe(127)
    expect(out).toEqual([])
    expect(stderr).toMatch(/no JavaScript runtime: neither node nor bun is in PATH; install node/)
  })
})
