import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { FakeRouter, HOTPLUG, type Shell, shells } from './router.js'

// The hook waits 2 s after the last event of a burst before it triggers. These bounds are generous
// limits for the test to end, not speed claims.
const TRIGGER_WAIT_MS = 10_000
const QUIET_AFTER_MS = 3_000

/**
 * A router root for the hook: IPKG_INSTROOT points its absolute paths (/var/run,
 * /etc/init.d/edge-ddns) here. The stand-in init script logs each call to triggers.log.
 */
class HookRouter extends FakeRouter {
  readonly log: string
  readonly stamp: string
  constructor(uci: Record<string, string> = {}) {
    super({ uci })
    this.log = join(this.dir, 'triggers.log')
    this.stamp = join(this.dir, 'var', 'run', 'edge-ddns.hotplug')
    mkdirSync(join(this.dir, 'var', 'run'), { recursive: true })
    const init = join(this.dir, 'etc', 'init.d', 'edge-ddns')
    mkdirSync(join(this.dir, 'etc', 'init.d'), { recursive: true })
    writeFileSync(init, `#!/bin/sh\nprintf '%s\\n' "$*" >>'${this.log}'\n`)
    chmodSync(init, 0o755)
  }

  triggers(): string[] {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8').split('\n').filter((l) => l !== '') : []
  }

  /** One netifd event: hotplug-call sources the hook in a subshell with these variables. */
  event(shell: Shell, vars: Record<string, string>): Promise<number | null> {
    return new Promise((resolve, reject) => {
      const child = spawn(shell.argv[0]!, [...shell.argv.slice(1), '-c', '( . "$1" )', 'hotplug-call', HOTPLUG], {
        env: this.environment({ IPKG_INSTROOT: this.dir, ...vars }),
        stdio: 'ignore',
      })
      child.on('error', reject)
      child.on('close', resolve)
    })
  }
}

/** Runs `fn` with its own router root (the tests run concurrently: each waits for the hook's 2 s). */
async function withRouter(uci: Record<string, string>, fn: (r: HookRouter) => Promise<void>): Promise<void> {
  const r = new HookRouter({ interface: 'wan wan6', ...uci })
  try {
    await fn(r)
  } finally {
    r.cleanup()
  }
}

async function waitFor(cond: () => boolean, limitMs: number): Promise<void> {
  const end = Date.now() + limitMs
  while (!cond() && Date.now() < end) await sleep(50)
}

const all = shells()

describe.concurrent('openwrt/files/edge-ddns.hotplug (/etc/hotplug.d/iface/95-edge-ddns)', () => {
  it.for(all)('BC-33: two ifup events 100 ms apart give one trigger ($name)', async (shell, { expect }) => {
    await withRouter({}, async (r) => {
      const first = r.event(shell, { ACTION: 'ifup', INTERFACE: 'wan', DEVICE: 'pppoe-wan' })
      await sleep(100)
      const second = r.event(shell, { ACTION: 'ifup', INTERFACE: 'wan6', DEVICE: 'pppoe-wan' })
      // hotplug-call runs the hook synchronously: it must return at once, not after the debounce.
      expect(await first).toBe(0)
      expect(await second).toBe(0)
      expect(r.triggers()).toEqual([])
      await waitFor(() => r.triggers().length > 0, TRIGGER_WAIT_MS)
      await sleep(QUIET_AFTER_MS)
      expect(r.triggers()).toEqual(['trigger'])
    })
  })

  it.for(all)('an ifupdate with a new address triggers ($name)', async (shell, { expect }) => {
    await withRouter({}, async (r) => {
      expect(await r.event(shell, { ACTION: 'ifupdate', INTERFACE: 'wan', IFUPDATE_ADDRESSES: '1' })).toBe(0)
      await waitFor(() => r.triggers().length > 0, TRIGGER_WAIT_MS)
      expect(r.triggers()).toEqual(['trigger'])
    })
  })

  it.for(all)('the interfaces come from UCI option interface ($name)', async (shell, { expect }) => {
    await withRouter({ interface: 'wanb' }, async (r) => {
      await r.event(shell, { ACTION: 'ifup', INTERFACE: 'wan' })
      expect(existsSync(r.stamp)).toBe(false)
      await r.event(shell, { ACTION: 'ifup', INTERFACE: 'wanb' })
      await waitFor(() => r.triggers().length > 0, TRIGGER_WAIT_MS)
      expect(r.triggers()).toEqual(['trigger'])
    })
  })

  it.for(all)('an ifup of a non-WAN interface gives no trigger, now or later ($name)', async (shell, { expect }) => {
    await withRouter({}, async (r) => {
      expect(await r.event(shell, { ACTION: 'ifup', INTERFACE: 'lan', DEVICE: 'br-lan' })).toBe(0)
      // No token written means no waiting subshell was started.
      expect(existsSync(r.stamp)).toBe(false)
      await sleep(QUIET_AFTER_MS)
      expect(r.triggers()).toEqual([])
    })
  })

  it.for([
    ['ifdown of wan', { ACTION: 'ifdown', INTERFACE: 'wan' }, {}],
    ['ifupdate of wan with only new routes', { ACTION: 'ifupdate', INTERFACE: 'wan', IFUPDATE_ROUTES: '1' }, {}],
    ['ifup of wan with the service disabled', { ACTION: 'ifup', INTERFACE: 'wan' }, { enabled: '0' }],
  ] as const)('%s: no trigger', async ([, vars, uci], { expect }) => {
    for (const shell of all) {
      await withRouter(uci, async (r) => {
        expect(await r.event(shell, vars)).toBe(0)
        expect(existsSync(r.stamp)).toBe(false)
        expect(r.triggers()).toEqual([])
      })
    }
  })
})
