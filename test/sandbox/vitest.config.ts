import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// `npm run test:sandbox`: the systemd-nspawn proof, kept out of the default `vitest run` (it needs
// root, debootstrap and systemd-container, and boots a container).
export default defineConfig({
  root: join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
  test: {
    include: ['test/sandbox/**/*.sandbox.ts'],
    // Building the cached root file system the first time takes about a minute; a run about 20 s.
    hookTimeout: 20 * 60_000,
    testTimeout: 3 * 60_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['verbose'],
  },
})
