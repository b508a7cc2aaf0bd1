import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A tiny C wrapper that turns on Linux's memory-deny-write-execute for itself and then execs its
 * arguments: `mdwe /usr/bin/node --jitless app.mjs`. The flag is inherited across execve and fork,
 * so the program runs as under systemd's MemoryDenyWriteExecute=yes: no mapping may become
 * writable and executable, or executable after being written (what V8's JIT needs).
 *
 * prctl(PR_SET_MDWE = 65, PR_MDWE_REFUSE_EXEC_GAIN = 1, 0, 0, 0): Linux 6.3 and later (the
 * constants are those of include/uapi/linux/prctl.h; prctl(2), "PR_SET_MDWE"). Older kernels
 * answer EINVAL. The wrapper exits 125 when prctl fails and 126 when execv fails, with the reason
 * on stderr; otherwise the exit status is the program's.
 */
const SOURCE = `#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define MDWE_SET 65          /* PR_SET_MDWE */
#define MDWE_REFUSE_GAIN 1UL /* PR_MDWE_REFUSE_EXEC_GAIN */

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: mdwe /absolute/program [arg]...\\n");
    return 2;
  }
  if (prctl(MDWE_SET, MDWE_REFUSE_GAIN, 0UL, 0UL, 0UL) != 0) {
    fprintf(stderr, "mdwe: prctl(PR_SET_MDWE): %s\\n", strerror(errno));
    return 125;
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "mdwe: execv %s: %s\\n", argv[1], strerror(errno));
  return 126;
}
`

/** The kernel version as [major, minor], or null when `os.release()` does not start with one. */
export function kernelVersion(rel = release()): [number, number] | null {
  const m = /^(\d+)\.(\d+)/.exec(rel)
  return m ? [Number(m[1]), Number(m[2])] : null
}

/** True when the kernel is new enough for PR_SET_MDWE (6.3). */
export function kernelHasMdwe(rel = release()): boolean {
  const v = kernelVersion(rel)
  return v !== null && (v[0] > 6 || (v[0] === 6 && v[1] >= 3))
}

/** A built wrapper, or why there is none. */
export type MdweWrapper =
  | { ok: true; path: string; cleanup(): void }
  | {
      ok: false
      reason: string
      /** The kernel has PR_SET_MDWE, so under CI a missing wrapper is a failure, not a skip. */
      kernelShouldSupport: boolean
    }

/**
 * Compiles the wrapper with `cc` in a temporary directory and checks it on /bin/true.
 * Never throws: a missing compiler, an old kernel or a refused prctl come back as `ok: false`.
 */
export function buildMdweWrapper(): MdweWrapper {
  const kernelShouldSupport = kernelHasMdwe()
  if (process.platform !== 'linux') return { ok: false, reason: `PR_SET_MDWE is Linux only (this is ${process.platform})`, kernelShouldSupport: false }
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-mdwe-'))
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  const src = join(dir, 'mdwe.c')
  const bin = join(dir, 'mdwe')
  writeFileSync(src, SOURCE)
  const cc = spawnSync('cc', ['-O2', '-o', bin, src], { encoding: 'utf8' })
  if (cc.error || cc.status !== 0) {
    cleanup()
    const why = cc.error ? `cc not found (${(cc.error as NodeJS.ErrnoException).code})` : `cc failed: ${cc.stderr.trim()}`
    return { ok: false, reason: `cannot build the MDWE wrapper: ${why}; install gcc`, kernelShouldSupport }
  }
  const probe = spawnSync(bin, ['/bin/true'], { encoding: 'utf8' })
  if (probe.status !== 0) {
    cleanup()
    return {
      ok: false,
      reason: `prctl(PR_SET_MDWE) is not available on Linux ${release()} (needs 6.3 or later): ${probe.stderr.trim() || `exit ${probe.status}`}`,
      kernelShouldSupport,
    }
  }
  return { ok: true, path: bin, cleanup }
}
