#!/usr/bin/env node
// Bundles src/ into the one file users run: dist/edge-ddns.mjs.
// Prints the size and each package's share (from esbuild's metafile), and fails above the budget:
// on a router every kilobyte is parse time at each start.
import { build } from 'esbuild'
import { readFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
/** Bytes; issue 9 sets 250 KB for the minified bundle. */
export const BUDGET_BYTES = 250 * 1024
const out = join(root, 'dist', 'edge-ddns.mjs')
mkdirSync(dirname(out), { recursive: true })

/**
 * Handlebars loads the source-map library only to attach source maps to compiled templates, and
 * falls back to its own small SourceNode when the library is absent. We never ask for source
 * maps, so an empty module stands in for it (26 KB less to parse at every start).
 */
const noSourceMap = {
  name: 'no-source-map',
  setup(b) {
    b.onResolve({ filter: /^source-map$/ }, () => ({ path: 'source-map', namespace: 'empty' }))
    b.onLoad({ filter: /.*/, namespace: 'empty' }, () => ({ contents: 'module.exports = {}', loader: 'js' }))
  },
}

/**
 * mqtt.js (bundled for the MQTT reporter) pulls in readable-stream, a copy of Node's own stream
 * module (76 KB), worker-timers (browser-only) and debug. On Node and Bun the built-in stream
 * module is the same API, so those are swapped for Node's module and two tiny stand-ins.
 */
const slimMqtt = {
  name: 'slim-mqtt',
  setup(b) {
    b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'node:stream', external: true }))
    b.onResolve({ filter: /^worker-timers$/ }, () => ({ path: join(root, 'build', 'stubs', 'worker-timers.cjs') }))
    b.onResolve({ filter: /^debug$/ }, () => ({ path: join(root, 'build', 'stubs', 'debug.cjs') }))
  },
}

const result = await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node18',
  minify: true,
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
  // Some bundled CommonJS packages call require() on Node built-ins; an ES module has no require.
  banner: {
    js: "#!/usr/bin/env node\nimport{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
  },
  plugins: [noSourceMap, slimMqtt],
  define: {
    __EDGE_DDNS_VERSION__: JSON.stringify(pkg.version),
    // The clock-sanity check treats any time before the build as "not synchronised yet" (BC-30).
    __EDGE_DDNS_BUILD_TIME__: JSON.stringify(new Date().toISOString()),
  },
})
chmodSync(out, 0o755)

const size = readFileSync(out).length
const byPkg = new Map()
for (const [file, info] of Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].inputs)) {
  const m = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  const name = m ? m[1] : 'edge-ddns (src)'
  byPkg.set(name, (byPkg.get(name) ?? 0) + info.bytesInOutput)
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
console.log(`dist/edge-ddns.mjs ${kb(size)} (budget ${kb(BUDGET_BYTES)})`)
for (const [name, bytes] of [...byPkg].sort((a, b) => b[1] - a[1])) console.log(`  ${kb(bytes).padStart(9)}  ${name}`)
writeFileSync(join(root, 'dist', 'meta.json'), JSON.stringify(result.metafile))
if (size > BUDGET_BYTES) {
  console.error(`bundle is ${kb(size)}, over the ${kb(BUDGET_BYTES)} budget (see dist/meta.json)`)
  process.exit(1)
}
