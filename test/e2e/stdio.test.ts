import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { EXIT } from '../../src/report/exit.js'
import { runtimes, Sandbox } from '../helpers/bundle.js'

// src/main.ts writes stdout and stderr with fs.writeSync (issue 9: creating process.stdout loads
// Node's stream stack at every start). What the streams did must still hold: a reader that goes
// away or a closed descriptor loses the output, never the exit code, and never crashes.

const sandbox = new Sandbox()
afterAll(() => sandbox.cleanup())

/** Runs the bundle under `sh -c`, so a test can close or redirect its descriptors. */
function sh(script: string, runtime: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', RT: runtime, B: sandbox.bundle } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d))
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe.each(runtimes())('stdout and stderr of the bundle on $name', (rt) => {
  it.skipIf(!rt.bin)('prints --version and the providers list whole through a pipe', async () => {
    const r = await sh('"$RT" "$B" --version | cat; "$RT" "$B" providers | wc -l', rt.bin!)
    const [version, lines] = r.stdout.trim().split('\n')
    expect(version).toMatch(/^\d+\.\d+\.\d+/)
    expect(Number(lines)).toBeGreaterThan(40)
    expect(r.stderr).toBe('')
  })

  it.skipIf(!rt.bin)('a reader that went away (EPIPE) loses the output, not the exit code', async () => {
    // `head -c 1` exits after one byte; the rest of the providers list meets a closed pipe.
    const r = await sh('"$RT" "$B" providers | head -c 1 >/dev/null; "$RT" "$B" providers > /dev/null; echo "full $?"', rt.bin!)
    expect(r.stdout).toContain('full 0')
    expect(r.stderr).not.toMatch(/Error|at .*\(|EPIPE/)
  })

  it.skipIf(!rt.bin)('a closed stdout (EBADF) does not crash the run: the exit code still tells', async () => {
    const ok = await sh('"$RT" "$B" --version >&-; echo "code $?"', rt.bin!)
    expect(ok.stdout.trim()).toBe('code 0')
    expect(ok.stderr).not.toMatch(/Error|EBADF/)
    // A usage error with stderr closed still exits with the usage code, not with a crash.
    const bad = await sh('"$RT" "$B" --no-such-flag 2>&-; echo "code $?"', rt.bin!)
    expect(bad.stdout.trim()).toBe(`code ${EXIT.USAGE}`)
  })
})
