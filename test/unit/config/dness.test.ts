import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { dnessEntry, parseIpTypes, parseLogLevel } from '../../../src/config/dness.js'
import { loadConfig } from '../../../src/config/load.js'

/** Loads a config text through the whole stage (render, parse, validate) with the real provider registry. */
function load(text: string, env: Record<string, string> = {}) {
  const redactor = new Redactor()
  const result = loadConfig({ path: '/etc/dness/dness.conf', env, redactor, readFile: () => text })
  return { ...result, redactor }
}

function loadError(text: string, env: Record<string, string> = {}): ConfigError {
  try {
    load(text, env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

// A dness.conf as dness documents it: resolver, log level, one Cloudflare entry with a token and
// both families, one with e-mail + global key.
const DNESS_CONF = `ip_resolver = "opendns"

[log]
# How verbose the log is. Commons values are Error, Warn, Info, Debug, Trace
level = "Debug"

[[domains]]
type = "cloudflare"
token = "dec0de-token-fake"
zone = "example.com"
records = [
    "n.example.com"
]
ip_types = ["4", "6"]

[[domains]]
type = "cloudflare"
email = "admin@example.com"
key = "deadbeef-global-key"
zone = "example2.com"
records = [
    "n.example2.com",
    "n2.example2.com"
]
`

describe('dness compatibility', () => {
  it('a dness.conf (token entry, email+key entry) loads unchanged', () => {
    const { config, warnings } = load(DNESS_CONF)
    expect(warnings).toEqual([])
    expect(config.logLevel).toBe('debug')
    expect(config.detect.sources[4].map((s) => `${s.kind}:${s.label}`)).toEqual(['dns:opendns'])
    expect(config.detect.sources[6].map((s) => `${s.kind}:${s.label}`)).toEqual(['dns:opendns'])
    expect(config.domains.map((d) => [d.path, d.type, d.families, d.records.map((r) => `${r.fqdn} ${r.type}`)])).toEqual([
      ['domains[0]', 'cloudflare', [4, 6], ['n.example.com A', 'n.example.com AAAA']],
      ['domains[1]', 'cloudflare', [4], ['n.example2.com A', 'n2.example2.com A']],
    ])
  })

  it('the token and the global key are registered as secrets', () => {
    const { redactor } = load(DNESS_CONF)
    expect(redactor.redact('dec0de-token-fake deadbeef-global-key admin@example.com')).toBe('*** *** admin@example.com')
  })

  it('the same dness.conf as a template with the token in the environment (BC-29 value)', () => {
    const tpl = DNESS_CONF.replace('"dec0de-token-fake"', '"{{CF_TOKEN}}"')
    const { config } = load(tpl, { CF_TOKEN: 'asd3hj2U\\c' })
    expect(config.domains[0]!.records).toHaveLength(2)
    expect((config.domains[0]!.settings as { auth: { token: string } }).auth.token).toBe('asd3hj2U\\c')
  })

  it("dness's README form (token, email and key all set) uses the token, as dness does, with a warning", () => {
    const conf = '[[domains]]\ntype = "cloudflare"\ntoken = "deadbeef-tok"\nemail = "admin@example.com"\nkey = "deadbeef-key"\nzone = "example.com"\nrecords = ["n.example.com"]\n'
    const { config, warnings } = load(conf)
    expect((config.domains[0]!.settings as { auth: { kind: string } }).auth.kind).toBe('token')
    expect(warnings).toEqual(['domains[0]: token is set, so email and key are ignored (as dness does); remove them'])
  })

  it('an older dness.conf with token = "" and email + key uses email + key', () => {
    const conf = '[[domains]]\ntype = "cloudflare"\ntoken = ""\nemail = "a@b.com"\nkey = "deadbeef-key"\nzone = "example.com"\nrecords = ["n.example.com"]\n'
    const { config, warnings } = load(conf)
    expect((config.domains[0]!.settings as { auth: { kind: string } }).auth.kind).toBe('key')
    expect(warnings).toEqual([])
  })

  it("a dness type not built yet is a clear 'not supported yet' config error naming the entry", () => {
    const text = `${DNESS_CONF}\n[[domains]]\ntype = "oldsvc"\nkey = "gd-key-fake"\nsecret = "gd-secret-fake"\ndomain = "example.com"\nrecords = ["@"]\n`
    let e: ConfigError | undefined
    try {
      loadConfig({ path: '/etc/dness/dness.conf', env: {}, redactor: new Redactor(), readFile: () => text, planned: ['oldsvc'] })
    } catch (err) {
      e = err as ConfigError
    }
    expect(e).toBeInstanceOf(ConfigError)
    expect(e!.path).toBe('domains[2].type')
    expect(e!.message).toMatch(/^domains\[2\]\.type: provider type 'oldsvc' is not supported yet/)
    expect(e!.message).not.toContain('gd-key-fake')
    expect(e!.message).not.toContain('gd-secret-fake')
  })

  it('a dness godaddy entry loads unchanged', () => {
    const { config } = load(`${DNESS_CONF}\n[[domains]]\ntype = "godaddy"\nkey = "gd-key-fake"\nsecret = "gd-secret-fake"\ndomain = "example.com"\nrecords = ["@"]\n`)
    expect(config.domains[2]!.records).toEqual([{ fqdn: 'example.com', type: 'A', zone: 'example.com' }])
  })

  it('an empty dness.conf gives the defaults (dness: opendns first, info)', () => {
    const { config } = load('')
    expect(config.domains).toEqual([])
    expect(config.logLevel).toBeUndefined()
    expect(config.detect.sources[4][0]!.label).toBe('opendns')
  })

  it('ip_resolver = "ipify" maps onto ipify for both families', () => {
    const { config } = load('ip_resolver = "ipify"\n')
    expect(config.detect.sources[4].map((s) => s.label)).toEqual(['ipify'])
    expect(config.detect.sources[6].map((s) => s.label)).toEqual(['ipify'])
  })
})

describe('dness value mappings', () => {
  it.each([
    ['Off', 'error'],
    ['ERROR', 'error'],
    ['Warn', 'warn'],
    ['warning', 'warn'],
    ['Info', 'info'],
    ['debug', 'debug'],
    ['Trace', 'debug'],
  ] as const)('log level %s → %s', (v, level) => {
    expect(parseLogLevel(v, 'log.level')).toBe(level)
  })

  it.each([['verbose'], ['constructor'], [3]])('log level %j is an error naming the key', (v) => {
    expect(() => parseLogLevel(v, 'log.level')).toThrow(/^log\.level: /)
  })

  it.each([
    [undefined, [4]],
    [['4'], [4]],
    [['6'], [6]],
    [['4', '6'], [4, 6]],
    [['ipv6', 'IPv4'], [4, 6]],
    [[6, 4], [4, 6]],
    ['4', [4]],
  ])('ip_types %j → %j', (v, families) => {
    expect(parseIpTypes(v, 'domains[0].ip_types')).toEqual(families)
  })

  it('dnessEntry leaves other provider types and token-less entries alone', () => {
    const warn = (m: string) => {
      throw new Error(`unexpected warning ${m}`)
    }
    const gd = { key: 'k', secret: 's' }
    expect(dnessEntry('godaddy', gd, 'domains[0]', warn)).toBe(gd)
    const cf = { token: '  ', email: 'a@b.c', key: 'k' }
    expect(dnessEntry('cloudflare', cf, 'domains[0]', warn)).toBe(cf)
  })
})
