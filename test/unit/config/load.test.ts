import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEFAULT_TIMEOUTS } from '../../../src/context.js'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { DEFAULT_CONFIG_PATH, findConfigPath, loadConfig, type LoadOptions } from '../../../src/config/load.js'
import { FAKE_PROVIDERS } from './fakes.js'
import { configErrorOf } from '../../helpers/errors.js'

describe('findConfigPath', () => {
  const exists = (present: string[]) => (p: string) => present.includes(p)

  it.each([
    ['-c wins over everything', '/a.toml', { EDGE_DDNS_CONFIG: '/b.toml' }, ['/a.toml', '/b.toml', DEFAULT_CONFIG_PATH], '/a.toml'],
    ['EDGE_DDNS_CONFIG next', undefined, { EDGE_DDNS_CONFIG: '/b.toml' }, ['/b.toml', DEFAULT_CONFIG_PATH], '/b.toml'],
    ['an empty EDGE_DDNS_CONFIG counts as unset', undefined, { EDGE_DDNS_CONFIG: '' }, [DEFAULT_CONFIG_PATH], DEFAULT_CONFIG_PATH],
    ['then /etc/edge-ddns/edge-ddns.toml if it exists', undefined, {}, [DEFAULT_CONFIG_PATH], DEFAULT_CONFIG_PATH],
    ['else no config', undefined, {}, [], null],
  ])('%s', (_label, cli, env, present, expected) => {
    expect(findConfigPath(cli, env, exists(present))).toBe(expected)
  })

  it('a -c path that does not exist is a config error naming it', () => {
    const e = configErrorOf(() => findConfigPath('/nope.toml', {}, exists([DEFAULT_CONFIG_PATH])))
    expect(e.kind).toBe('config')
    expect(e.message).toBe('config file /nope.toml (from --config) does not exist')
  })

  it('an EDGE_DDNS_CONFIG that does not exist is a config error naming it', () => {
    expect(configErrorOf(() => findConfigPath(undefined, { EDGE_DDNS_CONFIG: '/nope.toml' }, exists([]))).message).toBe(
      'config file /nope.toml (from EDGE_DDNS_CONFIG) does not exist',
    )
  })
})

describe('loadConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-load-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const base = (over: Partial<LoadOptions>): LoadOptions => ({ path: null, env: {}, redactor: new Redactor(), providers: FAKE_PROVIDERS, ...over })

  it('record and zone names stay readable though a secret is part of them or one came from the environment', () => {
    const tpl = '[[domains]]\ntype = "fake"\ntoken = "{{PASS}}"\nzone = "example.com"\nrecords = ["{{HOST}}"]\n'
    const redactor = new Redactor()
    loadConfig(base({ path: '/x.toml', env: { PASS: 'example', HOST: 'home.example.com' }, redactor, readFile: () => tpl }))
    expect(redactor.redact('home.example.com A: updated in zone example.com; token example')).toBe('home.example.com A: updated in zone example.com; token ***')
  })

  it('without a config: defaults, no domains, nothing rendered', () => {
    const { config, warnings, rendered } = loadConfig(base({}))
    expect(config.file).toBeNull()
    expect(config.domains).toEqual([])
    expect(config.timeouts).toEqual(DEFAULT_TIMEOUTS)
    expect(config.detect.sources[4].length).toBeGreaterThan(0)
    expect(warnings).toEqual([])
    expect(rendered).toBe('')
  })

  it('renders, parses and validates a file from disk', () => {
    const file = join(dir, 'edge-ddns.toml')
    writeFileSync(file, '[timeouts]\nrun = {{RUN}}\n\n[[domains]]\ntype = "fake"\ntoken = "{{TOKEN}}"\nzone = "example.com"\nrecords = ["home.example.com"]\n')
    const redactor = new Redactor()
    const { config, rendered, warnings } = loadConfig(base({ path: file, env: { RUN: '60', TOKEN: 'p&q<r>"x' }, redactor }))
    expect(config.file).toBe(file)
    expect(config.timeouts.runMs).toBe(60_000)
    expect(config.domains[0]!.settings).toEqual({ zone: 'example.com', token: 'p&q<r>"x' })
    expect(rendered).toContain('token = "p&q<r>\\"x"')
    expect(warnings).toEqual([])
  })

  it('passes the renderer warnings on, without the value', () => {
    const tpl = 'ip_resolver = {{R}}\n'
    const { warnings } = loadConfig(base({ path: '/x.toml', env: { R: '"ipify" # x' }, readFile: () => tpl }))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^\/x\.toml, line 1: the value of R stands outside a TOML string/)
    // Quoting is the fix only for a text key: a quoted true/false or number is a type error.
    expect(warnings[0]).toContain('for a text key quote it ("{{R}}"), for a number or true/false fix the variable')
    expect(warnings[0]).not.toContain('ipify')
  })

  it('BC-09: with the real registry, a Cloudflare ttl = 5 is a config error before any network call', () => {
    const tpl = '[[domains]]\ntype = "cloudflare"\ntoken = "{{CF_TOKEN}}"\nzone = "example.com"\nrecords = ["home.example.com"]\nttl = 5\n'
    const e = configErrorOf(() => loadConfig({ path: '/x.toml', env: { CF_TOKEN: 'cf-token-fake' }, redactor: new Redactor(), readFile: () => tpl }))
    expect(e.path).toBe('domains[0].ttl')
    expect(e.message).toBe('domains[0].ttl: must be 1 (automatic) or from 60 to 86400 seconds for cloudflare, got 5')
  })

  it('an unreadable config file is a config error naming it', () => {
    const e = configErrorOf(() => loadConfig(base({ path: join(dir, 'missing.toml') })))
    expect(e.message).toBe(`cannot read config file ${join(dir, 'missing.toml')} (ENOENT)`)
  })

  it('a TOML syntax error gives file, line and column, never the line', () => {
    const tpl = 'a = 1\ntoken = "{{T}}" trailing\n'
    const e = configErrorOf(() => loadConfig(base({ path: '/x.toml', env: { T: 'sekret-value' }, readFile: () => tpl })))
    expect(e.message).toMatch(/^\/x\.toml, line 2, column \d+: TOML syntax error: /)
    expect(e.message).not.toContain('sekret-value')
    expect(e.message).not.toContain('trailing')
  })
})

