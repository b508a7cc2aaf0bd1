#!/usr/bin/env node
// Bundles src/ into the one file users run: dist/edge-ddns.mjs.
// Prints the size and each package's share (from esbuild's metafile), and fails above the budget:
// on a router every kilobyte is parse time at each start.
//
//   node build/bundle.mjs                          build dist/edge-ddns.mjs, fail above the budget
//   node build/bundle.mjs --entry X --out Y        bundle another entry the same way (a probe)
import { build, transformSync } from 'esbuild'
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { builtinModules, createRequire } from 'node:module'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const stubs = join(root, 'build', 'stubs')
/**
 * Bytes. Issue 9 asks for 250 KB; the libraries alone are about 155 KB and edge-ddns's own code
 * (39 provider types and 41 presets, the daemon, MQTT discovery) about 255 KB, so that target is
 * not met (see the README's Performance section). Until it is, this is a ratchet a little above
 * the measured 420 KB, so the bundle cannot grow by accident. Lower it whenever the bundle shrinks.
 */
export const BUDGET_BYTES = 424 * 1024
/** The bundle users run. */
export const BUNDLE_PATH = join(root, 'dist', 'edge-ddns.mjs')

/**
 * Handlebars loads the source-map library only to attach source maps to compiled templates. The
 * config renderer uses the parser alone (src/config/render.ts), so nothing reaches it; an empty
 * module stands in, should a future import pull in the compiler again.
 */
const noSourceMap = {
  name: 'no-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'empty' }))
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {}', loader: 'js' }))
  },
}

/** The stand-ins of build/stubs/, by the package name they replace. */
export const STAND_INS = {
  'worker-timers': 'worker-timers.cjs',
  debug: 'debug.cjs',
  'lru-cache': 'lru-cache.cjs',
  'rfdc/default': 'rfdc.cjs',
  bl: 'bl.cjs',
  'process-nextick-args': 'process-nextick-args.cjs',
}

/**
 * mqtt.js (bundled for the MQTT reporter) pulls in readable-stream, a copy of Node's own stream
 * module (76 KB), worker-timers (browser-only), debug, lru-cache (for MQTT 5 topic aliases, which
 * edge-ddns never enables), rfdc (a deep copy of plain packets), bl (a byte list with a stream
 * wrapper mqtt-packet does not use), process-nextick-args (which is `process` on any current runtime)
 * and its whole package.json (for a version string). On Node and
 * Bun the built-in stream module is the same API; the rest get small stand-ins in build/stubs/,
 * each saying what it keeps. Only imports from inside mqtt and mqtt-packet are redirected.
 * test/unit/build/ tests the stand-ins against the packages they replace, and
 * test/integration/bundle-mqtt.test.ts runs the bundle against a real broker.
 */
const slimMqtt = {
  name: 'slim-mqtt',
  setup(b) {
    const fromMqtt = (importer) => /node_modules\/(mqtt|mqtt-packet)\//.test(importer)
    b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'node:stream', external: true }))
    b.onResolve({ filter: /^(worker-timers|debug|lru-cache|rfdc\/default|bl|process-nextick-args)$/ }, (args) =>
      fromMqtt(args.importer) ? { path: join(stubs, STAND_INS[args.path]) } : undefined,
    )
    // mqtt/build/lib/shared.js reads `require('../../package.json').version`: only the version goes in.
    b.onResolve({ filter: /package\.json$/ }, (args) =>
      /node_modules\/mqtt\//.test(args.importer) ? { path: 'mqtt-version', namespace: 'mqtt-version' } : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'mqtt-version' }, () => {
      const { version } = JSON.parse(readFileSync(join(root, 'node_modules', 'mqtt', 'package.json'), 'utf8'))
      return { contents: `module.exports={version:${JSON.stringify(version)}}`, loader: 'js' }
    })
  },
}

/** True for a Node built-in module name, with or without `node:`. */
export const isBuiltin = (name) => builtinModules.includes(name.replace(/^node:/, ''))

