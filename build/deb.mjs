#!/usr/bin/env node
// Builds the Debian package dist/edge-ddns_<version>_all.deb from the bundle (npm run build first).
//
//   node build/deb.mjs [--out DIR] [--bundle PATH]
//
// Layout (Debian policy; what the systemd units and the launcher expect):
//   /usr/bin/edge-ddns                         launcher (build/deb/edge-ddns.sh): node, nodejs or bun
//   /usr/lib/edge-ddns/edge-ddns.mjs           the bundle
//   /usr/lib/systemd/system/*.service|.timer   systemd/ (oneshot + timer, daemon)
//   /etc/edge-ddns/edge-ddns.toml (0644)       conffile: the dynamic user must read it
//   /etc/edge-ddns/edge-ddns.env  (0600)       conffile: secrets, read by systemd as root
//   /usr/share/doc/edge-ddns/                  copyright, changelog.gz, README.md, examples/
//                                              (edge-ddns.toml, fixed-endpoints.conf.example)
//   /usr/share/man/man1/edge-ddns.1.gz
// Needs dpkg-deb (Debian package dpkg). Everything is owned by root (--root-owner-group), so no
// fakeroot is needed; modes are set explicitly here and do not depend on the umask or the checkout.
// Reproducible: file times come from SOURCE_DATE_EPOCH, else the last commit, else the bundle's mtime.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { gzipSync } from 'node:zlib'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const here = join(root, 'build', 'deb')
const { values: opts } = parseArgs({
  options: { out: { type: 'string' }, bundle: { type: 'string' } },
})
const outDir = opts.out ?? join(root, 'dist')
const bundle = opts.bundle ?? join(root, 'dist', 'edge-ddns.mjs')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Debian's version order puts `~` before the release, as semver does with `-rc.1`. */
const version = String(pkg.version).replace(/-/, '~').replace(/\+.*$/, '')
if (!/^[0-9][A-Za-z0-9.+~]*$/.test(version)) fail(`package.json version ${pkg.version} does not map to a Debian version`)
const name = 'edge-ddns'
const maintainer = process.env.DEB_MAINTAINER ?? 'edge-ddns developers <edge-ddns@example.org>'
if (!existsSync(bundle)) fail(`${bundle} is missing: run npm run build first`)

function fail(msg) {
  console.error(`deb: ${msg}`)
  process.exit(1)
}

/** Seconds since the epoch for every file's mtime and the changelog date. */
function buildEpoch() {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH)
  try {
    return Number(execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim())
  } catch {
    return Math.floor(statSync(bundle).mtimeMs / 1000)
  }
}
const epoch = buildEpoch()
const date = new Date(epoch * 1000)

