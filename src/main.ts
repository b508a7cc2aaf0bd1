import { existsSync, writeSync } from 'node:fs'
import { main } from './cli/app.js'

// The only place that touches the real process: argv, env, stdout/stderr and the exit code.

/**
 * Output to fd 1 or 2, written with fs.writeSync until the process turns long-running.
 *
 * Creating process.stdout/stderr loads Node's whole stream stack, a few milliseconds of every
 * `edge-ddns --version` on a router (issue 9); for a command that prints and exits, a
 * synchronous write is what those streams do for files and terminals anyway. The daemon switches
 * to the stream (`toStream`) before it starts: a synchronous write into a full pipe (a stalled
 * journal or `| logger`) would stop its event loop, signals and timers included, whereas the
 * stream makes the pipe non-blocking and buffers.
 * A reader that went away (`edge-ddns check | head -0`: EPIPE) or a closed descriptor (EBADF)
 * must not turn the run's result into a crash: what could not be printed is lost, the exit code
 * still tells. A non-blocking pipe that is full (EAGAIN) also hands over to the stream.
 */
class Output {
  private stream: NodeJS.WriteStream | undefined

  constructor(
    private readonly fd: 1 | 2,
    private readonly open: () => NodeJS.WriteStream,
  ) {}

  write(text: string): void {
    if (this.stream) {
      this.stream.write(text)
      return
    }
    let rest = Buffer.from(text, 'utf8')
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(this.fd, rest))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      if (code === 'EPIPE' || code === 'EBADF') return
      if (code !== 'EAGAIN') throw e
      this.toStream().write(rest)
    }
  }

  /** From now on, writes go through the (non-blocking, buffering) stream. */
  toStream(): NodeJS.WriteStream {
    if (!this.stream) {
      this.stream = this.open()
      this.stream.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err
      })
    }
    return this.stream
  }

  /** The stream while it still holds bytes the reader has not taken; undefined otherwise. */
  busy(): NodeJS.WriteStream | undefined {
    return this.stream && this.stream.writableLength > 0 ? this.stream : undefined
  }
}

const out = new Output(1, () => process.stdout)
let longRunning = false
const err = new Output(2, () => process.stderr)
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  stdout: (t) => out.write(t),
  stderr: (l) => err.write(`${l}\n`),
  now: () => Date.now(),
  fileExists: (p) => existsSync(p),
  longRunning: () => {
    longRunning = true
    out.toStream()
    err.toStream()
  },
})
process.exitCode = code

/**
 * Ends the process once what it printed has left: a socket or timer left open by a failed peer
 * must not keep a oneshot run alive past its result, but output still buffered for a slow reader
 * is waited for (until `deadline`, milliseconds since the epoch). A stopped daemon does not wait
 * for a stalled log reader: the service manager is waiting for it to stop.
 */
function exitAfterOutput(deadline: number): void {
  const pending = out.busy() ?? err.busy()
  if (!pending || longRunning || Date.now() >= deadline) process.exit(code)
  pending.once('drain', () => exitAfterOutput(deadline))
  setTimeout(() => process.exit(code), Math.max(0, deadline - Date.now())).unref()
}
setTimeout(() => exitAfterOutput(Date.now() + 60_000), 2000).unref()