/**
 * Loads every Node built-in the bundle imports at its first use instead of at start-up, without
 * touching the code that imports it. Those Node does not load by itself (crypto, http, https,
 * tls, net, dgram, child_process, stream, ...) cost compile time and memory at each start when
 * imported at the top: together they were most of `edge-ddns --version`'s start-up beyond
 * Node's own. Those Node has loaded already (fs, util, path, events, ...) still cost an ES module
 * facade each, and the facade reads every export, lazy getters included: `fs.promises` loads the
 * promises API and the stream modules, `tls.rootCertificates` parses every root certificate.
 *
 * Each import resolves to a small module whose exports are a Proxy over the real module,
 * required (through the banner's `require`) the first time a property is read. esbuild's
 * CommonJS interop reads the export names (ownKeys, taken from the built-in at build time)
 * without reading the values, and reads each value when the code uses it, so a function called
 * inside a function body loads its module then, and `edge-ddns --version` loads none of them. A
 * module used at the top level of a module (a class extending Writable) loads when that module
 * runs, as before. The names are the build machine's Node's: src must run on Node 18 and may not
 * use names newer than that anyway.
 */
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const req = createRequire(import.meta.url)
    const named = namedBuiltinImports(join(root, 'src'))
    const srcDir = `${join(root, 'src')}/`
    b.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
      if (!isBuiltin(args.path)) return undefined
      if (args.namespace === 'lazy-builtin') return { path: args.path, external: true }
      const name = args.path.replace(/^node:/, '')
      // Names are known for src/'s static imports; anything else gets every name.
      const known = args.importer.startsWith(srcDir) && args.kind === 'import-statement' && !named.all.has(name)
      return { path: known ? name : `${name}#all`, namespace: 'lazy-builtin' }
    })
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const [name, all] = args.path.split('#')
      const real = Object.getOwnPropertyNames(req(`node:${name}`)).filter((k) => k !== 'default' && k !== '__esModule')
      // esbuild copies each listed name onto every importing module's record (a getter each, read
      // through the Proxy's traps): listing only the names src imports keeps that to a few.
      const keys = all ? real : real.filter((k) => named.get(name)?.has(k))
      return { contents: lazyModule(`require(${JSON.stringify(`node:${name}`)})`, keys), loader: 'js', resolveDir: root }
    })
  },
}

/**
 * Packages src imports at the top of a module but needs only on some paths: Handlebars' parser
 * (only for a config with a `{{`; its module builds the parser's tables when it runs, about as
 * much start-up work as parsing all of mqtt.js) and dns-packet (only for DNS detection and
 * RFC 2136). Same Proxy as the built-ins: the package is bundled as usual and its module runs at
 * the first use of one of its exports, not at start-up.
 */
export const LAZY_PACKAGES = ['dns-packet', 'handlebars/dist/cjs/handlebars/compiler/base.js']

const lazyPackages = {
  name: 'lazy-packages',
  setup(b) {
    const req = createRequire(join(root, 'src', 'index.js'))
    const srcDir = `${join(root, 'src')}/`
    const filter = new RegExp(`^(${LAZY_PACKAGES.map((p) => p.replace(/[./]/g, (c) => `\\${c}`)).join('|')})$`)
    b.onResolve({ filter }, (args) => (args.importer.startsWith(srcDir) ? { path: args.path, namespace: 'lazy-package' } : undefined))
    b.onLoad({ filter: /.*/, namespace: 'lazy-package' }, (args) => {
      const file = req.resolve(args.path)
      const keys = Object.getOwnPropertyNames(req(file)).filter((k) => k !== 'default' && k !== '__esModule')
      return { contents: lazyModule(`require(${JSON.stringify(file)})`, keys), loader: 'js', resolveDir: root }
    })
  },
}

/**
 * A CommonJS module whose exports are a Proxy over what `load` (JavaScript source) returns,
 * evaluated at the first read of a property. `keys` are the export names esbuild's interop copies
 * onto each importing module (as getters, read through the Proxy). The Proxy itself is made by
 * one shared module (LAZY_RUNTIME), so each lazy module costs a line.
 */
function lazyModule(load, keys) {
  return `module.exports=require(${JSON.stringify(LAZY_RUNTIME)})(()=>${load},${JSON.stringify(keys)})`
}

