import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FILES, requireTool, ROOT } from './router.js'

/** Every shell file of the package, and the test's own shell stand-ins. */
const SHELL_FILES = [
  join(FILES, 'edge-ddns.init'),
  join(FILES, 'edge-ddns.hotplug'),
  join(FILES, 'edge-ddns.sh'),
  join(ROOT, 'test', 'unit', 'openwrt', 'harness.sh'),
  ...['uci', 'ubus', 'jsonfilter'].map((n) => join(ROOT, 'test', 'unit', 'openwrt', 'stand-ins', n)),
]

/** The postinst body of the Makefile, as the shell sees it (make's $$ is the shell's $). */
function makefilePostinst(): string {
  const mk = readFileSync(join(ROOT, 'openwrt', 'Makefile'), 'utf8')
  const m = /^define Package\/edge-ddns\/postinst\n([\s\S]*?)^endef$/m.exec(mk)
  if (!m) throw new Error('openwrt/Makefile has no postinst')
  return m[1]!.replace(/\$\$/g, '$')
}

const shellcheck = requireTool('shellcheck', 'shellcheck')

describe.skipIf(!shellcheck)('shellcheck -s sh', () => {
  it.each(SHELL_FILES.map((f) => [f.slice(ROOT.length + 1), f]))('%s is clean', (_name, file) => {
    const r = spawnSync(shellcheck!, ['-s', 'sh', file], { encoding: 'utf8' })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  })

  it('the Makefile postinst is clean', () => {
    const r = spawnSync(shellcheck!, ['-s', 'sh', '-'], { input: makefilePostinst(), encoding: 'utf8' })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.status).toBe(0)
  })
})

describe('shellcheck directives', () => {
  it.each(SHELL_FILES.map((f) => [f.slice(ROOT.length + 1), f]))('%s disables a check only with a reason given', (_name, file) => {
    const lines = readFileSync(file, 'utf8').split('\n')
    lines.forEach((line, i) => {
      const m = /^\s*# shellcheck (disable|source)=(\S+)(.*)$/.exec(line)
      if (!m) return
      const trailing = /#\s*\S/.test(m[3] ?? '')
      const above = /^\s*#\s*(?!shellcheck\b)\S/.test(lines[i - 1] ?? '')
      expect(trailing || above, `${file}:${i + 1}: ${line.trim()} needs a reason (a comment above it or after it)`).toBe(true)
    })
  })
})
