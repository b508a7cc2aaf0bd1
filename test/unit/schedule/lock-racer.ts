// A separate process for the state-directory lock tests (locks.test.ts bundles it with esbuild
// to a file whose name holds "edge-ddns", so that /proc judges it one of ours). Not a test itself.
//
//   race <dir> <trials> <id>   for each trial t: wait for <dir>/ready-t, spin until <dir>/go-t, claim
//                              the run lock, write <dir>/res-t-<id> ("held" or "refused"); a holder
//                              waits for <dir>/end-t, writes <dir>/ok-t-<id> ("intact" when the lock
//                              still names it, else "lost") and gives the lock back
//   hold <dir> <as> [holdMs]   claim the state directory as 'daemon' or 'run', print the result as
//                              one JSON line, keep it until stdin closes, give it back, exit
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { claimStateDir, releaseStateDir } from '../../../src/schedule/locks.js'
import { processPort } from '../../../src/schedule/signals.js'

const [cmd, dir = '', a = '', b] = process.argv.slice(2)

/** Writes a result file whole (the parent reads it as soon as it exists). */
function put(name: string, text: string): void {
  writeFileSync(join(dir, `${name}.part`), text)
  renameSync(join(dir, `${name}.part`), join(dir, name))
}

function nap(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

if (cmd === 'race') {
  const trials = Number(a)
  const id = b ?? '0'
  for (let t = 0; t < trials; t++) {
    while (!existsSync(join(dir, `ready-${t}`))) nap(1)
    // A busy wait: the racers leave the barrier within microseconds of each other.
    while (!existsSync(join(dir, `go-${t}`))) {
      // spin
    }
    const removed: string[] = []
    const holder = claimStateDir(dir, 'run', process.pid, processPort, { onStale: (_f, why) => removed.push(why) })
    if (removed.length) put(`stale-${t}-${id}`, removed.join('\n'))
    put(`res-${t}-${id}`, holder ? 'refused' : 'held')
    if (!holder) {
      while (!existsSync(join(dir, `end-${t}`))) nap(1)
      let text = ''
      try {
        text = readFileSync(join(dir, 'edge-ddns.run.lock'), 'utf8')
      } catch (e) {
        // Gone: someone removed our lock.
        text = (e as NodeJS.ErrnoException).code ?? 'error'
      }
      const first = text.split('\n')[0] ?? ''
      put(`ok-${t}-${id}`, first === String(process.pid) ? 'intact' : `lost (pid ${process.pid}; the lock: ${JSON.stringify(text)})`)
      releaseStateDir(dir, 'run', process.pid, processPort)
    }
  }
} else if (cmd === 'hold') {
  const as = a === 'daemon' ? 'daemon' : 'run'
  let holder
  try {
    holder = claimStateDir(dir, as, process.pid, processPort, {
      ...(b !== undefined ? { holdMs: Number(b) } : {}),
      onStale: (file, why) => process.stderr.write(`stale ${file}: ${why}\n`),
    })
  } catch (e) {
    process.stdout.write(`${JSON.stringify({ error: (e as Error).message })}\n`)
    process.exit(1)
  }
  process.stdout.write(`${JSON.stringify({ pid: process.pid, held: holder === undefined, holder: holder ?? null })}\n`)
  process.stdin.resume()
  process.stdin.on('end', () => {
    if (!holder) releaseStateDir(dir, as, process.pid, processPort)
    process.exit(0)
  })
} else {
  process.stderr.write(`unknown command ${String(cmd)}\n`)
  process.exit(2)
}
