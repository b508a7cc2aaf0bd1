import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DEVICE_ID_FILE, hashDeviceId, resolveDeviceId } from '../../../src/report/mqtt/device.js'

const MACHINE_ID = '3d1219c7c4c5404aaa1f6d2a48adfda4'
const dirs: string[] = []
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'edge-ddns-devid-'))
  dirs.push(d)
  return d
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

describe('device id', () => {
  it('hashes the machine-id with the app salt and never publishes it raw', async () => {
    const d = tmp()
    writeFileSync(join(d, 'machine-id'), `${MACHINE_ID}\n`)
    const id = await resolveDeviceId({ hostname: 'gw', machineIdPaths: [join(d, 'machine-id')] })
    expect(id.source).toBe('machine-id')
    expect(id.id).toMatch(/^[0-9a-f]{12}$/)
    expect(MACHINE_ID).not.toContain(id.id)
    expect(id.id).toBe(hashDeviceId('machine-id', MACHINE_ID))
    // Stable: the same machine gives the same id.
    expect((await resolveDeviceId({ hostname: 'other', machineIdPaths: [join(d, 'machine-id')] })).id).toBe(id.id)
  })

  it('falls back to the dbus machine-id path, skipping an uninitialised one', async () => {
    const d = tmp()
    writeFileSync(join(d, 'etc'), 'uninitialized\n')
    writeFileSync(join(d, 'dbus'), `${MACHINE_ID}\n`)
    const id = await resolveDeviceId({ hostname: 'gw', machineIdPaths: [join(d, 'etc'), join(d, 'dbus')] })
    expect(id).toEqual({ id: hashDeviceId('machine-id', MACHINE_ID), source: 'machine-id' })
  })

  it('BC-32: without a machine-id, generates an id once and keeps it in the state dir (0600)', async () => {
    const state = join(tmp(), 'state')
    const a = await resolveDeviceId({ hostname: 'gw', stateDir: state, machineIdPaths: [] })
    const b = await resolveDeviceId({ hostname: 'other', stateDir: state, machineIdPaths: [] })
    expect(a.source).toBe('state')
    expect(a.id).toMatch(/^[0-9a-f]{12}$/)
    expect(b.id).toBe(a.id)
    const file = join(state, DEVICE_ID_FILE)
    expect(readFileSync(file, 'utf8').trim()).toBe(a.id)
    expect(statSync(file).mode & 0o777).toBe(0o600)
  })

  it('BC-32: without machine-id or state dir, hashes the host name (never empty)', async () => {
    const a = await resolveDeviceId({ hostname: 'gw', machineIdPaths: [] })
    expect(a).toEqual({ id: hashDeviceId('hostname', 'gw'), source: 'hostname' })
    const empty = await resolveDeviceId({ hostname: '', machineIdPaths: [] })
    expect(empty.id).toMatch(/^[0-9a-f]{12}$/)
  })

  it('an unwritable state dir falls back to the host name instead of failing', async () => {
    const d = tmp()
    const file = join(d, 'not-a-dir')
    writeFileSync(file, 'x')
    const id = await resolveDeviceId({ hostname: 'gw', stateDir: join(file, 'state'), machineIdPaths: [] })
    expect(id.source).toBe('hostname')
  })

  it('a damaged kept id is replaced', async () => {
    const state = tmp()
    mkdirSync(state, { recursive: true })
    writeFileSync(join(state, DEVICE_ID_FILE), 'null\n')
    chmodSync(join(state, DEVICE_ID_FILE), 0o600)
    const id = await resolveDeviceId({ hostname: 'gw', stateDir: state, machineIdPaths: [] })
    expect(id.id).toMatch(/^[0-9a-f]{12}$/)
    expect(readFileSync(join(state, DEVICE_ID_FILE), 'utf8').trim()).toBe(id.id)
  })
})
