#!/usr/bin/env node
// `npm run bench` (after `node build/bundle.mjs`): the numbers of issue 9, printed as Markdown
// tables for the README's "Performance" section. Everything runs on loopback against local
// stand-ins; nothing reaches the internet. It reports and never fails on a number: the ratios
// depend on the machine and its load (printed first), and tests never assert times.
//
//   node bench/run.mjs [--build] [--runs N] [--only size,startup,oneshot,daemon,peers,scale]
//
// --build builds dist/edge-ddns.mjs first (as `node build/bundle.mjs` does, but a bundle over
// the size budget is still measured: the size section says by how much).
//
// Sections:
// - size: the bundle and each package's share (esbuild metafile, dist/meta.json);
// - startup: `edge-ddns --version` against `node -e 0` (and both under Bun);
// - oneshot: `edge-ddns run`, IP unchanged, two Cloudflare records, against `node -e 0`;
// - daemon: bench/daemon.mjs (RSS after 10 000 fake-clock cycles against after 100);
// - peers: edge-ddns, ddclient and inadyn doing the same dyndns2 cycle (IP unchanged; IP
//   changed) against the same local server (bench/dyndns2-server.mjs);
// - scale: 1000 records in 50 Cloudflare zones, all changed, and the API calls it took.
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { BUDGET_BYTES, buildBundle, byPackage } from '../build/bundle.mjs'
import { startDyndns2 } from './dyndns2-server.mjs'
import { BUNDLE, ROOT, bunBinary, cleanEnv, importTsHelper, machine, measure, ratio, table, which } from './lib.mjs'

const argv = process.argv.slice(2)
const argOf = (name, dflt) => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : dflt
}
const RUNS = Math.max(5, Number(argOf('runs', '11')))
const ONLY = new Set(argOf('only', 'size,startup,oneshot,daemon,peers,scale').split(','))
const NODE = process.execPath
const BUN = bunBinary()
const WAN = '203.0.113.7'
const OLD = '198.51.100.1'
const TOKEN = 'cfBenchToken_0123456789abcdefghijklmnop'

if (argv.includes('--build')) {
  const { size, metafile } = await buildBundle()
  writeFileSync(join(ROOT, 'dist', 'meta.json'), JSON.stringify(metafile))
  if (size > BUDGET_BYTES) console.error(`note: the bundle is ${(size / 1024).toFixed(1)} KB, over the ${BUDGET_BYTES / 1024} KB budget; measuring it anyway`)
}
if (!existsSync(BUNDLE)) {
  console.error(`${BUNDLE} is missing: run \`node build/bundle.mjs\` (npm run bench does)`)
  process.exit(1)
}
const work = mkdtempSync(join(os.tmpdir(), 'edge-ddns-bench-'))
const mb = (x) => (x === null || !Number.isFinite(x) ? 'n/a' : `${x.toFixed(1)} MB`)
const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(1)} ms` : 'n/a')
const plusMB = (a, b) => (a === null || b === null ? 'n/a' : `${a - b >= 0 ? '+' : ''}${(a - b).toFixed(1)} MB`)
const verdict = (ok) => (ok === undefined ? '' : ok ? 'within' : 'OVER')
const cell = (r) => (r.failed ? `failed: ${r.failed}` : ms(r.ms))

function header() {
  const m = machine()
  console.log('# edge-ddns benchmark\n')
  console.log(
    table([
      ['machine', ''],
      ['CPU', `${m.cpu} (nproc ${m.nproc}, ${m.memMB} MB RAM)`],
      ['kernel', m.kernel],
      ['node', m.node],
      ['bun', m.bun],
      ['load average at start', m.load],
      ['runs per case', `${RUNS} (median; one warm-up run not counted; cases interleaved)`],
      ['peak RSS', existsSync('/usr/bin/time') ? 'GNU time %M (ru_maxrss of the child)' : 'n/a: install the `time` package'],
    ]),
  )
  if (os.loadavg()[0] > m.nproc * 0.5) console.log(`\n> Note: the machine is busy (load ${m.load} on ${m.nproc} CPUs); wall-time ratios are noisy.`)
}

function size() {
  const metaPath = join(ROOT, 'dist', 'meta.json')
  const bytes = readFileSync(BUNDLE).length
  const over = bytes > BUDGET_BYTES ? `, over by ${((bytes - BUDGET_BYTES) / 1024).toFixed(1)} KB` : ''
  console.log(`\n## Bundle size\n\ndist/edge-ddns.mjs: ${(bytes / 1024).toFixed(1)} KB (budget ${BUDGET_BYTES / 1024} KB, build/bundle.mjs${over})\n`)
  if (!existsSync(metaPath)) return console.log('(dist/meta.json missing: build with node build/bundle.mjs for the breakdown)')
  const rows = [['part', 'KB', 'share']]
  for (const [name, b] of byPackage(JSON.parse(readFileSync(metaPath, 'utf8')))) rows.push([name, (b / 1024).toFixed(1), `${((b / bytes) * 100).toFixed(0)}%`])
  console.log(table(rows))
}

