import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../../src/config/load.js'
import { desec } from '../../../../src/providers/desec/index.js'
import { duckdns } from '../../../../src/providers/duckdns/index.js'
import { dyndns2 } from '../../../../src/providers/dyndns2/index.js'
import { dynu } from '../../../../src/providers/dynu/index.js'
import { he } from '../../../../src/providers/he/index.js'
import { namecheap } from '../../../../src/providers/namecheap/index.js'
import { noip } from '../../../../src/providers/noip/index.js'
import type { ProviderDef } from '../../../../src/providers/types.js'
import { Redactor } from '../../../../src/report/redact.js'

/**
 * dness compatibility through the real config stage: the entries of dness's README for he, noip,
 * dynu and namecheap, templated with secrets from the environment, load unchanged.
 */

const PROVIDERS: Record<string, ProviderDef> = { he, noip, dynu, namecheap, duckdns, desec, dyndns2 } as Record<string, ProviderDef>

const DNESS_CONF = `
[log]
level = "Debug"

[[domains]]
type = "namecheap"
domain = "test-dness-1.xyz"
ddns_password = "{{NC_PASS}}"
records = [ "@", "*", "sub" ]

[[domains]]
type = "he"
hostname = "test-dness-1.xyz"
password = "{{HE_PASS}}"
records = [ "@", "sub" ]

[[domains]]
type = "noip"
hostname = "dnesstest.hopto.org"
username = "myemail@example.org"
password = "{{NOIP_PASS}}"

[[domains]]
type = "dynu"
hostname = "test-dness.camdvr.org"
username = "MyUserName"
password = "{{DYNU_PASS}}"
records = [ "@", "sub" ]
`

const ENV = { NC_PASS: 'nc&secret#1', HE_PASS: 'he-secret+2', NOIP_PASS: 'noip:secret$3', DYNU_PASS: 'dynu%secret4' }

describe('dness.conf with the push-only types, through the config stage', () => {
  it('loads unchanged: names, families and secrets as dness means them', () => {
    const redactor = new Redactor()
    const { config } = loadConfig({ path: 'dness.conf', env: ENV, redactor, readFile: () => DNESS_CONF, providers: PROVIDERS, planned: [] })
    expect(config.domains.map((d) => `${d.type}: ${d.records.map((r) => `${r.fqdn} ${r.type}`).join(', ')}`)).toEqual([
      'namecheap: test-dness-1.xyz A, *.test-dness-1.xyz A, sub.test-dness-1.xyz A',
      'he: test-dness-1.xyz A, sub.test-dness-1.xyz A',
      'noip: dnesstest.hopto.org A',
      'dynu: test-dness.camdvr.org A, sub.test-dness.camdvr.org A',
    ])
    for (const s of Object.values(ENV)) expect(redactor.redact(`x ${s} y`)).toBe('x *** y')
  })

  it('the new types load with ip_types 4 and 6', () => {
    const toml = `
[[domains]]
type = "duckdns"
token = "{{DUCK}}"
domains = "myhost.duckdns.org"
ip_types = ["4", "6"]

[[domains]]
type = "desec"
token = "{{DESEC}}"
hostname = "home.example.dedyn.io"
ip_types = ["4", "6"]

[[domains]]
type = "dyndns2"
preset = "noip"
username = "me"
password = "{{DYN}}"
hostname = "home.example.com"
ip_types = ["6"]
`
    const { config } = loadConfig({ path: 'x.toml', env: { DUCK: 'duck-token', DESEC: 'desec-token', DYN: 'dyn-pass' }, redactor: new Redactor(), readFile: () => toml, providers: PROVIDERS, planned: [] })
    expect(config.domains.map((d) => d.records.map((r) => `${r.fqdn} ${r.type}`).join(', '))).toEqual([
      'myhost.duckdns.org A, myhost.duckdns.org AAAA',
      'home.example.dedyn.io A, home.example.dedyn.io AAAA',
      'home.example.com AAAA',
    ])
  })

  it('a ttl on a push-only entry is a config error (the service sets it)', () => {
    const toml = `
[[domains]]
type = "noip"
hostname = "h.example.com"
username = "u"
password = "p-secret"
ttl = 300
`
    expect(() => loadConfig({ path: 'x.toml', env: {}, redactor: new Redactor(), readFile: () => toml, providers: PROVIDERS, planned: [] })).toThrow(/domains\[0\]\.ttl: provider type 'noip' takes no ttl/)
  })
})
