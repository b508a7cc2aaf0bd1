import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../src/report/redact.js'
import { displayConfig, maskSecretKeys } from '../../../src/config/display.js'
import { loadConfig } from '../../../src/config/load.js'
import { isSecretKey } from '../../../src/config/secrets.js'
import { FAKE_PROVIDERS } from './fakes.js'

describe('isSecretKey', () => {
  it.each(['token', 'password', 'secret', 'key', 'api_key', 'ddns_password', 'tsig_secret', 'auth_token', 'Token', 'API_KEY'])('%s is secret', (k) => {
    expect(isSecretKey(k)).toBe(true)
  })
  it.each(['zone', 'email', 'records', 'monkey', 'key_name', 'keys', 'tokens', 'secret_file'])('%s is not', (k) => {
    expect(isSecretKey(k)).toBe(false)
  })
})

describe('maskSecretKeys', () => {
  it('masks the value of each secret-named key and keeps everything else as it is', () => {
    const text = [
      '# edge-ddns',
      'ip_resolver = "ipify"',
      '',
      '[[domains]] # first',
      'type = "cloudflare"',
      'token = "tok-1" # the API token',
      "password = 'pw-2'",
      'api_key = """',
      'multi-3',
      '"""',
      'key = 12345',
      'auth.token = "tok-4"',
      '"secret" = "s-5"',
      'creds = { user = "u", key = "k-6" }',
      'keys_list = [1, 2]',
      'tsig_secret = ["a-7", "b-8"]',
      'zone = "example.com"',
      'records = ["a.example.com", "b.example.com"]',
      '[mqtt]',
      'host = "broker.lan"',
      '',
    ].join('\n')
    expect(maskSecretKeys(text)).toBe(
      [
        '# edge-ddns',
        'ip_resolver = "ipify"',
        '',
        '[[domains]] # first',
        'type = "cloudflare"',
        'token = "***" # the API token',
        'password = "***"',
        'api_key = "***"',
        'key = "***"',
        'auth.token = "***"',
        '"secret" = "***"',
        'creds = { user = "u", key = "***" }',
        'keys_list = [1, 2]',
        'tsig_secret = ["***", "***"]',
        'zone = "example.com"',
        'records = ["a.example.com", "b.example.com"]',
        '[mqtt]',
        'host = "broker.lan"',
        '',
      ].join('\n'),
    )
  })

  it('masks a commented-out secret', () => {
    expect(maskSecretKeys('# token = "old-token"\n#password=pw\n# key words here\n')).toBe('# token = "***"\n#password="***"\n# key words here\n')
  })

  it('is not fooled by quotes and brackets inside strings', () => {
    const text = 'name = "x = \\" token = y"\n["a#b".c]\ntoken = "t\\"#1"\n'
    expect(maskSecretKeys(text)).toBe('name = "x = \\" token = y"\n["a#b".c]\ntoken = "***"\n')
  })

  it('never loops or throws on text that is not TOML', () => {
    for (const text of ['= = =', '[', '{', 'token = {', 'a = [1, {', '"unterminated', 'token =', "x = '''", ']]] }}} ,,,']) {
      expect(typeof maskSecretKeys(text)).toBe('string')
    }
  })
})

describe('displayConfig (edge-ddns check)', () => {
  it('shows the rendered config with every secret as ***, whatever key it sits under', () => {
    const tpl = [
      '[[domains]]',
      'type = "fake"',
      'token = "{{CF_TOKEN}}"',
      'zone = "example.com"',
      'records = ["home.example.com"]',
      '',
      '[detect]',
      'ipv4 = ["https://echo.example/ip?auth={{ECHO_AUTH}}"]',
      '',
    ].join('\n')
    const redactor = new Redactor()
    const env = { CF_TOKEN: 'BC29"tok\\en', ECHO_AUTH: 'echo-auth-secret' }
    const { rendered } = loadConfig({ path: '/x.toml', env, redactor, providers: FAKE_PROVIDERS, readFile: () => tpl })
    expect(rendered).toContain('BC29\\"tok\\\\en')
    const shown = displayConfig(rendered, redactor)
    expect(shown).not.toContain('BC29')
    expect(shown).not.toContain('echo-auth-secret')
    expect(shown).toContain('token = "***"')
    expect(shown).toContain('ipv4 = ["https://echo.example/ip?auth=***"]')
    expect(shown).toContain('zone = "example.com"')
  })

  it('masks a secret typed into the file literally', () => {
    const shown = displayConfig('[[domains]]\ntype = "cloudflare"\nkey = "literal-global-key"\nemail = "a@b.example"\n', new Redactor())
    expect(shown).toBe('[[domains]]\ntype = "cloudflare"\nkey = "***"\nemail = "a@b.example"\n')
  })
})
