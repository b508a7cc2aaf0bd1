import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { detectViaNetifd, parseNetifdStatus, type UbusRunner } from '../../../src/detect/netifd.js'
import { notesOf } from '../../../src/detect/source.js'
import type { NetifdSourceSpec } from '../../../src/detect/types.js'
import { DOCS, STRICT } from './fake-ctx.js'
import { failureOf } from '../../helpers/errors.js'

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'netifd')
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8')

const wan: NetifdSourceSpec = { kind: 'netifd', label: 'wan', name: 'wan' }
const wan6: NetifdSourceSpec = { kind: 'netifd', label: 'wan6', name: 'wan6' }
const opts = { timeoutMs: 1500 }

/** A ubus stand-in answering from fixtures by object name, recording its calls. */
function ubus(files: Record<string, string>): UbusRunner & { calls: { args: string[]; timeoutMs: number }[] } {
  const calls: { args: string[]; timeoutMs: number }[] = []
  const run: UbusRunner = async (args, o) => {
    calls.push({ args, timeoutMs: o.timeoutMs })
    const obj = args[1] ?? ''
    const file = files[obj]
    if (file === undefined) {
      throw Object.assign(new Error('Command failed: ubus call'), { code: 4, stderr: 'Command failed: Not found\n' })
    }
    return fixture(file)
  }
  return Object.assign(run, { calls })
}

describe('netifd source', () => {
  it('reads ipv4-address of a PPPoE WAN through `ubus call network.interface.wan status`', async () => {
    const run = ubus({ 'network.interface.wan': 'wan-pppoe.json' })
    expect(await detectViaNetifd(wan, 4, DOCS, opts, run)).toEqual({ address: '198.51.100.23' })
    expect(run.calls).toEqual([{ args: ['call', 'network.interface.wan', 'status'], timeoutMs: 1500 }])
  })

  it('reads ipv6-address, skips a deprecated one and reports the delegated prefix as a note', async () => {
    const run = ubus({ 'network.interface.wan6': 'wan6.json' })
    const r = await detectViaNetifd(wan6, 6, DOCS, opts, run)
    expect(r.address).toBe('2001:db8:0:ffff::1234')
    expect(r.notes).toEqual(['delegated prefix 2001:db8:100::/56', 'skipped 2001:db8:0:ffff::1 is deprecated (preferred lifetime 0)'])
  })

  it('BC-17: a CGNAT WAN address is refused with the reason', async () => {
    const run = ubus({ 'network.interface.wan': 'wan-cgnat.json' })
    const e = await failureOf(detectViaNetifd(wan, 4, STRICT, opts, run))
    expect(e.kind).toBe('detect')
    expect(e.message).toBe('no public IPv4 address on wan: 100.72.13.5 is CGNAT (RFC 6598)')
  })

  it('an interface without addresses of the family says so', async () => {
    const e = await failureOf(detectViaNetifd(wan, 6, DOCS, opts, ubus({ 'network.interface.wan': 'wan-pppoe.json' })))
    expect(e.message).toBe('no IPv6 address on wan')
  })

  it('a down interface is an error', async () => {
    const e = await failureOf(detectViaNetifd(wan, 4, DOCS, opts, ubus({ 'network.interface.wan': 'wan-down.json' })))
    expect(e.message).toBe('netifd interface wan is down')
    expect(e.code).toBe('DOWN')
    expect(notesOf(e)).toBeUndefined()
  })

  it('a failure still carries the delegated prefix for `detect`', async () => {
    const down = JSON.stringify({ ...(JSON.parse(fixture('wan6.json')) as object), up: false })
    const e = await failureOf(detectViaNetifd(wan6, 6, DOCS, opts, async () => down))
    expect(e.message).toBe('netifd interface wan6 is down')
    expect(notesOf(e)).toEqual(['delegated prefix 2001:db8:100::/56'])
  })

  it('an unknown logical interface names it, with a hint', async () => {
    const e = await failureOf(detectViaNetifd({ ...wan, name: 'wan9' }, 4, DOCS, opts, ubus({})))
    expect(e.kind).toBe('detect')
    expect(e.message).toBe('netifd has no interface named wan9 (ubus: Command failed: Not found)')
    expect(e.hint).toMatch(/\/etc\/config\/network/)
  })

  it('missing ubus (not OpenWrt) is a clear error', async () => {
    const run: UbusRunner = async () => {
      throw Object.assign(new Error('spawn ubus ENOENT'), { code: 'ENOENT' })
    }
    const e = await failureOf(detectViaNetifd(wan, 4, DOCS, opts, run))
    expect(e.message).toBe('ubus not found: the netifd source works only on OpenWrt')
    expect(e.retryable).toBe(false)
  })

  it('a ubus call killed by its timeout is transient', async () => {
    const run: UbusRunner = async () => {
      throw Object.assign(new Error('Command failed'), { killed: true, signal: 'SIGTERM', code: null })
    }
    const e = await failureOf(detectViaNetifd(wan, 4, DOCS, opts, run))
    expect(e.kind).toBe('transient')
    expect(e.message).toContain('no answer within 1500 ms')
  })

  it('an answer that is not JSON is a protocol error', async () => {
    const e = await failureOf(detectViaNetifd(wan, 4, DOCS, opts, async () => 'Command failed'))
    expect(e.kind).toBe('protocol')
  })

  it('parseNetifdStatus keeps only well-formed entries', () => {
    const st = parseNetifdStatus(
      JSON.stringify({ up: true, 'ipv4-address': [{ address: '198.51.100.1', mask: 24 }, { mask: 8 }, 'x'], 'ipv6-prefix': [{ address: '2001:db8::' }] }),
      'wan',
    )
    expect(st).toEqual({ up: true, ipv4: ['198.51.100.1'], ipv6: [], prefixes: [] })
  })
})