async function startup() {
  // Two probes show what part of the start-up no change to edge-ddns's code can remove: an empty
  // ES module (the cost of an .mjs entry: Node starts its ES module loader) and an ES module that
  // holds nothing but one string as long as the bundle (reading, decoding and scanning that many
  // bytes, without parsing them as code).
  const empty = join(work, 'empty.mjs')
  const sized = join(work, 'same-size-string.mjs')
  writeFileSync(empty, 'export {}\n')
  const text = readFileSync(BUNDLE, 'utf8').replace(/^#!.*\n/, '')
  writeFileSync(sized, `export const s = ${JSON.stringify(text)}\n`)
  const probes = (name, bin) => [
    { name: `${name} -e 0`, cmd: bin, args: ['-e', '0'] },
    { name: `${name} empty.mjs`, cmd: bin, args: [empty] },
    { name: `${name} string.mjs`, cmd: bin, args: [sized] },
    { name: `${name} edge-ddns --version`, cmd: bin, args: [BUNDLE, '--version'] },
  ]
  const cases = probes('node', NODE)
  if (BUN.bin) cases.push(...probes('bun', BUN.bin))
  const r = await measure(cases, RUNS)
  const by = Object.fromEntries(r.map((x) => [x.name, x]))
  const kb = Math.round(text.length / 1024)
  const rows = [['runtime', 'bare (-e 0)', 'empty .mjs', `a ${kb} KB string .mjs`, 'edge-ddns --version', 'wall ratio (budget ≤ 1.10×)', 'peak RSS bare → edge-ddns']]
  for (const rt of ['node', 'bun']) {
    const bare = by[`${rt} -e 0`]
    const ver = by[`${rt} edge-ddns --version`]
    if (!bare) {
      rows.push([rt, `n/a (${BUN.why})`, '', '', '', '', ''])
      continue
    }
    const rel = (x) => (x.failed ? cell(x) : `${cell(x)} (${ratio(x.ms, bare.ms)})`)
    rows.push([
      rt,
      cell(bare),
      rel(by[`${rt} empty.mjs`]),
      rel(by[`${rt} string.mjs`]),
      cell(ver),
      `${ratio(ver.ms, bare.ms)} ${verdict(ver.ms / bare.ms <= 1.1)}`,
      `${mb(bare.rssMB)} → ${mb(ver.rssMB)} (${plusMB(ver.rssMB, bare.rssMB)})`,
    ])
  }
  console.log('\n## Start-up\n')
  console.log(table(rows))
  console.log(`\nThe probes: \`empty .mjs\` is an empty ES module; the string .mjs holds one string literal as long as the bundle (${kb} KB) and no other code. Both are floors for a one-file .mjs agent of this size.`)
}

/** The local world of the oneshot and the peers: the dyndns2 service (also the IP echo) and a fake Cloudflare. */
async function world() {
  const dyn = await startDyndns2({ user: 'bench', password: 'bench-password', hosts: { 'home.example.com': WAN }, wan: WAN })
  const { startCloudflare } = await importTsHelper('test/helpers/cloudflare-server.ts')
  const cf = await startCloudflare({
    token: TOKEN,
    zones: [
      {
        name: 'example.com',
        records: [
          { type: 'A', name: 'home.example.com', content: WAN, proxied: true, ttl: 120 },
          { type: 'A', name: 'www.example.com', content: WAN },
          { type: 'TXT', name: 'home.example.com', content: 'v=spf1 -all' },
        ],
      },
    ],
  })
  return { dyn, cf, startCloudflare }
}

function writeConfig(dir, name, text) {
  mkdirSync(dir, { recursive: true })
  const p = join(dir, name)
  writeFileSync(p, text, { mode: 0o600 })
  return p
}

function detectSection(port) {
  return `[detect]\nipv4 = ["http://127.0.0.1:${port}/ip"]\nallow_documentation = true\n`
}

async function oneshot(w) {
  const dir = join(work, 'oneshot')
  const cfg = writeConfig(
    dir,
    'edge-ddns.toml',
    `${detectSection(w.dyn.port)}
[[domains]]
type = "cloudflare"
token = "${TOKEN}"
zone = "example.com"
records = ["home.example.com", "www.example.com"]
base_url = "${w.cf.url}"
`,
  )
  const writesBefore = () => w.cf.writes().length
  let before = 0
  const unchanged = {
    before: () => {
      before = writesBefore()
    },
    check: (r) => (writesBefore() !== before ? 'wrote although the IP was unchanged' : /unchanged/.test(r.stdout + r.stderr) ? undefined : 'no "unchanged" in the output'),
  }
  const cases = [
    { name: 'node -e 0', cmd: NODE, args: ['-e', '0'] },
    { name: 'node edge-ddns run', cmd: NODE, args: [BUNDLE, 'run', '-c', cfg], cwd: dir, ...unchanged },
  ]
  if (BUN.bin) {
    cases.push({ name: 'bun -e 0', cmd: BUN.bin, args: ['-e', '0'] })
    cases.push({ name: 'bun edge-ddns run', cmd: BUN.bin, args: [BUNDLE, 'run', '-c', cfg], cwd: dir, ...unchanged })
  }
  const r = await measure(cases, RUNS)
  const by = Object.fromEntries(r.map((x) => [x.name, x]))
  const rows = [['runtime', 'bare (-e 0)', 'edge-ddns run', 'wall ratio (budget ≤ 1.5×)', 'peak RSS bare → edge-ddns (budget ≤ +8 MB)']]
  for (const rt of ['node', 'bun']) {
    const bare = by[`${rt} -e 0`]
    const run = by[`${rt} edge-ddns run`]
    if (!bare) continue
    const extra = run.rssMB !== null && bare.rssMB !== null ? run.rssMB - bare.rssMB : undefined
    rows.push([
      rt,
      cell(bare),
      cell(run),
      `${ratio(run.ms, bare.ms)} ${verdict(run.ms / bare.ms <= 1.5)}`,
      `${mb(bare.rssMB)} → ${mb(run.rssMB)} (${plusMB(run.rssMB, bare.rssMB)}) ${verdict(extra === undefined ? undefined : extra <= 8)}`,
    ])
  }
  console.log('\n## Oneshot: IP unchanged, two Cloudflare records, all on loopback\n')
  console.log('Detect over HTTP (local echo), list the zone, compare, write nothing.\n')
  console.log(table(rows))
}

function daemon() {
  console.log('\n## Daemon memory\n')
  const script = join(ROOT, 'bench', 'daemon.mjs')
  if (!existsSync(script)) return console.log('bench/daemon.mjs is missing: the daemon memory benchmark was not run.')
  const r = spawnSync(NODE, [script, '--json'], { encoding: 'utf8', cwd: ROOT, maxBuffer: 1 << 22 })
  let m
  try {
    m = JSON.parse(r.stdout.trim().split('\n').pop())
  } catch {
    return console.log(`bench/daemon.mjs failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`)
  }
  const toMB = (b) => b / 1048576
  // bench/daemon.mjs belongs to the daemon work and has printed two shapes: one result, or one per
  // runtime profile. Both are shown; anything else is printed as it came.
  const results = Array.isArray(m.results) ? m.results : m.start ? [{ profile: 'node', flags: [], cycles: m.cycles, rss: { [m.warm]: m.afterWarm.rss, end: m.end.rss }, rssGrowth: m.end.rss - m.afterWarm.rss }] : null
  if (!results) return console.log(r.stdout.trim())
  const rows = [['profile', 'node flags', 'cycles', 'RSS after 100', 'RSS at the end', 'growth (budget ≤ 1 MB)']]
  for (const x of results) {
    const after100 = x.rss?.['100']
    const end = x.rss?.end
    const growth = typeof x.rssGrowth === 'number' ? x.rssGrowth : end - after100
    rows.push([x.profile ?? '', (x.flags ?? []).join(' ') || '(none)', x.cycles ?? '', mb(toMB(after100)), mb(toMB(end)), `${plusMB(toMB(end), toMB(end - growth))} ${verdict(growth <= 1048576)}`])
  }
  console.log(table(rows))
}

async function peers(w) {
  const dyn = w.dyn
  const port = dyn.port
  const host = 'home.example.com'
  const dir = join(work, 'peers')
  const updatesCheck = (want) => {
    let at = 0
    return {
      mark: () => {
        at = dyn.updates
      },
      check: () => (dyn.updates - at !== want ? `sent ${dyn.updates - at} update requests, expected ${want}` : dyn.hosts.get(host) !== WAN ? `the record holds ${dyn.hosts.get(host)}` : undefined),
    }
  }
  /** Sets the service (and each client's cache) to "unchanged" or "changed" before a run. */
  const reset = (scenario) => {
    dyn.wan = WAN
    dyn.hosts.set(host, scenario === 'changed' ? OLD : WAN)
  }

  const tools = []
  // edge-ddns: the dyndns2 provider reads the record back over DNS from the service itself.
  const edgeCfg = writeConfig(
    join(dir, 'edge-ddns'),
    'edge-ddns.toml',
    `${detectSection(port)}
[[domains]]
type = "dyndns2"
server = "http://127.0.0.1:${port}"
username = "bench"
password = "bench-password"
hostname = "${host}"
resolver = "127.0.0.1:${port}"
`,
  )
  tools.push({ name: 'edge-ddns (node)', cmd: NODE, args: [BUNDLE, 'run', '-c', edgeCfg], cwd: join(dir, 'edge-ddns'), prepare: () => {} })
  if (BUN.bin) tools.push({ name: 'edge-ddns (bun)', cmd: BUN.bin, args: [BUNDLE, 'run', '-c', edgeCfg], cwd: join(dir, 'edge-ddns'), prepare: () => {} })

  const missing = []
  const ddclient = which('ddclient')
  if (ddclient) {
    const d = join(dir, 'ddclient')
    const cache = join(d, 'ddclient.cache')
    const cfg = writeConfig(
      d,
      'ddclient.conf',
      [
        'daemon=0',
        'syslog=no',
        `pid=${join(d, 'ddclient.pid')}`,
        `cache=${cache}`,
        'ssl=no',
        `use=web, web=http://127.0.0.1:${port}/ip`,
        'protocol=dyndns2',
        `server=127.0.0.1:${port}`,
        'login=bench',
        'password=bench-password',
        host,
        '',
      ].join('\n'),
    )
    // ddclient trusts its cache: "unchanged" is a fresh cache entry with the address; "changed" a
    // stale one (older than its 30 s min-interval, or it refuses to update) with the old address.
    const prepare = (scenario) => {
      const now = Math.floor(Date.now() / 1000)
      const t = scenario === 'changed' ? now - 3600 : now
      const ip = scenario === 'changed' ? OLD : WAN
      // Every field ddclient 3.10 writes: a missing one (static, wildcard, ...) counts as changed
      // and forces an update.
      writeFileSync(
        cache,
        `## ddclient-3.10.0\natime=${t},backupmx=0,custom=0,host=${host},ip=${ip},mtime=${t},mx=,script=/nic/update,static=0,status=good,wildcard=0,wtime=0 ${host}\n`,
      )
    }
    // -daemon=0 on the command line: ddclient raises a daemon value from the file to 60 s.
    tools.push({ name: 'ddclient', cmd: ddclient, args: ['-daemon=0', '-file', cfg, '-quiet'], cwd: d, prepare })
  } else missing.push('ddclient (apt-get install ddclient)')

  const inadyn = which('inadyn')
  if (inadyn) {
    const d = join(dir, 'inadyn')
    const cacheDir = join(d, 'cache')
    mkdirSync(cacheDir, { recursive: true })
    const cfg = writeConfig(
      d,
      'inadyn.conf',
      `period = 300
custom bench {
    username = bench
    password = bench-password
    ssl = false
    checkip-server = 127.0.0.1:${port}
    checkip-path = /ip
    checkip-ssl = false
    ddns-server = 127.0.0.1:${port}
    ddns-path = "/nic/update?hostname=%h&myip=%i"
    hostname = ${host}
}
`,
    )
    // The cache file holds the address alone, no line break (inadyn compares it as it is).
    const prepare = (scenario) => writeFileSync(join(cacheDir, `${host}.cache`), scenario === 'changed' ? OLD : WAN)
    tools.push({ name: 'inadyn', cmd: inadyn, args: ['--once', '--foreground', '--no-pidfile', `--cache-dir=${cacheDir}`, '-f', cfg, '-l', 'warning'], cwd: d, prepare })
  } else missing.push('inadyn (apt-get install inadyn)')

  const results = {}
  for (const scenario of ['unchanged', 'changed']) {
    const cases = tools.map((t) => {
      const u = updatesCheck(scenario === 'changed' ? 1 : 0)
      return {
        name: t.name,
        cmd: t.cmd,
        args: t.args,
        cwd: t.cwd,
        env: cleanEnv(),
        before: () => {
          reset(scenario)
          t.prepare(scenario)
          u.mark()
        },
        // edge-ddns always reads the record back; ddclient and inadyn trust their caches, which
        // `prepare` set to what the service holds. Each must send exactly the updates needed.
        check: u.check,
      }
    })
    results[scenario] = Object.fromEntries((await measure(cases, RUNS)).map((r) => [r.name, r]))
  }
  const base = results.unchanged['edge-ddns (node)']
  const baseChanged = results.changed['edge-ddns (node)']
  const rows = [['client', 'unchanged: wall', 'changed: wall', 'peak RSS (changed)', 'wall vs edge-ddns (unchanged / changed)', 'RSS vs edge-ddns']]
  for (const t of tools) {
    const u = results.unchanged[t.name]
    const c = results.changed[t.name]
    rows.push([t.name, cell(u), cell(c), mb(c.rssMB), `${ratio(u.ms, base.ms)} / ${ratio(c.ms, baseChanged.ms)}`, ratio(c.rssMB, baseChanged.rssMB)])
  }
  console.log('\n## Side by side: one dyndns2 cycle against the same local server\n')
  console.log('Each client asks the local IP echo for the address and sends `/nic/update` only when the record must change')
  console.log('(edge-ddns reads the record back over DNS; ddclient and inadyn trust their caches). "changed": the record holds')
  console.log('an old address and each client sends exactly one update. Ratios: the client\'s median over edge-ddns on Node.\n')
  console.log(table(rows))
  for (const m of missing) console.log(`\nSkipped: ${m} is not installed.`)
}

async function scale(w) {
  const ZONES = 50
  const PER_ZONE = 20
  const dir = join(work, 'scale')
  const zones = Array.from({ length: ZONES }, (_, z) => ({
    name: `zone${z}.example`,
    records: Array.from({ length: PER_ZONE }, (_, i) => ({ type: 'A', name: `h${i}.zone${z}.example`, content: OLD, ttl: 300, proxied: i % 2 === 0 })),
  }))
  let cf
  const cfgPath = join(dir, 'edge-ddns.toml')
  mkdirSync(dir, { recursive: true })
  const before = async () => {
    await cf?.close()
    cf = await w.startCloudflare({ token: TOKEN, zones })
    const entries = zones
      .map(
        (z) => `[[domains]]
type = "cloudflare"
token = "${TOKEN}"
zone = "${z.name}"
records = [${z.records.map((r) => `"${r.name}"`).join(', ')}]
base_url = "${cf.url}"
`,
      )
      .join('\n')
    writeFileSync(cfgPath, `${detectSection(w.dyn.port)}\n${entries}`, { mode: 0o600 })
    chmodSync(cfgPath, 0o600)
  }
  const check = () => {
    const stale = zones.reduce((n, z) => n + cf.records(z.name).filter((r) => r.content !== WAN).length, 0)
    return stale ? `${stale} records still stale` : undefined
  }
  const [r] = await measure([{ name: 'scale', cmd: NODE, args: [BUNDLE, 'run', '-c', cfgPath], cwd: dir, before, check }], Math.min(RUNS, 5))
  const kinds = new Map()
  for (const q of cf.requests) {
    const k =
      q.method === 'GET' && q.path === '/zones'
        ? 'GET /zones (zones listing)'
        : q.method === 'GET' && /\/dns_records$/.test(q.path)
          ? 'GET /zones/{id}/dns_records (record listing pages)'
          : q.method === 'POST' && /\/batch$/.test(q.path)
            ? 'POST /zones/{id}/dns_records/batch'
            : `${q.method} ${q.path.replace(/[0-9a-f]{32}/g, '{id}')}`
    kinds.set(k, (kinds.get(k) ?? 0) + 1)
  }
  const patched = cf.requests.filter((q) => /\/batch$/.test(q.path)).reduce((n, q) => n + (q.body?.patches?.length ?? 0), 0)
  await cf.close()
  console.log(`\n## Scale: ${ZONES * PER_ZONE} records in ${ZONES} Cloudflare zones, all changed\n`)
  console.log(`One run of \`edge-ddns run\` (Node) against the local Cloudflare stand-in: wall ${cell(r)}, peak RSS ${mb(r.rssMB)} (median of ${r.runs}).\n`)
  const rows = [['API call (last run)', 'count']]
  for (const [k, n] of kinds) rows.push([k, n])
  rows.push(['total', cf.requests.length])
  console.log(table(rows))
  console.log(`\n${patched} records changed through batch patches; entries worked on 4 at a time (reconcile's bounded concurrency).`)
}

header()
try {
  if (ONLY.has('size')) size()
  if (ONLY.has('startup')) await startup()
  let w
  if (ONLY.has('oneshot') || ONLY.has('peers') || ONLY.has('scale')) w = await world()
  if (ONLY.has('oneshot')) await oneshot(w)
  if (ONLY.has('daemon')) daemon()
  if (ONLY.has('peers')) await peers(w)
  if (ONLY.has('scale')) await scale(w)
  await w?.dyn.close()
  await w?.cf.close()
  console.log(`\nLoad average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