const stage = mkdtempSync(join(tmpdir(), 'edge-ddns-deb-'))
const tree = join(stage, name)
try {
  /** Writes a file into the package tree (creating its directories 0755) with an explicit mode. */
  const put = (path, content, mode) => {
    const full = join(tree, path)
    mkdirSync(dirname(full), { recursive: true })
    writeFileSync(full, content)
    chmodSync(full, mode)
  }
  const read = (p) => readFileSync(p)
  const gz = (buf) => gzipSync(buf, { level: 9 }) // zlib writes no name and mtime 0: like gzip -9n

  // The launcher picks the runtime, so the bundle's `#!/usr/bin/env node` line becomes a comment of
  // the same line count: an executable with a node shebang would need a hard dependency on nodejs,
  // which a Bun-only host does not have.
  const js = readFileSync(bundle, 'utf8')
  if (!js.startsWith('#!')) fail(`${bundle} does not start with a #! line; is it the esbuild bundle?`)
  put('usr/lib/edge-ddns/edge-ddns.mjs', js.replace(/^#![^\n]*/, '// edge-ddns: run through /usr/bin/edge-ddns'), 0o644)
  put('usr/bin/edge-ddns', read(join(here, 'edge-ddns.sh')), 0o755)
  for (const unit of ['edge-ddns.service', 'edge-ddns.timer', 'edge-ddns-daemon.service']) {
    put(`usr/lib/systemd/system/${unit}`, read(join(root, 'systemd', unit)), 0o644)
  }
  put('etc/edge-ddns/edge-ddns.toml', read(join(here, 'edge-ddns.toml')), 0o644)
  put('etc/edge-ddns/edge-ddns.env', read(join(here, 'edge-ddns.env')), 0o600)

  const doc = `usr/share/doc/${name}`
  put(`${doc}/copyright`, copyright(), 0o644)
  put(`${doc}/changelog.gz`, gz(Buffer.from(changelog())), 0o644)
  put(`${doc}/README.md`, read(join(root, 'README.md')), 0o644)
  put(`${doc}/examples/edge-ddns.toml`, read(join(here, 'edge-ddns.example.toml')), 0o644)
  put(`${doc}/examples/fixed-endpoints.conf.example`, read(join(root, 'systemd', 'fixed-endpoints.conf.example')), 0o644)
  const man = readFileSync(join(here, 'edge-ddns.1'), 'utf8')
    .replace(/^\.TH EDGE-DDNS 1 "" "edge-ddns"/m, `.TH EDGE-DDNS 1 "${date.toISOString().slice(0, 10)}" "edge-ddns ${version}"`)
  put('usr/share/man/man1/edge-ddns.1.gz', gz(Buffer.from(man)), 0o644)
  // Each override is explained in the file itself.
  const overrides = readFileSync(join(here, 'lintian-overrides'), 'utf8')
  if (/^[^#\s]/m.test(overrides)) put(`usr/share/lintian/overrides/${name}`, overrides, 0o644)

  const conffiles = ['/etc/edge-ddns/edge-ddns.toml', '/etc/edge-ddns/edge-ddns.env']
  put('DEBIAN/conffiles', conffiles.join('\n') + '\n', 0o644)
  for (const script of ['postinst', 'prerm', 'postrm']) put(`DEBIAN/${script}`, read(join(here, script)), 0o755)

  // md5sums lists every shipped file but the conffiles (dpkg tracks those itself).
  const files = walk(tree).filter((p) => !p.startsWith('DEBIAN/'))
  const sums = files
    .filter((p) => !conffiles.includes(`/${p}`))
    .map((p) => `${createHash('md5').update(read(join(tree, p))).digest('hex')}  ${p}`)
  put('DEBIAN/md5sums', sums.join('\n') + '\n', 0o644)

  put('DEBIAN/control', control(installedSizeKiB(files)), 0o644)

  for (const p of walk(tree, true)) utimesSync(join(tree, p), epoch, epoch)
  for (const d of dirs(tree)) chmodSync(d, 0o755)

  mkdirSync(outDir, { recursive: true })
  const deb = join(outDir, `${name}_${version}_all.deb`)
  execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', tree, deb], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SOURCE_DATE_EPOCH: String(epoch) },
  })
  console.log(`${relative(process.cwd(), deb) || deb} (${(statSync(deb).size / 1024).toFixed(1)} KB)`)
} finally {
  rmSync(stage, { recursive: true, force: true })
}

/** Files under `dir` relative to it, sorted; with `withDirs`, directories too. */
function walk(dir, withDirs = false, base = dir) {
  const out = []
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const full = join(dir, e.name)
    if (e.isDirectory()) {
      if (withDirs) out.push(relative(base, full))
      out.push(...walk(full, withDirs, base))
    } else out.push(relative(base, full))
  }
  return out
}

function dirs(dir) {
  return [dir, ...walk(dir, true).map((p) => join(dir, p)).filter((p) => statSync(p).isDirectory())]
}

/** As dpkg-gencontrol counts it: KiB per file, rounded up, plus one per directory. */
function installedSizeKiB(files) {
  let kib = 0
  for (const p of files) kib += Math.ceil(statSync(join(tree, p)).size / 1024)
  return kib + dirs(tree).length
}

function control(installedSize) {
  return [
    `Package: ${name}`,
    `Version: ${version}`,
    'Architecture: all',
    `Maintainer: ${maintainer}`,
    `Installed-Size: ${installedSize}`,
    // Debian 12 ships Node.js 18; Bun is not in Debian but is a complete runtime for the bundle.
    'Depends: nodejs (>= 18) | bun',
    'Section: net',
    'Priority: optional',
    'Description: dynamic DNS agent for routers and small hosts',
    ' edge-ddns finds the WAN address (DNS queries, HTTPS echoes or a local',
    ' interface) and keeps A/AAAA records pointing at it: it reads each record',
    ' first and writes only on a mismatch, never touches a record the config',
    ' does not name, and never writes when detection failed. Cloudflare and',
    ' RFC 2136 (TSIG) among others; reads a dness config unchanged.',
    ' .',
    ' This package ships hardened systemd units: a 5-minute timer with a',
    ' one-shot service, and a daemon. Nothing is started on installation.',
    '',
  ].join('\n')
}

function changelog() {
  // RFC 2822 date, as debian/changelog wants it.
  const d = date.toUTCString().replace(/GMT$/, '+0000')
  return `${name} (${version}) unstable; urgency=medium\n\n  * Release ${version}, packaged from the edge-ddns bundle.\n\n -- ${maintainer}  ${d}\n`
}

/**
 * debian/copyright in the machine-readable format, built from what esbuild really bundled
 * (dist/meta.json) and each package's own LICENSE file, so it cannot drift from the bundle.
 */
function copyright() {
  const meta = join(dirname(bundle), 'meta.json')
  if (!existsSync(meta)) fail(`${meta} is missing: run npm run build first (it lists the bundled packages)`)
  const m = JSON.parse(readFileSync(meta, 'utf8'))
  const inputs = Object.values(m.outputs).flatMap((o) => Object.keys(o.inputs))
  const pkgs = [...new Set(inputs.map((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean))].sort()
  /** SPDX id → DEP-5 short name. Anything else must be reviewed before it is shipped. */
  const dep5 = { MIT: 'Expat', 'BSD-3-Clause': 'BSD-3-clause', 'BSD-2-Clause': 'BSD-2-clause', ISC: 'ISC' }
  const texts = new Map()
  const holders = []
  const notes = []
  for (const p of pkgs) {
    const dir = join(root, 'node_modules', p)
    const info = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
    const lic = dep5[info.license]
    if (!lic) fail(`bundled package ${p} has license ${info.license}: add it to the copyright table after review`)
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.md|\.txt)?$/i.test(f))
    if (!file) fail(`bundled package ${p} has no LICENSE file to quote`)
    const lines = readFileSync(join(dir, file), 'utf8').replace(/\r/g, '').split('\n')
    const own = lines.filter((l) => /^\s*copyright\s*(\(c\)|©)/i.test(l)).map((l) => l.trim().replace(/^copyright\s*(\(c\)|©)\s*/i, ''))
    holders.push(...(own.length ? own : [`${info.name} authors`]))
    notes.push(`${info.name} ${info.version} (${info.license})`)
    if (lic !== 'Expat' && !texts.has(lic)) {
      // The license text without its title and copyright lines: those are listed above.
      const body = lines
        .filter((l) => !/^\s*copyright\s*(\(c\)|©)/i.test(l) && !/^\s*(the )?mit license\s*(\(mit\))?\s*$/i.test(l) && !/^\s*=+\s*$/.test(l))
        .join('\n')
        .trim()
      texts.set(lic, body)
    }
  }
  const field = (lines) => lines.map((l) => (l.trim() === '' ? ' .' : ` ${l}`)).join('\n')
  // edge-ddns itself is MIT (package.json); its text is kept in build/deb/expat.txt.
  texts.set('Expat', readFileSync(join(here, 'expat.txt'), 'utf8').trim())
  const licenses = [...new Set(['Expat', ...texts.keys()])]
  return [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    `Upstream-Name: ${name}`,
    '',
    'Files: *',
    `Copyright: ${date.getUTCFullYear()} the edge-ddns authors`,
    'License: Expat',
    '',
    'Files: usr/lib/edge-ddns/edge-ddns.mjs',
    `Copyright: ${date.getUTCFullYear()} the edge-ddns authors\n${field(holders)}`,
    `License: ${licenses.join(' and ')}`,
    `Comment: One file bundled with esbuild from the edge-ddns sources and these packages:\n${field(notes)}`,
    '',
    ...licenses.flatMap((l) => [`License: ${l}`, field((texts.get(l) ?? '').split('\n')), '']),
  ].join('\n')
}