const LAZY_RUNTIME = 'lazy-runtime:proxy'
const lazyRuntimeSource = `module.exports=(load,keys)=>{let m;const get=()=>m??=load(),names=new Set(keys),
d={configurable:true,enumerable:true,writable:true,value:undefined};
return new Proxy({},{get:(_,k)=>get()[k],has:(_,k)=>k in get(),ownKeys:()=>keys,
getOwnPropertyDescriptor:(_,k)=>names.has(k)?d:undefined,set:(_,k,v)=>(get()[k]=v,true)})}`

/** Resolves and loads the shared Proxy factory of the lazy modules. */
const lazyRuntime = {
  name: 'lazy-runtime',
  setup(b) {
    b.onResolve({ filter: /^lazy-runtime:proxy$/ }, () => ({ path: 'proxy', namespace: 'lazy-runtime' }))
    b.onLoad({ filter: /.*/, namespace: 'lazy-runtime' }, () => ({ contents: lazyRuntimeSource, loader: 'js' }))
  },
}

/**
 * The names each built-in is imported by in `dir` (`import { createHash } from 'node:crypto'`),
 * read from esbuild's own TypeScript-to-JavaScript output, where imports are normalised and
 * type-only ones are gone. `all` holds the built-ins imported as a namespace or re-exported.
 * @returns {Map<string, Set<string>> & { all: Set<string> }}
 */
export function namedBuiltinImports(dir) {
  const named = new Map()
  const all = new Set()
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (/\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts')) scan(p)
    }
  }
  const scan = (file) => {
    const { code } = transformSync(readFileSync(file, 'utf8'), { loader: file.endsWith('ts') ? 'ts' : 'js', format: 'esm', target: 'es2022' })
    for (const m of code.matchAll(/import\s*(?:[\w$]+\s*,\s*)?\{([^}]*)\}\s*from\s*"([^"]+)"/g)) {
      const mod = m[2].replace(/^node:/, '')
      if (!isBuiltin(mod)) continue
      const set = named.get(mod) ?? new Set()
      for (const spec of m[1].split(',')) {
        const imported = spec.trim().split(/\s+as\s+/)[0]
        if (imported) set.add(imported)
      }
      named.set(mod, set)
    }
    for (const m of code.matchAll(/(?:import\s*(?:[\w$]+\s*,\s*)?\*\s*as\s*[\w$]+|export\s*(?:\*|\{[^}]*\}))\s*from\s*"([^"]+)"/g)) {
      if (isBuiltin(m[1])) all.add(m[1].replace(/^node:/, ''))
    }
  }
  walk(dir)
  return Object.assign(named, { all })
}

/**
 * The esbuild options of the bundle. `define`s the version and the build time; everything else is
 * what makes the file small: one ES module for Node >= 18 and Bun, minified, no comments kept.
 * @param {{ entry?: string, outfile?: string }} [opts] another entry (a probe) and where to write it
 */
export function bundleOptions(opts = {}) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  return {
    entryPoints: [opts.entry ?? join(root, 'src', 'main.ts')],
    outfile: opts.outfile ?? BUNDLE_PATH,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node18',
    minify: true,
    legalComments: 'none',
    drop: ['debugger'],
    // Packages that say they have no side effects let esbuild drop their unused modules whole.
    ignoreAnnotations: false,
    metafile: true,
    logLevel: 'warning',
    // Some bundled CommonJS packages and the lazy loaders call require() on Node built-ins; an ES
    // module has no require. It is made at the first call: creating it (and import.meta) up front
    // is about a millisecond of every start, and `--version` never needs it.
    banner: {
      js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';let __rq;const require=(id)=>(__rq??=__cr(import.meta.url))(id);",
    },
    plugins: [noSourceMap, slimMqtt, lazyRuntime, lazyBuiltins, lazyPackages],
    define: {
      __EDGE_DDNS_VERSION__: JSON.stringify(pkg.version),
      // The clock-sanity check treats any time before the build as "not synchronised yet" (BC-30).
      __EDGE_DDNS_BUILD_TIME__: JSON.stringify(new Date().toISOString()),
    },
  }
}

