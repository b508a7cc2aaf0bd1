#!/usr/bin/env node
// Builds dist/edge-ddns_<version>-r<release>_all.ipk, the package opkg installs on OpenWrt 24.10,
// without the OpenWrt SDK: the same archive the SDK's scripts/ipkg-build makes from openwrt/Makefile.
//
// An .ipk is a gzipped tar (not an ar archive like a .deb) of ./debian-binary ("2.0"),
// ./data.tar.gz (the files, owned by root) and ./control.tar.gz (control, conffiles, postinst,
// prerm, postinst-pkg). Everything comes from openwrt/Makefile: version, release, USERID, the
// description, conffiles, the postinst body, and the install section (which file goes where, with
// INSTALL_BIN 0755, INSTALL_DATA 0644, INSTALL_CONF 0600), so the two cannot drift apart.
// Reproducible: GNU tar with --sort=name, numeric root ownership and a fixed mtime
// (SOURCE_DATE_EPOCH, else the last commit's time), gzip -n.
//
// Usage: node build/ipk.mjs [--bundle dist/edge-ddns.mjs] [--out dist]
// No .apk (OpenWrt 25.12): see openwrt/README.md, "OpenWrt 25.12 (apk)".
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const MAKEFILE = join(root, 'openwrt', 'Makefile')
/** The epoch used when neither SOURCE_DATE_EPOCH nor git can give one: 2024-01-01T00:00:00Z. */
const FALLBACK_EPOCH = 1704067200

/** Modes of OpenWrt's install macros (include/package-defaults.mk: INSTALL_BIN, INSTALL_DATA, INSTALL_CONF). */
const INSTALL_MODES = { INSTALL_BIN: 0o755, INSTALL_DATA: 0o644, INSTALL_CONF: 0o600 }

/**
 * Reads what the ipk needs from the feed Makefile's text.
 * @returns {{ name: string, version: string, release: string, license: string, section: string,
 *   userid: string, pkgarch: string, description: string[], conffiles: string[], postinst: string | null,
 *   prerm: string | null, dirs: string[], files: { src: string, dest: string, mode: number }[] }}
 *   `files[].src` is a path relative to openwrt/, or the token `@bundle` for the prebuilt bundle.
 * @throws Error naming the Makefile line it cannot read.
 */
export function readMakefile(text) {
  const variable = (name) => {
    const m = new RegExp(`^${name}:=(.*)$`, 'm').exec(text)
    if (!m) throw new Error(`openwrt/Makefile: no ${name}:=`)
    return m[1].trim()
  }
  const defines = new Map()
  for (const m of text.matchAll(/^define ([^\n]+)\n([\s\S]*?)^endef$/gm)) defines.set(m[1].trim(), m[2])
  const name = variable('PKG_NAME')
  const block = (suffix, required) => {
    const b = defines.get(`Package/${name}${suffix}`)
    if (b === undefined && required) throw new Error(`openwrt/Makefile: no define Package/${name}${suffix}`)
    return b ?? null
  }
  const pkg = {}
  for (const line of block('', true).split('\n')) {
    const m = /^\s*([A-Z_]+):=(.*)$/.exec(line)
    if (m) pkg[m[1]] = m[2].trim()
  }
  for (const key of ['SECTION', 'USERID', 'PKGARCH']) {
    if (!pkg[key]) throw new Error(`openwrt/Makefile: define Package/${name} has no ${key}:=`)
  }
  const dirs = []
  const files = []
  for (const raw of block('/install', true).split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    let m = /^\$\(INSTALL_DIR\) \$\(1\)(\/\S+)$/.exec(line)
    if (m) {
      dirs.push(m[1])
      continue
    }
    m = /^\$\((INSTALL_BIN|INSTALL_DATA|INSTALL_CONF)\) (\S+) \$\(1\)(\/\S+)$/.exec(line)
    if (!m) throw new Error(`openwrt/Makefile: cannot read install line: ${line}`)
    const src = m[2] === `$(PKG_BUILD_DIR)/${name}.mjs` ? '@bundle' : m[2].replace(/^\.\//, '')
    if (src !== '@bundle' && !/^files\/[\w.-]+$/.test(src)) throw new Error(`openwrt/Makefile: unexpected install source ${m[2]}`)
    files.push({ src, dest: m[3], mode: INSTALL_MODES[m[1]] })
  }
  return {
    name,
    version: variable('PKG_VERSION'),
    release: variable('PKG_RELEASE'),
    license: variable('PKG_LICENSE'),
    section: pkg.SECTION,
    userid: pkg.USERID,
    pkgarch: pkg.PKGARCH,
    description: block('/description', true)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== ''),
    conffiles: block('/conffiles', false)
      ?.split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '') ?? [],
    postinst: script(block('/postinst', false), 'postinst'),
    prerm: script(block('/prerm', false), 'prerm'),
    dirs,
    files,
  }
}

