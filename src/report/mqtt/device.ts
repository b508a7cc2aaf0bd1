import { randomBytes } from 'node:crypto'
import { sha256Hex } from '../../sha256.js'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The device identity behind Home Assistant's device `identifiers` and every `unique_id`.
 * It must be stable across restarts and never empty (BC-32: `identifiers: [null]` makes Home
 * Assistant drop the entity), and it must not publish the host's raw machine-id (systemd's
 * machine-id(5) asks that it be hashed with an application-specific key before leaving the host).
 */

/** Fixed salt: the same machine-id gives a different id in every other application. */
export const DEVICE_ID_SALT = 'edge-ddns device id v1'

/** Where the machine-id is looked for, in order (machine-id(5)). */
export const MACHINE_ID_PATHS: readonly string[] = ['/etc/machine-id', '/var/lib/dbus/machine-id']

/** File in the state directory holding a generated id. */
export const DEVICE_ID_FILE = 'mqtt-device-id'

/** Where a device id came from, for the log. */
export type DeviceIdSource = 'machine-id' | 'state' | 'hostname'

/** A device id: 12 lower-case hex digits. */
export interface DeviceId {
  id: string
  source: DeviceIdSource
}

/** Options of `resolveDeviceId`. */
export interface DeviceIdOptions {
  /** The host name, for the last fallback. */
  hostname: string
  /** The state directory, when the run has one: a generated id is kept there. */
  stateDir?: string
  /** Override of `MACHINE_ID_PATHS` (tests). */
  machineIdPaths?: readonly string[]
}

/** sha256(salt, kind, value), first 12 hex digits. */
export function hashDeviceId(kind: string, value: string): string {
  return sha256Hex(`${DEVICE_ID_SALT}\u0000${kind}\u0000${value}`).slice(0, 12)
}

/**
 * The device id, in this order:
 * 1. the machine-id (`/etc/machine-id`, else `/var/lib/dbus/machine-id`), hashed with `DEVICE_ID_SALT`;
 * 2. an id generated once and kept in `<stateDir>/mqtt-device-id` (mode 0600), when a state
 *    directory is given (OpenWrt has no machine-id);
 * 3. a hash of the host name.
 * Never throws; the result is always 12 hex digits.
 */
export async function resolveDeviceId(opts: DeviceIdOptions): Promise<DeviceId> {
  for (const p of opts.machineIdPaths ?? MACHINE_ID_PATHS) {
    const raw = await readText(p)
    // machine-id(5): 32 lower-case hex digits; "uninitialized" during first boot.
    const m = raw?.trim().toLowerCase()
    if (m && /^[0-9a-f]{32}$/.test(m) && !/^0+$/.test(m)) return { id: hashDeviceId('machine-id', m), source: 'machine-id' }
  }
  if (opts.stateDir) {
    const file = join(opts.stateDir, DEVICE_ID_FILE)
    const kept = (await readText(file))?.trim()
    if (kept && /^[0-9a-f]{12}$/.test(kept)) return { id: kept, source: 'state' }
    const fresh = randomBytes(6).toString('hex')
    try {
      await mkdir(opts.stateDir, { recursive: true, mode: 0o700 })
      const tmp = `${file}.${process.pid}.tmp`
      await writeFile(tmp, `${fresh}\n`, { mode: 0o600 })
      await rename(tmp, file)
      return { id: fresh, source: 'state' }
    } catch {
      // A read-only state dir must not break reporting: fall through to the host name.
    }
  }
  return { id: hashDeviceId('hostname', opts.hostname.trim().toLowerCase() || 'localhost'), source: 'hostname' }
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return undefined
  }
}