/**
 * Builds one bundle and measures it.
 * @param {{ entry?: string, outfile?: string }} [opts] as for `bundleOptions`
 * @returns {Promise<{ outfile: string, size: number, byPackage: [string, number][], metafile: object }>}
 *   size in bytes; byPackage: bytes in the output per npm package (`edge-ddns (src)` for our own
 *   code), largest first
 */
export async function buildBundle(opts = {}) {
  const options = bundleOptions(opts)
  mkdirSync(dirname(options.outfile), { recursive: true })
  const result = await build(options)
  chmodSync(options.outfile, 0o755)
  const bytes = readFileSync(options.outfile)
  assertAscii(bytes, options.outfile)
  const size = bytes.length
  return { outfile: options.outfile, size, byPackage: byPackage(result.metafile), metafile: result.metafile }
}

/**
 * Throws when the bundle holds a byte outside ASCII. One such character (a `…` in a regular
 * expression, which esbuild does not escape) makes V8 keep the whole source as a two-byte string:
 * twice the memory for the source and a slower scan at every start.
 */
export function assertAscii(bytes, file) {
  const i = bytes.findIndex((b) => b > 0x7f)
  if (i < 0) return
  const around = bytes.subarray(Math.max(0, i - 60), i + 20).toString('utf8')
  throw new Error(`${file}: non-ASCII byte at offset ${i}, in ${JSON.stringify(around)}: escape it in src (\\uXXXX)`)
}

/** Bytes in the output per package, from esbuild's metafile, largest first. */
export function byPackage(metafile) {
  const totals = new Map()
  const output = metafile.outputs[Object.keys(metafile.outputs)[0]]
  for (const [file, info] of Object.entries(output.inputs)) {
    const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
    const name = m
      ? m[1]
      : file.startsWith('build/stubs/') || file.includes('/build/stubs/') || file.startsWith('mqtt-version:')
        ? 'stand-ins (build/stubs)'
        : /^lazy-(builtin|package|runtime):/.test(file)
          ? 'lazy loaders (build/bundle.mjs)'
          : 'edge-ddns (src)'
    totals.set(name, (totals.get(name) ?? 0) + info.bytesInOutput)
  }
  return [...totals].sort((a, b) => b[1] - a[1])
}

/** The biggest input files of the output, for finding what to slim next. */
export function biggestFiles(metafile, n = 15) {
  const output = metafile.outputs[Object.keys(metafile.outputs)[0]]
  return Object.entries(output.inputs)
    .map(([file, info]) => [file, info.bytesInOutput])
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`

async function cli(argv) {
  const arg = (name) => {
    const i = argv.indexOf(name)
    return i >= 0 ? argv[i + 1] : undefined
  }
  const entry = arg('--entry')
  const outfile = arg('--out')
  // `--budget KB` is for the build's own tests; the project's budget is BUDGET_BYTES.
  const budget = arg('--budget') !== undefined ? Number(arg('--budget')) * 1024 : BUDGET_BYTES
  const { size, byPackage: pkgs, metafile, outfile: out } = await buildBundle({
    entry: entry && resolve(entry),
    outfile: outfile ? resolve(outfile) : entry ? join(root, 'dist', 'probe.mjs') : undefined,
  })
  console.log(`${out.startsWith(root) ? out.slice(root.length + 1) : out} ${kb(size)} (budget ${kb(budget)})`)
  for (const [name, bytes] of pkgs) console.log(`  ${kb(bytes).padStart(9)}  ${name}`)
  if (argv.includes('--files')) for (const [file, bytes] of biggestFiles(metafile, 25)) console.log(`  ${kb(bytes).padStart(9)}  ${file}`)
  const metaOut = join(dirname(out), entry ? 'probe-meta.json' : 'meta.json')
  writeFileSync(metaOut, JSON.stringify(metafile))
  if (size > budget) {
    console.error(`bundle is ${kb(size)}, over the ${kb(budget)} budget by ${kb(size - budget)} (per file: ${metaOut}, or run with --files)`)
    process.exit(1)
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await cli(process.argv.slice(2))
