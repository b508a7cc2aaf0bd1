import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUNDLE, ROOT, runtimes } from '../helpers/bundle.js'

// Builds the .deb with build/deb.mjs (as `npm run package:deb` does), inspects it with dpkg-deb,
// installs it into a throwaway root with dpkg and runs the packaged launcher from there, then
// removes and purges it, and runs lintian on it.
//
// Installing: `dpkg --root=<tmp> --force-script-chrootless --force-not-root --force-depends -i`.
// --root keeps dpkg's database and files inside the temporary directory. The maintainer scripts
// would normally run chrooted into that root, which has no /bin/sh, so --force-script-chrootless
// runs them on the host with DPKG_ROOT=<tmp> in their environment (dpkg >= 1.18.5): our scripts
// prefix every path with it and call no systemctl when it is set, and the test checks they really
// touched only the throwaway root. --force-not-root lets the same run work without root (files are
// then owned by the invoking user); --force-depends because the root holds no nodejs package.
// `dpkg-deb -x` would unpack the files too, but would not run the maintainer scripts or keep the
// conffile database, which is what remove/purge are about.

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
const VERSION = pkg.version.replace(/-/, '~').replace(/\+.*$/, '')
const DEB_NAME = `edge-ddns_${VERSION}_all.deb`

function have(cmd: string, args = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' })
  return !r.error
}

/** Fails under CI, skips loudly elsewhere. */
function requirePeer(ok: boolean, why: string): boolean {
  if (ok) return true
  if (process.env.CI) {
    it(`${why.split(':')[0]} (required under CI)`, () => {
      expect.fail(why)
    })
  } else console.warn(`\n*** SKIPPED: ${why} ***\n`)
  return false
}

const dpkgOk = requirePeer(have('dpkg-deb') && have('dpkg'), 'dpkg-deb and dpkg are missing: the Debian package is not built or tested (Debian package dpkg)')
const lintianOk = requirePeer(have('lintian'), 'lintian is not installed: the .deb is not linted (apt-get install lintian)')

let work = ''
let deb = ''

