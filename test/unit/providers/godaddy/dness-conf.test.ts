import { parse as parseToml } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import { validateConfig } from '../../../../src/config/schema.js'
import { godaddy } from '../../../../src/providers/godaddy/index.js'
import { porkbun } from '../../../../src/providers/porkbun/index.js'
import type { ProviderDef } from '../../../../src/providers/types.js'
import { Redactor } from '../../../../src/report/redact.js'

/** The two providers as the registry will list them (the lead adds the registry lines). */
const providers = { godaddy: godaddy as ProviderDef, porkbun: porkbun as ProviderDef }

/** dness's documented entries for both types (dness README and assets), with fake secrets. */
const DNESS_CONF = `
[log]
level = "Debug"

[[domains]]
type = "godaddy"
domain = "example.com"
key = "abc123-FAKE"
secret = "ef-FAKE-secret"
records = [ "@", "a" ]

[[domains]]
type = "porkbun"
domain = "example.com"
key = "pk1_FAKE-key"
secret = "sk1_FAKE-secret"
records = [ "@", "sub" ]
ip_types = ["4", "6"]
`

function validate(text: string) {
  const redactor = new Redactor()
  const warnings: string[] = []
  const cfg = validateConfig(parseToml(text) as Record<string, unknown>, { redactor, file: 'dness.conf', warn: (w) => warnings.push(w) }, { providers })
  return { cfg, redactor, warnings }
}

describe('a dness.conf with godaddy and porkbun entries', () => {
  it('validates unchanged into records per family, with the accounts and secrets known', () => {
    const { cfg, redactor } = validate(DNESS_CONF)
    expect(cfg.domains.map((d) => [d.type, d.records.map((r) => `${r.fqdn} ${r.type}`)])).toEqual([
      ['godaddy', ['example.com A', 'a.example.com A']],
      ['porkbun', ['example.com A', 'example.com AAAA', 'sub.example.com A', 'sub.example.com AAAA']],
    ])
    expect(cfg.domains[0]!.account).toMatch(/^godaddy:api\.godaddy\.com:[0-9a-f]{8}$/)
    expect(cfg.domains[1]!.account).toMatch(/^porkbun:api\.porkbun\.com:[0-9a-f]{8}$/)
    for (const s of ['abc123-FAKE', 'ef-FAKE-secret', 'pk1_FAKE-key', 'sk1_FAKE-secret']) expect(redactor.redact(`x ${s} y`)).toBe('x *** y')
  })

  it.each([
    ['godaddy', 300],
    ['porkbun', 60],
  ])('BC-09: a %s ttl of %i is refused before any network call, naming the key', (type, ttl) => {
    const text = `[[domains]]\ntype = "${type}"\ndomain = "example.com"\nkey = "k-FAKE"\nsecret = "s-FAKE"\nrecords = ["@"]\nttl = ${ttl}\n`
    try {
      validate(text)
      throw new Error('expected a config error')
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      expect((e as ConfigError).message).toBe(`domains[0].ttl: must be from 600 to 2147483647 seconds for ${type}, got ${ttl}`)
    }
  })

  it('a ttl of 600 or more is kept for created records', () => {
    const { cfg } = validate(`[[domains]]\ntype = "porkbun"\ndomain = "example.com"\nkey = "k-FAKE"\nsecret = "s-FAKE"\nrecords = ["@"]\nttl = "15m"\ncreate = true\n`)
    expect(cfg.domains[0]).toMatchObject({ ttl: 900, create: true })
  })
})