/** A script body from a Makefile define: make's `$$` is the shell's `$`; any other `$` would be make's. */
function script(body, what) {
  if (body === null) return null
  if (/\$[^$]/.test(body.replace(/\$\$/g, ''))) throw new Error(`openwrt/Makefile: ${what} uses a make variable; ipk.mjs cannot expand it`)
  return body.replace(/\$\$/g, '$')
}

// The control scripts OpenWrt's build generates for every package (include/package-pack.mk),
// written with quoting that shellcheck accepts; they hand over to /lib/functions.sh, whose
// default_postinst creates the Require-User user, runs postinst-pkg, and enables and starts
// /etc/init.d scripts; default_prerm runs prerm-pkg and stops and disables them.
const POSTINST = `#!/bin/sh
[ "\${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s "\${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
# shellcheck source=/dev/null # OpenWrt's /lib/functions.sh, not on the build machine
. "\${IPKG_INSTROOT}/lib/functions.sh"
default_postinst "$0" "$@"
`
const PRERM = `#!/bin/sh
[ -s "\${IPKG_INSTROOT}/lib/functions.sh" ] || exit 0
# shellcheck source=/dev/null # OpenWrt's /lib/functions.sh, not on the build machine
. "\${IPKG_INSTROOT}/lib/functions.sh"
default_prerm "$0" "$@"
`

/** The generic control scripts, for tests. */
export const CONTROL_SCRIPTS = { postinst: POSTINST, prerm: PRERM }

function sourceEpoch() {
  const env = process.env.SOURCE_DATE_EPOCH
  if (env !== undefined && /^\d+$/.test(env)) return Number(env)
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    if (/^\d+$/.test(out)) return Number(out)
  } catch {
    // Not a git checkout (a source tarball): the fixed fallback keeps the build reproducible.
  }
  return FALLBACK_EPOCH
}

/** GNU tar flags for a reproducible archive owned by root, as ipkg-build makes it. */
function tarFlags(epoch) {
  return ['--format=gnu', '--numeric-owner', '--owner=0', '--group=0', '--sort=name', `--mtime=@${epoch}`]
}

function tarGz(cwd, members, out, epoch) {
  const tar = `${out}.tar`
  execFileSync('tar', [...tarFlags(epoch), '-cf', tar, ...members], { cwd, stdio: ['ignore', 'ignore', 'inherit'] })
  const size = statSync(tar).size
  writeFileSync(out, execFileSync('gzip', ['-n', '-9', '-c', tar], { maxBuffer: 64 << 20 }))
  rmSync(tar)
  return size
}

function chmodTree(dir) {
  chmodSync(dir, 0o755)
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) chmodTree(join(dir, e.name))
}

/**
 * Builds the .ipk.
 * @param {{ bundle?: string, outDir?: string, epoch?: number }} [opts] bundle: the bundle file
 *   (default dist/edge-ddns.mjs); outDir: where the .ipk goes (default dist); epoch: mtime of every
 *   entry, in seconds since 1970 (default SOURCE_DATE_EPOCH, else the last commit's time).
 * @returns {{ path: string, version: string, bytes: number, sha256: string, installedSize: number }}
 * @throws Error when the bundle is missing, the Makefile cannot be read, its PKG_VERSION differs
 *   from package.json's version, or tar/gzip fail.
 */