beforeAll(() => {
  if (!dpkgOk) return
  if (!existsSync(BUNDLE) || !existsSync(join(ROOT, 'dist', 'meta.json'))) throw new Error(`${BUNDLE} or dist/meta.json is missing: run npm run build first`)
  work = mkdtempSync(join(tmpdir(), 'edge-ddns-debtest-'))
  const out = join(work, 'out')
  execFileSync(process.execPath, [join(ROOT, 'build', 'deb.mjs'), '--out', out], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  deb = join(out, DEB_NAME)
}, 120_000)

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

const dpkgDeb = (...args: string[]) => execFileSync('dpkg-deb', args, { encoding: 'utf8', maxBuffer: 16 << 20 })

describe.runIf(dpkgOk)('the .deb built by build/deb.mjs', () => {
  it('is named after package.json\'s version', () => {
    expect(existsSync(deb)).toBe(true)
    expect(dpkgDeb('-f', deb, 'Version').trim()).toBe(VERSION)
  })

  it.each([
    ['Package', 'edge-ddns'],
    ['Architecture', 'all'],
    ['Depends', 'nodejs (>= 18) | bun'],
    ['Section', 'net'],
    ['Priority', 'optional'],
  ])('control field %s: %s', (field, value) => {
    expect(dpkgDeb('-f', deb, field).trim()).toBe(value)
  })

  it('has a maintainer, an installed size and a description with a long part', () => {
    expect(dpkgDeb('-f', deb, 'Maintainer')).toMatch(/^.+ <[^@\s]+@[^>\s]+>\s*$/)
    expect(Number(dpkgDeb('-f', deb, 'Installed-Size'))).toBeGreaterThan(100)
    expect(dpkgDeb('-f', deb, 'Description').split('\n').length).toBeGreaterThan(3)
  })

  it('declares exactly the config and the env file as conffiles', () => {
    expect(dpkgDeb('-I', deb, 'conffiles').trim().split('\n')).toEqual(['/etc/edge-ddns/edge-ddns.toml', '/etc/edge-ddns/edge-ddns.env'])
  })

  /** path → "mode owner", from `dpkg-deb -c`. */
  function contents(): Map<string, string> {
    const m = new Map<string, string>()
    for (const line of dpkgDeb('-c', deb).trim().split('\n')) {
      const f = line.split(/\s+/)
      m.set(f[5]!.replace(/^\./, '').replace(/\/$/, '') || '/', `${f[0]} ${f[1]}`)
    }
    return m
  }

  it.each([
    ['/usr/bin/edge-ddns', '-rwxr-xr-x'],
    ['/usr/lib/edge-ddns/edge-ddns.mjs', '-rw-r--r--'],
    ['/usr/lib/systemd/system/edge-ddns.service', '-rw-r--r--'],
    ['/usr/lib/systemd/system/edge-ddns.timer', '-rw-r--r--'],
    ['/usr/lib/systemd/system/edge-ddns-daemon.service', '-rw-r--r--'],
    // The dynamic user of the units reads the config; only root reads the secrets.
    ['/etc/edge-ddns/edge-ddns.toml', '-rw-r--r--'],
    ['/etc/edge-ddns/edge-ddns.env', '-rw-------'],
    ['/etc/edge-ddns', 'drwxr-xr-x'],
    ['/usr/share/doc/edge-ddns/copyright', '-rw-r--r--'],
    ['/usr/share/doc/edge-ddns/changelog.gz', '-rw-r--r--'],
    ['/usr/share/doc/edge-ddns/examples/edge-ddns.toml', '-rw-r--r--'],
    ['/usr/share/doc/edge-ddns/examples/fixed-endpoints.conf.example', '-rw-r--r--'],
    ['/usr/share/man/man1/edge-ddns.1.gz', '-rw-r--r--'],
  ])('ships %s with mode %s, owned by root', (path, mode) => {
    expect(contents().get(path)).toBe(`${mode} root/root`)
  })

  it('ships nothing owned by anyone but root, and no state directory (systemd creates it)', () => {
    const all = contents()
    expect([...all.values()].filter((v) => !v.endsWith(' root/root'))).toEqual([])
    expect([...all.keys()].filter((p) => p.startsWith('/var'))).toEqual([])
  })

  describe('control scripts', () => {
    let control = ''
    beforeAll(() => {
      control = join(work, 'control')
      dpkgDeb('-e', deb, control)
    })

    it.each(['postinst', 'prerm', 'postrm'])('%s is valid POSIX sh and executable', (name) => {
      const p = join(control, name)
      expect(statSync(p).mode & 0o777).toBe(0o755)
      expect(spawnSync('sh', ['-n', p]).status).toBe(0)
    })

    it.each(['postinst', 'prerm', 'postrm'])('%s never enables, starts or restarts anything', (name) => {
      const code = readFileSync(join(control, name), 'utf8')
        .split('\n')
        .filter((l) => !l.trim().startsWith('#'))
        // Messages to the admin may name commands; only what runs counts.
        .map((l) => l.replace(/"[^"]*"|'[^']*'/g, '""'))
        .join('\n')
      expect(code).not.toMatch(/deb-systemd-invoke\s+(start|restart|try-restart|reload)/)
      expect(code).not.toMatch(/systemctl\b[^\n]*\b(start|enable|restart|try-restart|reload-or-restart|preset)\b/)
      expect(code).not.toMatch(/deb-systemd-helper\s+(enable|update-state)/)
      expect(code).not.toMatch(/invoke-rc\.d|update-rc\.d/)
    })

    it('md5sums cover every shipped file except the conffiles', () => {
      const sums = readFileSync(join(control, 'md5sums'), 'utf8').trim().split('\n').map((l) => l.split(/\s+/)[1])
      const files = [...contents()].filter(([, v]) => v.startsWith('-')).map(([p]) => p.slice(1))
      expect(sums.sort()).toEqual(files.filter((p) => !p.startsWith('etc/')).sort())
    })
  })

  describe('the files inside', () => {
    let tree = ''
    beforeAll(() => {
      tree = join(work, 'tree')
      dpkgDeb('-x', deb, tree)
    })

    it('the bundle is dist\'s, with its #! line turned into a comment (the launcher picks the runtime)', () => {
      const shipped = readFileSync(join(tree, 'usr/lib/edge-ddns/edge-ddns.mjs'), 'utf8')
      const built = readFileSync(BUNDLE, 'utf8')
      expect(shipped.startsWith('#!')).toBe(false)
      expect(shipped.split('\n').length).toBe(built.split('\n').length)
      expect(shipped.slice(shipped.indexOf('\n'))).toBe(built.slice(built.indexOf('\n')))
    })

    it('the units are systemd/\'s, byte for byte', () => {
      for (const u of ['edge-ddns.service', 'edge-ddns.timer', 'edge-ddns-daemon.service']) {
        expect(readFileSync(join(tree, 'usr/lib/systemd/system', u), 'utf8')).toBe(readFileSync(join(ROOT, 'systemd', u), 'utf8'))
      }
    })

    it('copyright names every package esbuild bundled (dist/meta.json) and quotes a licence for each', () => {
      const text = readFileSync(join(tree, 'usr/share/doc/edge-ddns/copyright'), 'utf8')
      const meta = JSON.parse(readFileSync(join(ROOT, 'dist', 'meta.json'), 'utf8')) as { outputs: Record<string, { inputs: Record<string, unknown> }> }
      const bundled = new Set(
        Object.values(meta.outputs)
          .flatMap((o) => Object.keys(o.inputs))
          .map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1])
          .filter((x): x is string => x !== undefined),
      )
      expect(bundled.size).toBeGreaterThan(0)
      for (const name of bundled) expect(text).toContain(`${name} `)
      expect(text).toMatch(/^Format: https:\/\/www\.debian\.org\/doc\/packaging-manuals\/copyright-format\/1\.0\/$/m)
      const declared = [...text.matchAll(/^License: (.+)$/gm)].map((m) => m[1]!)
      // Every short name used in a Files stanza has its own standalone License paragraph.
      const used = new Set(declared.filter((l) => l.includes(' and ')).flatMap((l) => l.split(' and ')))
      for (const l of used) expect(declared).toContain(l)
    })

    it('every lintian override is explained by a comment right above it', () => {
      const lines = readFileSync(join(ROOT, 'build', 'deb', 'lintian-overrides'), 'utf8').split('\n')
      lines.forEach((l, i) => {
        if (/^[^#\s]/.test(l)) {
          expect(l.startsWith('edge-ddns: ')).toBe(true)
          let j = i - 1
          while (j >= 0 && /^[^#\s]/.test(lines[j]!)) j--
          expect(lines[j] ?? '', `override on line ${i + 1} has no comment above it`).toMatch(/^# \S/)
        }
      })
    })
  })

  describe('installed into a throwaway root with dpkg --root', () => {
    let root = ''
    let bin = ''
    const dpkg = (...args: string[]) =>
      spawnSync(
        'dpkg',
        [`--root=${root}`, '--force-script-chrootless', '--force-not-root', '--force-depends', '--log=/dev/null', ...args],
        { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: work } },
      )

    /** A PATH holding only `name` (a link to `target`) and readlink, which the launcher uses. */
    function pathWith(entries: [name: string, target: string][]): string {
      const dir = mkdtempSync(join(work, 'path-'))
      symlinkSync(findReadlink(), join(dir, 'readlink'))
      for (const [name, target] of entries) symlinkSync(target, join(dir, name))
      return dir
    }
    const launch = (args: string[], path: string, env: Record<string, string> = {}) =>
      spawnSync(join(root, 'usr/bin/edge-ddns'), args, { encoding: 'utf8', env: { PATH: path, HOME: work, ...env }, timeout: 60_000 })

    beforeAll(() => {
      root = join(work, 'root')
      for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'var/lib/dpkg/triggers']) mkdirSync(join(root, d), { recursive: true })
      writeFileSync(join(root, 'var/lib/dpkg/status'), '')
      bin = pathWith([['node', process.execPath]])
      const r = dpkg('-i', deb)
      expect(r.status, r.stderr).toBe(0)
    })

    it('installs the files where the units and the launcher expect them, with their modes', () => {
      expect(statSync(join(root, 'etc/edge-ddns/edge-ddns.env')).mode & 0o777).toBe(0o600)
      expect(statSync(join(root, 'etc/edge-ddns/edge-ddns.toml')).mode & 0o777).toBe(0o644)
      expect(statSync(join(root, 'usr/bin/edge-ddns')).mode & 0o777).toBe(0o755)
      expect(existsSync(join(root, 'usr/lib/edge-ddns/edge-ddns.mjs'))).toBe(true)
      const status = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8')
      expect(status).toMatch(/^Status: install ok installed$/m)
    })

    it('enables nothing: no unit is linked into a .wants directory', () => {
      expect(existsSync(join(root, 'etc/systemd'))).toBe(false)
    })

    it('edge-ddns --version through the launcher prints the package version', () => {
      const r = launch(['--version'], bin)
      expect(r.stderr).toBe('')
      expect(r.stdout.trim()).toBe(pkg.version)
      expect(r.status).toBe(0)
    })

    it('edge-ddns check accepts the shipped config as it is (no network)', () => {
      const r = launch(['check', '-c', join(root, 'etc/edge-ddns/edge-ddns.toml'), '-e', join(root, 'etc/edge-ddns/edge-ddns.env')], bin)
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain('ok, 0 domain entries')
    })

    it('edge-ddns check accepts the documented example once its secrets are in the env file', () => {
      const env = join(work, 'example.env')
      writeFileSync(env, `CF_TOKEN=example-token-123\nTSIG_SECRET=${Buffer.alloc(32, 7).toString('base64')}\n`, { mode: 0o600 })
      const r = launch(['check', '-c', join(root, 'usr/share/doc/edge-ddns/examples/edge-ddns.toml'), '-e', env], bin)
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toContain('ok, 2 domain entries')
      expect(r.stdout).not.toContain('example-token-123')
    })

    it('edge-ddns check exits 78 on a broken config, through the launcher', () => {
      const bad = join(work, 'bad.toml')
      writeFileSync(bad, '[[domains]]\ntype = "cloudflare"\nzone = "example.com"\nrecords = ["home.example.com"]\nbogus = 1\n')
      const r = launch(['check', '-c', bad], bin)
      expect(r.status).toBe(78)
      expect(r.stderr).toContain('bogus')
    })

    const others = runtimes().filter((r) => r.bin !== process.execPath)
    const bun = others.find((r) => r.name === 'bun')
    it.each([
      ['node', process.execPath],
      ['nodejs', process.execPath],
      ...(bun?.bin ? [['bun', bun.bin] as [string, string]] : []),
    ])('the launcher runs the bundle on %s when it is the only runtime in PATH', (name, target) => {
      const r = launch(['--version'], pathWith([[name, target]]))
      expect(r.stdout.trim()).toBe(pkg.version)
      expect(r.status).toBe(0)
    })
    if (!bun?.bin) console.warn(`*** SKIPPED the launcher on bun: ${bun?.why ?? 'no bun'} ***`)

    it('the launcher prefers node over bun, and EDGE_DDNS_RUNTIME over both', () => {
      const marker = join(work, 'fake-runtime')
      writeFileSync(marker, '#!/bin/sh\necho "fake runtime: $1"\n', { mode: 0o755 })
      const both = pathWith([['node', process.execPath], ['bun', marker]])
      expect(launch(['--version'], both).stdout.trim()).toBe(pkg.version)
      const r = launch(['--version'], both, { EDGE_DDNS_RUNTIME: marker })
      expect(r.stdout.trim()).toBe(`fake runtime: ${join(root, 'usr/lib/edge-ddns/edge-ddns.mjs')}`)
    })

    it('the launcher says clearly when there is no runtime, and exits 127', () => {
      const r = launch(['--version'], pathWith([]))
      expect(r.status).toBe(127)
      expect(r.stderr).toContain('no JavaScript runtime found')
      expect(r.stderr).toContain('install Node.js 18 or newer')
      expect(r.stdout).toBe('')
    })

    it('under NODE_OPTIONS=--jitless (as the units run it) node starts without the --expose_wasm warning', () => {
      const r = launch(['--version'], bin, { NODE_OPTIONS: '--jitless' })
      expect(r.stdout.trim()).toBe(pkg.version)
      expect(r.stderr).toBe('')
    })

    it('remove keeps the config (edited by the admin) and the state; reinstall keeps the edits; purge removes both', () => {
      const toml = join(root, 'etc/edge-ddns/edge-ddns.toml')
      const edited = `${readFileSync(toml, 'utf8')}\n# edited by the admin\n`
      writeFileSync(toml, edited)
      // What systemd's StateDirectory= with DynamicUser= creates, plus a credential file.
      mkdirSync(join(root, 'var/lib/private/edge-ddns'), { recursive: true })
      writeFileSync(join(root, 'var/lib/private/edge-ddns/state.json'), '{}')
      symlinkSync('private/edge-ddns', join(root, 'var/lib/edge-ddns'))
      writeFileSync(join(root, 'etc/edge-ddns/cf-token'), 'secret', { mode: 0o600 })
      mkdirSync(join(root, 'etc/systemd/system/timers.target.wants'), { recursive: true })
      symlinkSync('/usr/lib/systemd/system/edge-ddns.timer', join(root, 'etc/systemd/system/timers.target.wants/edge-ddns.timer'))

      // The scripts run on the host (chrootless); with DPKG_ROOT they must leave the host's own
      // /etc/edge-ddns (if this machine has the package installed) alone.
      const hostEtc = () => (existsSync('/etc/edge-ddns') ? readdirSync('/etc/edge-ddns').sort() : null)
      const hostBefore = hostEtc()

      let r = dpkg('-r', 'edge-ddns')
      expect(r.status, r.stderr).toBe(0)
      expect(existsSync(join(root, 'usr/bin/edge-ddns'))).toBe(false)
      expect(existsSync(join(root, 'usr/lib/edge-ddns/edge-ddns.mjs'))).toBe(false)
      expect(readFileSync(toml, 'utf8')).toBe(edited)
      expect(existsSync(join(root, 'etc/edge-ddns/edge-ddns.env'))).toBe(true)
      expect(existsSync(join(root, 'var/lib/private/edge-ddns/state.json'))).toBe(true)

      r = dpkg('-i', deb)
      expect(r.status, r.stderr).toBe(0)
      expect(readFileSync(toml, 'utf8')).toBe(edited)

      r = dpkg('--purge', 'edge-ddns')
      expect(r.status, r.stderr).toBe(0)
      for (const p of ['etc/edge-ddns', 'var/lib/private/edge-ddns', 'etc/systemd/system/timers.target.wants/edge-ddns.timer']) {
        expect(existsSync(join(root, p)), p).toBe(false)
      }
      expect(() => lstatSync(join(root, 'var/lib/edge-ddns'))).toThrow()
      expect(hostEtc()).toEqual(hostBefore)
    })
  })
})

describe.runIf(dpkgOk && lintianOk)('lintian', () => {
  it('finds nothing in the .deb at pedantic level (overrides in build/deb/lintian-overrides, each explained)', () => {
    const r = spawnSync('lintian', ['--pedantic', '--info', '--fail-on=error,warning,info,pedantic', deb], { encoding: 'utf8', timeout: 120_000 })
    const tags = r.stdout.split('\n').filter((l) => /^[EWIPX]: /.test(l))
    expect(tags).toEqual([])
    expect(r.status, r.stdout + r.stderr).toBe(0)
  }, 150_000)
})

function findReadlink(): string {
  for (const p of ['/usr/bin/readlink', '/bin/readlink']) if (existsSync(p)) return p
  throw new Error('readlink not found (coreutils)')
}
