import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireTool, ROOT } from '../unit/openwrt/router.js'

const REAL_BUNDLE = join(ROOT, 'dist', 'edge-ddns.mjs')
const PKG_VERSION: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version
const VERSION = `${PKG_VERSION}-r1`
const IPK_NAME = `edge-ddns_${VERSION}_all.ipk`

/** Every file of data.tar.gz with the mode it must have, all owned by root (0/0). */
const EXPECTED_FILES: Record<string, number> = {
  './usr/lib/edge-ddns/edge-ddns.mjs': 0o644,
  './usr/bin/edge-ddns': 0o755,
  './etc/init.d/edge-ddns': 0o755,
  './etc/config/edge-ddns': 0o600,
  './etc/edge-ddns/edge-ddns.toml': 0o644,
  './etc/edge-ddns/edge-ddns.env': 0o600,
  './etc/hotplug.d/iface/95-edge-ddns': 0o644,
  './etc/capabilities/edge-ddns.json': 0o644,
  './usr/share/acl.d/edge-ddns.json': 0o644,
}
/** Which source file each installed file is. */
const SOURCES: Record<string, string> = {
  './usr/bin/edge-ddns': 'edge-ddns.sh',
  './etc/init.d/edge-ddns': 'edge-ddns.init',
  './etc/config/edge-ddns': 'edge-ddns.config',
  './etc/edge-ddns/edge-ddns.toml': 'edge-ddns.toml',
  './etc/edge-ddns/edge-ddns.env': 'edge-ddns.env',
  './etc/hotplug.d/iface/95-edge-ddns': 'edge-ddns.hotplug',
  './etc/capabilities/edge-ddns.json': 'edge-ddns.capabilities',
  './usr/share/acl.d/edge-ddns.json': 'edge-ddns.acl',
}

interface Entry {
  path: string
  type: string
  mode: number
  owner: string
}

/** `tar -tv --numeric-owner` of a .tar.gz: type, mode, uid/gid and path of each entry. */
function listing(archive: string): Entry[] {
  const out = execFileSync('tar', ['-tvzf', archive, '--numeric-owner'], { encoding: 'utf8' })
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = /^([-dl])([rwxsStT-]{9}) (\d+\/\d+)\s+\d+ \S+ \S+ (.+)$/.exec(l)
      if (!m) throw new Error(`unreadable tar listing line: ${l}`)
      let mode = 0
      for (const [i, ch] of [...m[2]!].entries()) if (ch !== '-') mode |= 1 << (8 - i)
      return { type: m[1]!, mode, owner: m[3]!, path: m[4]! }
    })
}

/** Control fields; continuation lines (leading space) belong to the field before them. */
function fields(control: string): Map<string, string> {
  const out = new Map<string, string>()
  let last = ''
  for (const line of control.split('\n')) {
    if (line === '') continue
    if (line.startsWith(' ')) {
      out.set(last, `${out.get(last)}\n${line}`)
      continue
    }
    const i = line.indexOf(': ')
    last = line.slice(0, i)
    out.set(last, line.slice(i + 2))
  }
  return out
}

let work: string
let bundle: string
let ipk: string
let unpacked: string

function build(outDir: string): string {
  const r = spawnSync(process.execPath, [join(ROOT, 'build', 'ipk.mjs'), '--bundle', bundle, '--out', outDir], {
    encoding: 'utf8',
    env: { ...process.env, SOURCE_DATE_EPOCH: '1735689600' },
    timeout: 60_000,
  })
  if (r.status !== 0) throw new Error(`build/ipk.mjs failed (${r.status}): ${r.stderr}`)
  return join(outDir, IPK_NAME)
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edge-ddns-ipk-test-'))
  bundle = join(work, 'edge-ddns.mjs')
  if (existsSync(REAL_BUNDLE)) {
    // A copy: a concurrent `npm run build` must not change the input between build and compare.
    copyFileSync(REAL_BUNDLE, bundle)
  } else {
    // npm test builds the bundle before vitest runs; without it, under CI, that build failed.
    if (process.env.CI) throw new Error(`${REAL_BUNDLE} is missing: npm run build must run first`)
    console.warn(`\n*** ${REAL_BUNDLE} is missing: packaging a stand-in bundle instead (npm run build makes the real one) ***\n`)
    writeFileSync(bundle, '#!/usr/bin/env node\nconsole.log("stand-in")\n')
  }
  ipk = build(join(work, 'out'))
  unpacked = join(work, 'unpacked')
  mkdirSync(unpacked)
  execFileSync('tar', ['-xzf', ipk, '-C', unpacked])
})

afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('npm run package:ipk (build/ipk.mjs)', () => {
  it(`writes ${IPK_NAME}: a gzipped tar (not ar) of debian-binary, data.tar.gz, control.tar.gz in that order`, () => {
    expect(readdirSync(join(work, 'out'))).toEqual([IPK_NAME])
    const head = readFileSync(ipk).subarray(0, 2)
    expect([...head]).toEqual([0x1f, 0x8b])
    const outer = listing(ipk)
    expect(outer.map((e) => e.path)).toEqual(['./debian-binary', './data.tar.gz', './control.tar.gz'])
    expect(outer.every((e) => e.owner === '0/0')).toBe(true)
    expect(readFileSync(join(unpacked, 'debian-binary'), 'utf8')).toBe('2.0\n')
  })

  it('control: package, version from package.json, libc only (no hard node), arch all, size, user', () => {
    const control = execFileSync('tar', ['-xzOf', join(unpacked, 'control.tar.gz'), './control'], { encoding: 'utf8' })
    const f = fields(control)
    const dataTarBytes = execFileSync('gzip', ['-dc', join(unpacked, 'data.tar.gz')], { maxBuffer: 64 << 20 }).length
    expect([...f.keys()]).toEqual(['Package', 'Version', 'Depends', 'License', 'Section', 'Require-User', 'Architecture', 'Installed-Size', 'Description'])
    expect(f.get('Package')).toBe('edge-ddns')
    expect(f.get('Version')).toBe(VERSION)
    expect(f.get('Depends')).toBe('libc')
    expect(f.get('Architecture')).toBe('all')
    expect(f.get('Installed-Size')).toBe(String(dataTarBytes))
    expect(f.get('Require-User')).toBe('edge-ddns=436:edge-ddns=436')
    expect(f.get('License')).toBe('MIT')
    expect(f.get('Section')).toBe('net')
    expect(f.get('Description')).toMatch(/^ edge-ddns keeps A\/AAAA records/)
    expect(f.get('Description')).toMatch(/opkg install node/)
  })

  it('control.tar.gz: control, conffiles, and the OpenWrt default postinst/prerm plus postinst-pkg', () => {
    const entries = listing(join(unpacked, 'control.tar.gz'))
    expect(entries.map((e) => [e.path, e.mode.toString(8), e.owner])).toEqual([
      ['./', '755', '0/0'],
      ['./conffiles', '644', '0/0'],
      ['./control', '644', '0/0'],
      ['./postinst', '755', '0/0'],
      ['./postinst-pkg', '755', '0/0'],
      ['./prerm', '755', '0/0'],
    ])
    const read = (name: string): string => execFileSync('tar', ['-xzOf', join(unpacked, 'control.tar.gz'), `./${name}`], { encoding: 'utf8' })
    expect(read('conffiles')).toBe('/etc/config/edge-ddns\n/etc/edge-ddns/edge-ddns.env\n/etc/edge-ddns/edge-ddns.toml\n')
    const postinst = read('postinst')
    expect(postinst).toMatch(/^#!\/bin\/sh\n\[ "\$\{IPKG_NO_SCRIPT\}" = "1" \] && exit 0\n/)
    expect(postinst).toContain('. "${IPKG_INSTROOT}/lib/functions.sh"')
    expect(postinst).toMatch(/^default_postinst "\$0" "\$@"$/m)
    expect(read('prerm')).toMatch(/^default_prerm "\$0" "\$@"$/m)
    expect(read('postinst-pkg')).toContain('kill -HUP "$ubusd_pid"')
    const shellcheck = requireTool('shellcheck', 'shellcheck')
    if (shellcheck) {
      for (const name of ['postinst', 'prerm', 'postinst-pkg']) {
        const r = spawnSync(shellcheck, ['-s', 'sh', '-'], { input: read(name), encoding: 'utf8' })
        expect(r.stdout, name).toBe('')
      }
    }
  })

  it('data.tar.gz: exactly the package files, root-owned, init 0755, hotplug 0644, env and UCI 0600', () => {
    const entries = listing(join(unpacked, 'data.tar.gz'))
    expect(entries.every((e) => e.owner === '0/0')).toBe(true)
    const dirs = entries.filter((e) => e.type === 'd')
    expect(dirs.every((d) => d.mode === 0o755)).toBe(true)
    const files = Object.fromEntries(entries.filter((e) => e.type === '-').map((e) => [e.path, e.mode]))
    expect(files).toEqual(EXPECTED_FILES)
  })

  it('data.tar.gz: each file is byte for byte its source (the bundle the only program)', () => {
    const data = join(work, 'data')
    mkdirSync(data)
    execFileSync('tar', ['-xzf', join(unpacked, 'data.tar.gz'), '-C', data])
    const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex')
    expect(sha(join(data, 'usr/lib/edge-ddns/edge-ddns.mjs'))).toBe(sha(bundle))
    for (const [path, src] of Object.entries(SOURCES)) {
      expect(sha(join(data, path)), path).toBe(sha(join(ROOT, 'openwrt', 'files', src)))
    }
  })

  it('is reproducible: a second build is byte for byte the same', () => {
    const again = build(join(work, 'again'))
    expect(readFileSync(again).equals(readFileSync(ipk))).toBe(true)
  })

  it('BusyBox tar (what a router has) can unpack both layers', () => {
    const busybox = requireTool('busybox', 'busybox')
    if (!busybox) return
    const dir = join(work, 'busybox')
    mkdirSync(dir)
    execFileSync(busybox, ['tar', '-xzf', ipk, '-C', dir])
    const files = execFileSync(busybox, ['tar', '-tzf', join(dir, 'data.tar.gz')], { encoding: 'utf8' }).split('\n')
    expect(files).toContain('./etc/init.d/edge-ddns')
    expect(files).toContain('./usr/lib/edge-ddns/edge-ddns.mjs')
  })

  it('GNU make runs the Makefile (with stand-ins for the SDK macros) into the same tree as data.tar.gz', () => {
    const make = requireTool('make', 'make')
    if (!make) return
    // What the SDK's rules.mk and package.mk give the Makefile, reduced to what it uses:
    // the install macros with their modes, and BuildPackage running Build/Prepare and install.
    const sdk = join(work, 'sdk')
    mkdirSync(sdk)
    writeFileSync(
      join(sdk, 'rules.mk'),
      ['INCLUDE_DIR:=$(TOPDIR)', 'INSTALL_DIR:=install -d -m0755', 'INSTALL_BIN:=install -m0755', 'INSTALL_DATA:=install -m0644', 'INSTALL_CONF:=install -m0600', 'CP:=cp -fpR', ''].join('\n'),
    )
    writeFileSync(
      join(sdk, 'package.mk'),
      ['PKG_BUILD_DIR:=$(BUILD_DIR)/$(PKG_NAME)-$(PKG_VERSION)', 'define BuildPackage', 'install:', '\t$(Build/Prepare)', '\t$(call Package/$(1)/install,$(DEST))', 'endef', ''].join('\n'),
    )
    const dest = join(work, 'make-root')
    const r = spawnSync(
      make,
      ['-s', '-C', join(ROOT, 'openwrt'), `TOPDIR=${sdk}`, `BUILD_DIR=${join(work, 'build')}`, `DEST=${dest}`, `EDGE_DDNS_BUNDLE=${bundle}`, 'install'],
      { encoding: 'utf8', timeout: 60_000 },
    )
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    const made = execFileSync('find', ['.', '-mindepth', '1', '-printf', '%y %m ./%P\\n'], { cwd: dest, encoding: 'utf8' })
      .split('\n')
      .filter((l) => l !== '')
      .sort()
    const packaged = listing(join(unpacked, 'data.tar.gz'))
      .filter((e) => e.path !== './')
      .map((e) => `${e.type === '-' ? 'f' : e.type} ${e.mode.toString(8)} ${e.path.replace(/\/$/, '')}`)
      .sort()
    expect(made).toEqual(packaged)
  })

  it('the Makefile and package.json agree on the version (PKG_VERSION)', () => {
    const mk = readFileSync(join(ROOT, 'openwrt', 'Makefile'), 'utf8')
    expect(/^PKG_VERSION:=(.*)$/m.exec(mk)?.[1]).toBe(PKG_VERSION)
    expect(mk).not.toMatch(/DEPENDS:=.*\+node/)
  })
})
