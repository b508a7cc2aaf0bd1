import { parse } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { DEFAULT_TIMEOUTS } from '../../../src/context.js'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { ConfigErrorList, validateConfig } from '../../../src/config/schema.js'
import type { Config } from '../../../src/config/types.js'
import { FAKE_PROVIDERS, fakeSection } from './fakes.js'

const PLANNED = ['godaddy', 'namecheap', 'he', 'noip', 'dynu', 'porkbun']

function validate(toml: string, redactor = new Redactor()): { config: Config; warnings: string[]; redactor: Redactor } {
  const warnings: string[] = []
  const config = validateConfig(
    parse(toml),
    { redactor, file: '/etc/edge-ddns/edge-ddns.toml', warn: (m) => warnings.push(m) },
    { providers: FAKE_PROVIDERS, planned: PLANNED, sections: [fakeSection] },
  )
  return { config, warnings, redactor }
}

function errorOf(toml: string, redactor = new Redactor()): ConfigError {
  try {
    validate(toml, redactor)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError, nothing was thrown')
}

const ENTRY = (extra = '') => `[[domains]]\ntype = "fake"\ntoken = "tok-abc-123"\nzone = "example.com"\nrecords = ["home.example.com"]\n${extra}\n`

describe('validateConfig: defaults', () => {
  it('an empty file gives defaults and no domains', () => {
    const { config } = validate('')
    expect(config.file).toBe('/etc/edge-ddns/edge-ddns.toml')
    expect(config.logLevel).toBeUndefined()
    expect(config.timeouts).toEqual(DEFAULT_TIMEOUTS)
    expect(config.domains).toEqual([])
    expect(config.extra).toEqual({})
    expect(config.detect.policy).toEqual({ allowPrivate: false, allowDocumentation: false, preferTemporary: false })
    expect(config.detect.sources[4].map((s) => s.label)[0]).toBe('opendns')
    expect(config.detect.sources[6].length).toBeGreaterThan(0)
  })

  it('builds a domain entry: records are each name × each family, defaults for the common keys', () => {
    const { config } = validate(ENTRY().replace('records = ["home.example.com"]', 'records = ["Home.Example.com.", "vpn.example.com"]\nip_types = ["4", "6"]'))
    const d = config.domains[0]!
    expect(d).toMatchObject({ index: 0, path: 'domains[0]', type: 'fake', families: [4, 6], create: false, account: 'fake:default' })
    expect(d.ttl).toBeUndefined()
    expect(d.settings).toEqual({ zone: 'example.com', token: 'tok-abc-123' })
    expect(d.records).toEqual([
      { fqdn: 'home.example.com', type: 'A', zone: 'example.com' },
      { fqdn: 'home.example.com', type: 'AAAA', zone: 'example.com' },
      { fqdn: 'vpn.example.com', type: 'A', zone: 'example.com' },
      { fqdn: 'vpn.example.com', type: 'AAAA', zone: 'example.com' },
    ])
  })
})

describe('validateConfig: unknown keys are rejected with their path', () => {
  it.each([
    ['top level', 'colour = "blue"', 'colour'],
    ['[log]', '[log]\nlevel = "info"\nformat = "json"', 'log.format'],
    ['[detect]', '[detect]\nipv5 = []', 'detect.ipv5'],
    ['[timeouts]', '[timeouts]\nconnect = 3', 'timeouts.connect'],
    ['a source table', '[detect]\nipv4 = ["opendns", { dns = "192.0.2.53", name = "x.example", colour = 1 }]', 'detect.ipv4[1].colour'],
    ['a domain entry (by its provider)', ENTRY('proxied = true'), 'domains[0].proxied'],
    ['a section (by its owner)', '[mqtt]\nhost = "h"\nqos = 1', 'mqtt.qos'],
  ])('%s', (_label, toml, path) => {
    const e = errorOf(toml)
    expect(e.path).toBe(path)
    expect(e.message).toMatch(new RegExp(`^${path.replace(/[[\]().]/g, '\\$&')}: unknown key`))
  })
})

describe('validateConfig: [[domains]] common keys', () => {
  it.each([
    ['BC-09: cloudflare-like ttl = 5 is refused before any network call', 'ttl = 5', /^domains\[0\]\.ttl: must be 1 \(automatic\) or from 60 to 86400 seconds for fake, got 5$/],
    ['ttl above the maximum', 'ttl = 86401', /got 86401/],
    ['a fractional ttl', 'ttl = 90.5', /whole number of seconds/],
    ['a ttl that is not a number', 'ttl = true', /domains\[0\]\.ttl: expected a duration/],
  ])('%s', (_label, extra, re) => {
    expect(errorOf(ENTRY(extra)).message).toMatch(re)
  })

  it.each([
    ['ttl = 1', 1],
    ['ttl = 60', 60],
    ['ttl = 86400', 86400],
    ['ttl = "5m"', 300],
  ])('accepts %s', (extra, ttl) => {
    expect(validate(ENTRY(extra)).config.domains[0]!.ttl).toBe(ttl)
  })

  it('a ttl for a provider without TTLs is an error naming the key', () => {
    const e = errorOf('[[domains]]\ntype = "nottl"\nhost = "h.example.net"\nttl = 300\n')
    expect(e.message).toBe("domains[0].ttl: provider type 'nottl' takes no ttl; remove the key")
  })

  it.each([
    ['absent', '', [4]],
    ['["4"]', 'ip_types = ["4"]', [4]],
    ['["6"]', 'ip_types = ["6"]', [6]],
    ['["6", "4", "6"]', 'ip_types = ["6", "4", "6"]', [4, 6]],
    ['[4, 6] (integers)', 'ip_types = [4, 6]', [4, 6]],
    ['"6" (a single value)', 'ip_types = "6"', [6]],
  ])('ip_types %s', (_label, extra, families) => {
    const d = validate(ENTRY(extra)).config.domains[0]!
    expect(d.families).toEqual(families)
    expect(d.records.map((r) => r.type)).toEqual(families.map((f) => (f === 4 ? 'A' : 'AAAA')))
  })

  it.each([
    ['ip_types = []', 'domains[0].ip_types'],
    ['ip_types = ["5"]', 'domains[0].ip_types[0]'],
    ['ip_types = ["4", true]', 'domains[0].ip_types[1]'],
    ['create = "yes"', 'domains[0].create'],
  ])('refuses %s', (extra, path) => {
    expect(errorOf(ENTRY(extra)).path).toBe(path)
  })

  it('create = true is kept', () => {
    expect(validate(ENTRY('create = true')).config.domains[0]!.create).toBe(true)
  })

  it('type is required, and names the supported types', () => {
    const e = errorOf('[[domains]]\nzone = "example.com"\n')
    expect(e.message).toBe('domains[0].type: is required (supported: fake, nottl)')
  })

  it("a planned dness type is 'not supported yet', not a crash", () => {
    const e = errorOf('[[domains]]\ntype = "godaddy"\nkey = "gd-key-123"\nsecret = "gd-secret-456"\ndomain = "example.com"\nrecords = ["@"]\n')
    expect(e.path).toBe('domains[0].type')
    expect(e.message).toBe("domains[0].type: provider type 'godaddy' is not supported yet (supported: fake, nottl)")
  })

  it('an unknown type lists the supported ones; the type is matched ignoring case', () => {
    expect(errorOf('[[domains]]\ntype = "route53"\n').message).toBe("domains[0].type: unknown provider type 'route53' (supported: fake, nottl)")
    expect(validate(ENTRY().replace('"fake"', '"Fake"')).config.domains[0]!.type).toBe('fake')
  })

  it('an entry that is not a table, or domains that is not an array of tables', () => {
    expect(errorOf('domains = ["x"]').path).toBe('domains[0]')
    expect(errorOf('domains = 3').path).toBe('domains')
  })

  it('an entry that names no record is an error', () => {
    expect(errorOf(ENTRY().replace('records = ["home.example.com"]', 'records = []')).message).toBe('domains[0]: names no record to manage')
  })
})

describe('validateConfig: duplicate records', () => {
  it('the same name and type twice in one account is an error naming both entries', () => {
    const e = errorOf(ENTRY() + ENTRY('ip_types = ["4", "6"]'))
    expect(e.path).toBe('domains[1]')
    expect(e.message).toBe('domains[1]: record home.example.com A is already managed by domains[0] with the same account; list it once')
  })

  it('the same name with another type is fine', () => {
    expect(validate(ENTRY() + ENTRY('ip_types = ["6"]')).config.domains).toHaveLength(2)
  })

  it('the same record through two accounts is allowed, with a warning', () => {
    const { config, warnings } = validate(ENTRY() + ENTRY('user = "other"'))
    expect(config.domains).toHaveLength(2)
    expect(warnings).toEqual(['domains[1]: record home.example.com A is also managed by domains[0] through another account'])
  })

  it('a name listed twice in one entry is managed once, with a warning', () => {
    const { config, warnings } = validate(ENTRY().replace('records = ["home.example.com"]', 'records = ["home.example.com", "HOME.example.com."]'))
    expect(config.domains[0]!.records).toEqual([{ fqdn: 'home.example.com', type: 'A', zone: 'example.com' }])
    expect(warnings).toEqual(['domains[0]: record home.example.com is listed twice; managing it once'])
  })
})

describe('validateConfig: everything wrong is reported, and any of it stops the load', () => {
  it('one wrong entry among good ones stops the whole load', () => {
    const e = errorOf(ENTRY() + ENTRY('ttl = 5').replace('home.', 'other.'))
    expect(e.path).toBe('domains[1].ttl')
  })

  it('several errors come together, each with its path', () => {
    const e = errorOf(`colour = 1\n[log]\nlevel = "loud"\n${ENTRY('ttl = 5')}[[domains]]\ntype = "godaddy"\n`)
    expect(e).toBeInstanceOf(ConfigErrorList)
    const paths = (e as ConfigErrorList).errors.map((x) => x.path)
    expect(paths).toEqual(['colour', 'log.level', 'domains[0].ttl', 'domains[1].type'])
    expect(e.message.split('\n')[0]).toBe('the config has 4 errors:')
    expect(e.kind).toBe('config')
  })
})

describe('validateConfig: [log], [timeouts]', () => {
  it.each([
    ['Debug', 'debug'],
    ['TRACE', 'debug'],
    ['info', 'info'],
    ['Warn', 'warn'],
    ['Error', 'error'],
    ['Off', 'error'],
  ])('[log] level = %j → %s', (level, expected) => {
    expect(validate(`[log]\nlevel = "${level}"`).config.logLevel).toBe(expected)
  })

  it('an unknown level names the key', () => {
    expect(errorOf('[log]\nlevel = "loud"').message).toBe('log.level: must be one of "Off", "Error", "Warn", "Info", "Debug", "Trace" (any case)')
  })

  it('timeouts accept seconds or durations and become milliseconds', () => {
    const { config } = validate('[timeouts]\nhttp = "5s"\ndns = 1.5\nrun = "2m"\ndns_retries = 3\n')
    expect(config.timeouts).toEqual({ httpMs: 5000, dnsMs: 1500, runMs: 120_000, dnsRetries: 3 })
  })

  it('a timeout left out keeps its default', () => {
    expect(validate('[timeouts]\nhttp = 20').config.timeouts).toEqual({ ...DEFAULT_TIMEOUTS, httpMs: 20_000 })
  })

  it.each([
    ['http = 0', 'timeouts.http'],
    ['dns = "soon"', 'timeouts.dns'],
    ['run = "2d"', 'timeouts.run'],
    ['dns_retries = -1', 'timeouts.dns_retries'],
    ['dns_retries = 1.5', 'timeouts.dns_retries'],
  ])('refuses %s', (line, path) => {
    expect(errorOf(`[timeouts]\n${line}`).path).toBe(path)
  })
})

describe('validateConfig: detection sources', () => {
  it('ip_resolver = "ipify" (dness) asks ipify for both families', () => {
    const { config } = validate('ip_resolver = "ipify"')
    expect(config.detect.sources[4]).toEqual([{ kind: 'http', label: 'ipify', url: { 4: 'https://api.ipify.org', 6: 'https://api6.ipify.org' }, format: 'plain' }])
    expect(config.detect.sources[6].map((s) => s.label)).toEqual(['ipify'])
  })

  it('ip_resolver = "OpenDNS" is matched ignoring case, as in dness', () => {
    const { config } = validate('ip_resolver = "OpenDNS"')
    expect(config.detect.sources[4].map((s) => `${s.kind}:${s.label}`)).toEqual(['dns:opendns'])
  })

  it('an unknown ip_resolver names the key', () => {
    expect(errorOf('ip_resolver = "myip"').path).toBe('ip_resolver')
    expect(errorOf('ip_resolver = 4').message).toMatch(/^ip_resolver: expected a string/)
  })

  it('[detect] wins per family over ip_resolver', () => {
    const { config } = validate('ip_resolver = "ipify"\n[detect]\nipv4 = ["interface:eth0", "google"]\n')
    expect(config.detect.sources[4].map((s) => `${s.kind}:${s.label}`)).toEqual(['interface:eth0', 'dns:google'])
    expect(config.detect.sources[6].map((s) => `${s.kind}:${s.label}`)).toEqual(['http:ipify'])
  })

  it('an empty list turns a family off', () => {
    expect(validate('[detect]\nipv6 = []').config.detect.sources[6]).toEqual([])
  })

  it('a custom DNS source as an inline table', () => {
    const { config } = validate('[detect]\nipv4 = [{ dns = "127.0.0.1:5353", name = "myip.opendns.com" }]\n')
    expect(config.detect.sources[4][0]).toMatchObject({ kind: 'dns', server: { 4: '127.0.0.1' }, port: 5353, name: 'myip.opendns.com' })
  })

  it.each([
    ['an unknown source name', 'ipv6 = ["opendns", "nosuch"]', 'detect.ipv6[1]'],
    ['an IPv4-only source under ipv6', 'ipv6 = ["akamai"]', 'detect.ipv6[0]'],
    ['a v6 server under ipv4', 'ipv4 = [{ dns = "[2001:db8::53]:53", name = "x.example" }]', 'detect.ipv4[0]'],
  ])('refuses %s', (_label, line, path) => {
    expect(errorOf(`[detect]\n${line}`).path).toBe(path)
  })

  it('the address policy switches', () => {
    const { config } = validate('[detect]\nallow_private = true\nallow_documentation = true\nprefer_temporary = true\n')
    expect(config.detect.policy).toEqual({ allowPrivate: true, allowDocumentation: true, preferTemporary: true })
    expect(errorOf('[detect]\nallow_private = "yes"').path).toBe('detect.allow_private')
  })
})

describe('validateConfig: sections and secrets', () => {
  it('a registered section is validated by its owner and lands in extra', () => {
    expect(validate('[mqtt]\nhost = "broker.lan"').config.extra).toEqual({ mqtt: { host: 'broker.lan', port: 1883 } })
    expect(errorOf('mqtt = 3').message).toBe('mqtt: expected a table ([mqtt]), got a number')
    expect(errorOf('[mqtt]\nport = 1').path).toBe('mqtt.host')
  })

  it('registers the value of every secret-named key before validating, wherever it is', () => {
    const redactor = new Redactor()
    errorOf(
      '[mqtt]\npassword = "mqtt-pass-1"\n[detect]\nipv4 = ["nosuch"]\n[[domains]]\ntype = "nottl"\nhost = "h.example"\npassword = "dyn-pass-2"\n' +
        '[x]\napi_key = "api-key-3"\nTSIG_SECRET = "tsig-4"\nnested = { auth_token = "tok-5" }\nlist = [{ key = "k-6" }]\nmonkey = "not-a-secret"\n',
      redactor,
    )
    expect(redactor.redact('mqtt-pass-1 dyn-pass-2 api-key-3 tsig-4 tok-5 k-6 not-a-secret')).toBe('*** *** *** *** *** *** not-a-secret')
  })

  it('a secret the provider registers is redacted from warnings', () => {
    const { warnings } = validate(ENTRY() + ENTRY('user = "tok-abc-123"'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).not.toContain('tok-abc-123')
  })
})
