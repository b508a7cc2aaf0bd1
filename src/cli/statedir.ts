import { resolve } from 'node:path'
import type { Config } from '../config/types.js'
import { stateSettings } from '../schedule/config.js'
import type { Args } from './args.js'

/** The daemon's state directory when nothing else says (systemd's StateDirectory=edge-ddns). */
export const DAEMON_STATE_DIR = '/var/lib/edge-ddns'
/** The same on OpenWrt: RAM, so no flash wear. */
export const OPENWRT_STATE_DIR = '/tmp/edge-ddns'

/** A state directory and where the choice came from (for the log). */
export interface StateDirChoice {
  dir: string
  from: '--state-dir' | '[state] dir' | 'STATE_DIRECTORY' | 'default'
}

/**
 * Where the state lives: `--state-dir`, else `[state] dir`, else `$STATE_DIRECTORY` (systemd; the
 * first of a colon-separated list), else, for `mode` daemon (also `status` and `trigger`), the
 * default: /tmp/edge-ddns on OpenWrt (/etc/openwrt_release exists), else /var/lib/edge-ddns.
 * A oneshot run without any of these keeps no state (null) and reads every record, as dness does.
 * Relative paths are taken from the working directory.
 */
export function resolveStateDir(
  args: Pick<Args, 'stateDir'>,
  config: Pick<Config, 'extra'>,
  env: Record<string, string | undefined>,
  mode: 'oneshot' | 'daemon',
  fileExists: (p: string) => boolean,
): StateDirChoice | null {
  if (args.stateDir) return { dir: resolve(args.stateDir), from: '--state-dir' }
  const fromConfig = stateSettings(config).dir
  if (fromConfig) return { dir: resolve(fromConfig), from: '[state] dir' }
  const sd = env.STATE_DIRECTORY?.split(':').find((p) => p !== '')
  if (sd) return { dir: resolve(sd), from: 'STATE_DIRECTORY' }
  if (mode === 'oneshot') return null
  return { dir: fileExists('/etc/openwrt_release') ? OPENWRT_STATE_DIR : DAEMON_STATE_DIR, from: 'default' }
}
