import { existsSync, writeSync } from 'node:fs'
import { main } from './cli/app.js'

// The only place that touches the real process: argv, env, stdout/stderr and the exit code.

/**
 * A writer for fd 1 or 2 that writes with fs.writeSync instead of process.stdout/stderr.
 * Creating those streams loads Node's whole stream stack, a few milliseconds of every
 * `edge-ddns --version` on a router (issue 9); a synchronous write is also what those streams
 * do for files and terminals, and nothing printed is lost when the process exits right after.
 * A reader that went away (`edge-ddns check | head -0`, a closed journal pipe: EPIPE) or a
 * closed descriptor (EBADF) must not turn the run's result into a crash: what could not be
 * printed is lost, the exit code still tells. A non-blocking pipe that is full (EAGAIN) hands
 * this and every later write to the stream, which waits for the reader; other errors are thrown.
 */
function writer(fd: 1 | 2, stream: () => NodeJS.WriteStream): (text: string) => void {
  let fallback: NodeJS.WriteStream | undefined
  return (text) => {
    if (fallback) {
      fallback.write(text)
      return
    }
    let rest = Buffer.from(text, 'utf8')
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(fd, rest))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EPIPE' || code === 'EBADF') return
      if (code !== 'EAGAIN') throw e
      fallback = stream()
      fallback.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err
      })
      fallback.write(rest)
    }
  }
}

const stdout = writer(1, () => process.stdout)
const stderr = writer(2, () => process.stderr)
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout,
  stderr: (l) => stderr(`${l}\n`),
  now: () => Date.now(),
  fileExists: (p) => existsSync(p),
})
process.exitCode = code
// A socket or timer left open by a failed peer must not keep a oneshot run alive past its result.
setTimeout(() => process.exit(code), 2000).unref()
