import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PRESETS } from '../../../../src/providers/dyndns2/presets.js'
import { providers } from '../../../../src/providers/registry.js'
import { providerRows, providerText } from '../../../../src/providers/table.js'
import { TOKENURL_PROVIDERS } from '../../../../src/providers/tokenurl/index.js'

/**
 * Issue 10: `edge-ddns providers` lists at least 60 working services (provider types plus dyndns2
 * presets), each with its keys, and every listed service has fixture answers under
 * test/fixtures/ (a preset in test/fixtures/dyndns2/<preset>/). The token-URL services are merged
 * in here whether or not the registry has them yet, so the count holds before and after.
 */

const FIX = fileURLToPath(new URL('../../../fixtures/', import.meta.url))
const ALL = { ...providers, ...TOKENURL_PROVIDERS }

/** The fixture folder of a table row: `dyndns2 preset=strato` → dyndns2/strato. */
function folderOf(type: string): string {
  const m = /^dyndns2 preset=(.+)$/.exec(type)
  return m ? `dyndns2/${m[1]}` : type
}

describe('the service catalogue (issue 10)', () => {
  it('lists at least 60 services, each with its keys and documentation page', () => {
    const rows = providerRows(ALL)
    expect(rows.length).toBeGreaterThanOrEqual(60)
    expect(new Set(rows.map((r) => r.type)).size).toBe(rows.length)
    for (const r of rows) {
      expect(r.keys.length, r.type).toBeGreaterThan(0)
      expect(r.required.length, r.type).toBeGreaterThan(0)
      expect(r.docs, r.type).toMatch(/^https:\/\//)
    }
  })

  it('every listed service has fixture answers in its own folder', () => {
    for (const r of providerRows(ALL)) {
      const dir = `${FIX}${folderOf(r.type)}`
      expect(existsSync(dir), `${r.type}: ${dir}`).toBe(true)
      expect(readdirSync(dir).some((f) => f.endsWith('.json')), `${r.type}: no fixture in ${dir}`).toBe(true)
    }
  })

  it('`edge-ddns providers` text names every service and ends with the count', () => {
    const text = providerText(ALL)
    const types = Object.keys(ALL).length
    for (const p of PRESETS) expect(text).toMatch(new RegExp(`^dyndns2 preset=${p.name.replace(/\./g, '\\.')}\\s+DNS\\s+(yes|no)\\s+(yes|no)\\s+.*password\\*`, 'm'))
    for (const t of Object.keys(TOKENURL_PROVIDERS)) expect(text).toMatch(new RegExp(`^${t}\\s+DNS\\s`, 'm'))
    expect(text).toMatch(/^dynv6\s+DNS\s+yes\s+yes\s+token\*, hostname\*, base_url, resolver$/m)
    expect(text).toMatch(/^dyndns2 preset=he\s+DNS\s+yes\s+no\s+preset\*, server, password\*, hostname\*, user_agent, resolver$/m)
    expect(text.trimEnd().split('\n').at(-1)).toBe(`${types + PRESETS.length} services: ${types} provider types and ${PRESETS.length} dyndns2 presets`)
  })
})
