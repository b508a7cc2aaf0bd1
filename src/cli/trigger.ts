import { EdgeError } from '../errors.js'
import { EXIT } from '../report/exit.js'
import type { Logger } from '../report/log.js'
import { checkPidFile } from '../schedule/locks.js'
import type { BaseEnv } from './app.js'
import { resolveStateDir } from './statedir.js'

/**
 * `edge-ddns trigger`: asks the running daemon for a cycle now by sending SIGUSR1 to the pid in
 * `<state dir>/edge-ddns.pid` (the same state directory the daemon uses: same `--state-dir`,
 * `[state] dir` or `$STATE_DIRECTORY`). Exit 0 when the signal was sent; 1 when there is no pid
 * file, the pid file is stale, or the signal is refused.
 */
export function triggerCommand(env: BaseEnv, log: Logger): number {
  const { args, config, io, proc } = env
  const choice = resolveStateDir(args, config, io.env, 'daemon', io.fileExists)
  if (!choice) throw new EdgeError('internal', 'no state directory (this is a bug in edge-ddns, please report it)')
  let st
  try {
    st = checkPidFile(choice.dir, proc)
  } catch (e) {
    log.error(`trigger: cannot read the pid file in ${choice.dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`)
    return EXIT.FAILED
  }
  if (st.kind === 'none') {
    log.error(`trigger: no daemon: ${st.file} does not exist (is edge-ddns daemon running with this state directory?)`)
    return EXIT.FAILED
  }
  if (st.kind === 'stale') {
    log.error(`trigger: stale pid file ${st.file}: ${st.why}; the daemon is not running`)
    return EXIT.FAILED
  }
  try {
    proc.kill(st.pid, 'SIGUSR1')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    log.error(`trigger: cannot signal the daemon (pid ${st.pid}): ${code}${code === 'EPERM' ? ' (run trigger as the daemon\'s user or root)' : ''}`)
    return EXIT.FAILED
  }
  io.stdout(`asked the daemon (pid ${st.pid}) for a cycle\n`)
  return EXIT.OK
}
