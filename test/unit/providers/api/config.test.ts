import { generateKeyPairSync } from 'node:crypto'
import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { validateConfig } from '../../../../src/config/schema.js'
import { azure } from '../../../../src/providers/azure/index.js'
import { cloudns } from '../../../../src/providers/cloudns/index.js'
import { digitalocean } from '../../../../src/providers/digitalocean/index.js'
import { gandi } from '../../../../src/providers/gandi/index.js'
import { hetzner } from '../../../../src/providers/hetzner/index.js'
import { ionos } from '../../../../src/providers/ionos/index.js'
import { powerdns } from '../../../../src/providers/powerdns/index.js'
import { providerText } from '../../../../src/providers/table.js'
import { transip } from '../../../../src/providers/transip/index.js'
import type { ProviderDef } from '../../../../src/providers/types.js'
import { Redactor } from '../../../../src/report/redact.js'
import { NASTY } from './support.js'

/** The eight JSON API providers through the real config stage, as the registry will hold them. */
const providers: Record<string, ProviderDef> = { digitalocean, hetzner, gandi, ionos, cloudns, powerdns, transip, azure } as Record<string, ProviderDef>
const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

const toml = `
[[domains]]
type = "digitalocean"
token = ${JSON.stringify(NASTY)}
zone = "example.com"
records = ["@", "home"]
ip_types = ["4", "6"]

[[domains]]
type = "hetzner"
token = "hz-token-abcdef"
zone = "example.net"
records = ["home"]
ttl = 60

[[domains]]
type = "gandi"
token = "gandi-pat-abcdef"
zone = "example.org"
records = ["home"]

[[domains]]
type = "ionos"
key = "prefix.ionos-secret"
zone = "example.io"
records = ["home"]

[[domains]]
type = "cloudns"
auth_id = 1234
password = "cloudns-pass"
zone = "example.eu"
records = ["home"]

[[domains]]
type = "powerdns"
api_key = "pdns-key-abcdef"
base_url = "http://127.0.0.1:8081"
zone = "lan.example"
records = ["router"]

[[domains]]
type = "transip"
login = "jdoe"
private_key = ${JSON.stringify(PEM)}
zone = "example.nl"
records = ["home"]

[[domains]]
type = "azure"
tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47"
client_id = "app-id"
client_secret = "azure-client-secret"
subscription_id = "sub-1"
resource_group = "dns-rg"
zone = "example.de"
records = ["home"]
`

describe('JSON API providers in the config stage', () => {
  it('every entry validates, and every credential is registered as a secret (BC-28)', () => {
    const redactor = new Redactor()
    const cfg = validateConfig(parse(toml), { redactor, file: null, warn: () => {} }, { providers })
    expect(cfg.domains.map((d) => [d.type, d.records.map((r) => `${r.fqdn} ${r.type}`)])).toEqual([
      ['digitalocean', ['example.com A', 'example.com AAAA', 'home.example.com A', 'home.example.com AAAA']],
      ['hetzner', ['home.example.net A']],
      ['gandi', ['home.example.org A']],
      ['ionos', ['home.example.io A']],
      ['cloudns', ['home.example.eu A']],
      ['powerdns', ['router.lan.example A']],
      ['transip', ['home.example.nl A']],
      ['azure', ['home.example.de A']],
    ])
    expect(cfg.domains[1]!.ttl).toBe(60)
    const secrets = [NASTY, 'hz-token-abcdef', 'gandi-pat-abcdef', 'prefix.ionos-secret', 'cloudns-pass', 'pdns-key-abcdef', PEM.trim(), 'azure-client-secret']
    for (const s of secrets) expect(redactor.redact(`x ${s} y`)).toBe('x *** y')
    for (const d of cfg.domains) for (const s of secrets) expect(d.account).not.toContain(s)
  })

  it.each([
    ['gandi', 'ttl = 60', 'domains[0].ttl: must be from 300 to 2592000 seconds for gandi, got 60'],
    ['hetzner', 'ttl = 30', 'domains[0].ttl: must be from 60 to 2147483647 seconds for hetzner, got 30'],
  ])('BC-09: a TTL outside %s\'s bounds is a config error before any call', (type, ttl, msg) => {
    const t = `[[domains]]\ntype = "${type}"\ntoken = "tok-abcdef"\nzone = "example.com"\nrecords = ["a"]\n${ttl}\n`
    expect(() => validateConfig(parse(t), { redactor: new Redactor(), file: null, warn: () => {} }, { providers })).toThrow(msg)
  })

  it('edge-ddns providers lists each with its keys, read back by API, IPv6, one request per family', () => {
    const text = providerText(providers)
    expect(text).toContain('azure         API   yes   no     tenant_id*, client_id*, client_secret*, subscription_id*, resource_group*, zone*, records*, base_url, login_url')
    expect(text).toContain('powerdns      API   yes   no     api_key*, server_id, zone*, records*, base_url*')
    expect(text).toContain('8 provider types')
  })
})