export function buildIpk(opts = {}) {
  const bundle = resolve(opts.bundle ?? join(root, 'dist', 'edge-ddns.mjs'))
  const outDir = resolve(opts.outDir ?? join(root, 'dist'))
  const epoch = opts.epoch ?? sourceEpoch()
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run npm run build first (or pass --bundle)`)
  const mk = readMakefile(readFileSync(MAKEFILE, 'utf8'))
  const pkgVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version
  if (mk.version !== pkgVersion) {
    throw new Error(`openwrt/Makefile has PKG_VERSION:=${mk.version} but package.json has version ${pkgVersion}: make them equal`)
  }
  const version = `${mk.version}-r${mk.release}`
  const stage = mkdtempSync(join(tmpdir(), 'edge-ddns-ipk-'))
  try {
    const data = join(stage, 'data')
    const control = join(stage, 'control')
    const outer = join(stage, 'outer')
    for (const d of [data, control, outer]) mkdirSync(d)
    for (const d of mk.dirs) mkdirSync(join(data, d), { recursive: true })
    chmodTree(data)
    for (const f of mk.files) {
      const dest = join(data, f.dest)
      if (!existsSync(dirname(dest))) throw new Error(`openwrt/Makefile installs ${f.dest} without an INSTALL_DIR for it`)
      copyFileSync(f.src === '@bundle' ? bundle : join(root, 'openwrt', f.src), dest)
      chmodSync(dest, f.mode)
    }
    const installedSize = tarGz(data, ['.'], join(outer, 'data.tar.gz'), epoch)

    const description = mk.description.map((l) => ` ${l}`).join('\n')
    const fields = [
      ['Package', mk.name],
      ['Version', version],
      ['Depends', 'libc'],
      ['License', mk.license],
      ['Section', mk.section],
      ['Require-User', mk.userid],
      ['Architecture', mk.pkgarch],
      ['Installed-Size', String(installedSize)],
    ]
    writeFileSync(join(control, 'control'), `${fields.map(([k, v]) => `${k}: ${v}`).join('\n')}\nDescription: ${description}\n`, { mode: 0o644 })
    if (mk.conffiles.length > 0) {
      writeFileSync(join(control, 'conffiles'), `${[...mk.conffiles].sort().join('\n')}\n`, { mode: 0o644 })
    }
    writeFileSync(join(control, 'postinst'), POSTINST, { mode: 0o755 })
    writeFileSync(join(control, 'prerm'), PRERM, { mode: 0o755 })
    if (mk.postinst !== null) writeFileSync(join(control, 'postinst-pkg'), mk.postinst, { mode: 0o755 })
    if (mk.prerm !== null) writeFileSync(join(control, 'prerm-pkg'), mk.prerm, { mode: 0o755 })
    for (const e of readdirSync(control)) chmodSync(join(control, e), e === 'control' || e === 'conffiles' ? 0o644 : 0o755)
    chmodSync(control, 0o755)
    tarGz(control, ['.'], join(outer, 'control.tar.gz'), epoch)

    writeFileSync(join(outer, 'debian-binary'), '2.0\n', { mode: 0o644 })
    mkdirSync(outDir, { recursive: true })
    const path = join(outDir, `${mk.name}_${version}_${mk.pkgarch}.ipk`)
    // Member order as ipkg-build writes it; --sort=name orders directory contents only.
    tarGz(outer, ['./debian-binary', './data.tar.gz', './control.tar.gz'], path, epoch)
    const bytes = readFileSync(path)
    return { path, version, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), installedSize }
  } finally {
    rmSync(stage, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { bundle: { type: 'string' }, out: { type: 'string' } } })
  try {
    const r = buildIpk({ bundle: values.bundle, outDir: values.out })
    console.log(`${r.path} ${(r.bytes / 1024).toFixed(1)} KB (installed ${(r.installedSize / 1024).toFixed(1)} KB) sha256 ${r.sha256}`)
  } catch (e) {
    console.error(`package:ipk: ${e.message}`)
    process.exit(1)
  }
}
