import { existsSync } from 'node:fs'
import { main } from './cli/app.js'

// The only place that touches the real process: argv, env, stdout/stderr and the exit code.

// A reader that went away (`edge-ddns check | head -0`, a closed journal pipe) must not turn the
// run's result into a crash: what could not be printed is lost, the exit code still tells.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e
  })
}
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (t) => process.stdout.write(t),
  stderr: (l) => process.stderr.write(`${l}\n`),
  now: () => Date.now(),
  fileExists: (p) => existsSync(p),
})
process.exitCode = code
// A socket or timer left open by a failed peer must not keep a oneshot run alive past its result.
setTimeout(() => process.exit(code), 2000).unref()
