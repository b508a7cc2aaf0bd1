import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { providers } from '../../../src/providers/registry.js'
import { providerMarkdown, providerText } from '../../../src/providers/table.js'
import { ROOT } from '../../helpers/bundle.js'

// The README's provider table is generated from the registry. This test fails when the two
// differ; `UPDATE_README=1 npx vitest run test/unit/readme` rewrites the README's table.
const START = '<!-- providers:start (generated from src/providers/registry.ts; UPDATE_README=1 npx vitest run test/unit/readme) -->'
const END = '<!-- providers:end -->'

describe('provider table', () => {
  it('the README lists exactly what the registry has', () => {
    const path = join(ROOT, 'README.md')
    const readme = readFileSync(path, 'utf8')
    const a = readme.indexOf(START)
    const b = readme.indexOf(END)
    expect(a, 'README.md has no provider table markers').toBeGreaterThan(-1)
    const current = readme.slice(a + START.length, b).trim()
    const wanted = providerMarkdown(providers).trim()
    if (process.env.UPDATE_README && current !== wanted) {
      writeFileSync(path, `${readme.slice(0, a + START.length)}\n${wanted}\n${readme.slice(b)}`)
      return
    }
    expect(current).toBe(wanted)
  })

  it('every provider documents its keys, capabilities and API page', () => {
    for (const [type, def] of Object.entries(providers)) {
      expect(def.name, type).toBe(type)
      expect(def.keys.length, type).toBeGreaterThan(0)
      expect(def.docs, type).toMatch(/^https:\/\//)
      expect(def.summary.length, type).toBeGreaterThan(10)
    }
  })

  it('the text form names every type and marks required keys', () => {
    const text = providerText(providers)
    for (const type of Object.keys(providers)) expect(text).toMatch(new RegExp(`^${type}\\s`, 'm'))
    expect(text).toMatch(/^cloudflare\s+API\s+yes\s+no\s+.*zone\*/m)
    expect(text).toContain(`${Object.keys(providers).length} provider types`)
  })
})