describe('no secret in any error message', () => {
  const SECRET = 'Zz9-sek\'ret"\\value'
  const ESCAPED = 'Zz9-sek\'ret\\"\\\\value'
  // Each template goes wrong somewhere near a secret; none of the messages may show it.
  const CASES: [string, string][] = [
    ['a TOML error on the line of a substituted secret', 'token = "{{S}}" oops\n'],
    ['a TOML error on the line of a literal secret', 'x = 1\n[[domains]]\ntoken = "Zz9-sekret-literal" = 2\n'],
    ['a bare secret that breaks the TOML', 'ttl = {{S}}\n'],
    ['a secret as the provider type', '[[domains]]\ntype = "{{S}}"\n'],
    ['a secret as a detection source', '[detect]\nipv4 = ["{{S}}"]\n'],
    ['a secret as a log level', '[log]\nlevel = "{{S}}"\n'],
    ['a secret in a literal string it cannot go in', "token = '{{S}}'\n"],
    ['a secret under an unknown key', 'colour = "{{S}}"\n'],
    ['a secret as a record name outside the zone', '[[domains]]\ntype = "fake"\ntoken = "t-123"\nzone = "example.com"\nrecords = ["{{S}}"]\n'],
    ['several errors at once', '[log]\nlevel = "{{S}}"\n[[domains]]\ntype = "{{S}}"\n[detect]\nipv6 = ["{{S}}"]\n'],
  ]

  it.each(CASES)('%s', (_label, tpl) => {
    const redactor = new Redactor()
    let message = ''
    try {
      loadConfig({ path: '/x.toml', env: { S: SECRET }, redactor, providers: FAKE_PROVIDERS, readFile: () => tpl })
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      message = (e as Error).message
    }
    expect(message).not.toBe('')
    expect(message.toLowerCase()).not.toContain('zz9-sek')
    expect(message).not.toContain(ESCAPED)
  })

  it('a secret as a record name with the real Cloudflare provider', () => {
    const tpl = '[[domains]]\ntype = "cloudflare"\ntoken = "t-123456"\nzone = "{{S}}"\nrecords = ["{{S}}"]\n'
    const e = configErrorOf(() => loadConfig({ path: '/x.toml', env: { S: 'not a zone sekret' }, redactor: new Redactor(), readFile: () => tpl }))
    expect(e.message).not.toContain('not a zone sekret')
  })
})
