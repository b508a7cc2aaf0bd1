import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { afterAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/errors.js'
import { Redactor } from '../../../src/report/redact.js'
import { escapeTomlBasic, renderConfig, TomlScanner } from '../../../src/config/render.js'

const render = (template: string, env: Record<string, string | undefined>, extra: { source?: string } = {}) => {
  const redactor = new Redactor()
  const out = renderConfig(template, { env, redactor, ...extra })
  return { ...out, redactor }
}

/** The error a function throws, for assertions on its message. */
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError, nothing was thrown')
}

// BC-29: values that break a naive `token = "{{CF_TOKEN}}"`.
const BC29_VALUES: [string, string][] = [
  ['backslash + letter that is no TOML escape', 'asd3hj2U\\c'],
  ['double quote', 'a"b'],
  ['trailing backslash', 'x\\'],
  ['HTML specials', 'p&q<r>'],
  ['line break', 'line1\nline2'],
  ['CRLF, tab and other controls', 'a\r\nb\tc\u0000d\u001fe\u007ff'],
  ['single quote and unicode', "it's ✓ ünï"],
  ['escape-looking text', '\\u0041\\n\\"'],
]

describe('renderConfig: basic strings (BC-29)', () => {
  it.each(BC29_VALUES)('BC-29: %s arrives byte for byte in "..."', (_label, value) => {
    const { text } = render('token = "{{CF_TOKEN}}"\n', { CF_TOKEN: value })
    expect(parse(text).token).toBe(value)
  })

  it.each(BC29_VALUES)('BC-29: %s arrives byte for byte in """...""" too', (_label, value) => {
    const { text } = render('token = """{{CF_TOKEN}}"""\n', { CF_TOKEN: value })
    expect(parse(text).token).toBe(value)
  })

  it('BC-29: never HTML-escapes, also with {{{triple}}} and inside an inline table', () => {
    const { text } = render('a = "{{{V}}}"\nb = { c = "{{V}}" }\n', { V: 'p&q<r>"' })
    const t = parse(text) as { a: string; b: { c: string } }
    expect(t.a).toBe('p&q<r>"')
    expect(t.b.c).toBe('p&q<r>"')
    expect(text).not.toContain('&amp;')
  })

  it('BC-29: a value between other text in the string keeps both', () => {
    const { text } = render('url = "https://x.example/?k={{K}}&v=1"\n', { K: 'a"\\b' })
    expect(parse(text).url).toBe('https://x.example/?k=a"\\b&v=1')
  })

  it('BC-29: a quoted key or an escaped quote before the value does not confuse the context', () => {
    const { text } = render('"we\\"ird" = "x\\"{{A}}"\nb = "{{A}}"\n', { A: 'q"\\' })
    const t = parse(text)
    expect(t['we"ird']).toBe('x"q"\\')
    expect(t.b).toBe('q"\\')
  })

  it('registers every substituted value, raw and escaped, as a secret', () => {
    const { redactor } = render('token = "{{T}}"\nzone = "{{Z}}"\n', { T: 'a"b-token', Z: 'example.com', UNUSED: 'not-used-value' })
    expect(redactor.redact('a"b-token a\\"b-token example.com not-used-value')).toBe('*** *** *** not-used-value')
  })
})

describe('renderConfig: literal strings and bare values', () => {
  it('passes a value into a literal string as it is', () => {
    const { text } = render("token = '{{T}}'\n", { T: 'a\\b"c' })
    expect(parse(text).token).toBe('a\\b"c')
  })

  it.each([
    ['a single quote', "it's"],
    ['a line break', 'a\nb'],
    ['a control character', 'a\u0001b'],
  ])("refuses %s inside '...', naming the variable, not the value", (_label, value) => {
    const e = errorOf(() => render("x = 1\ntoken = '{{CF_TOKEN}}'\n", { CF_TOKEN: value }))
    expect(e.message).toContain('CF_TOKEN')
    expect(e.message).toContain('line 2')
    expect(e.message).not.toContain(value)
  })

  it("accepts a quote in '''...''' but refuses ''' there", () => {
    const ok = render("token = '''{{T}}'''\n", { T: "it's\nfine" })
    expect(parse(ok.text).token).toBe("it's\nfine")
    const e = errorOf(() => render("token = '''{{T}}'''\n", { T: "x'''y" }))
    expect(e.message).toContain('T')
    expect(e.message).not.toContain("x'''y")
  })

  it('inserts a bare value as it is, without a warning when it is harmless', () => {
    const { text, warnings } = render('ttl = {{TTL}}\nproxied = {{P}}\n', { TTL: '300', P: 'true' })
    expect(parse(text)).toEqual({ ttl: 300, proxied: true })
    expect(warnings).toEqual([])
  })

  it('warns when a bare value changes the TOML, naming variable and line, not the value', () => {
    const { text, warnings } = render('a = 1\nttl = {{TTL}}\n', { TTL: '300\nevil = "x"' })
    expect(parse(text)).toEqual({ a: 1, ttl: 300, evil: 'x' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('TTL')
    expect(warnings[0]).toContain('line 2')
    expect(warnings[0]).not.toContain('evil')
  })

  it('a placeholder inside a comment is kept as written: not evaluated, no variable needed, no secret shown', () => {
    const { text, warnings } = render('# set by {{WHO}}\n# token = "{{CF_TOKEN}}" {{file "/nonexistent"}}\na = 1\n', { WHO: 'me\nb = 2' })
    expect(text).toBe('# set by {{WHO}}\n# token = "{{CF_TOKEN}}" {{file "/nonexistent"}}\na = 1\n')
    expect(warnings).toEqual([])
    expect(parse(text)).toEqual({ a: 1 })
  })

  it('does not treat quotes inside a comment as a string start', () => {
    const { text } = render('# it\'s "quoted\nt = "{{T}}"\n', { T: 'a"b' })
    expect(parse(text).t).toBe('a"b')
  })
})

describe('renderConfig: strictness and errors', () => {
  it('names the missing variable and its line', () => {
    const e = errorOf(() => render('a = 1\n\n[[domains]]\ntoken = "{{CF_TOKEN}}"\n', { OTHER: 'x' }, { source: '/etc/edge-ddns/edge-ddns.toml' }))
    expect(e.message).toBe('/etc/edge-ddns/edge-ddns.toml, line 4: environment variable CF_TOKEN is not set')
    expect(e.kind).toBe('config')
  })

  it('names every unset variable at once, each with its line (found by the fresh-user trial)', () => {
    const e = errorOf(() => render('[[domains]]\npassword = "{{DD_PASS}}"\nhostname = "{{HOST}}"\nuser = "{{DD_USER}}"\n', { DD_USER: 'me' }))
    expect(e.message).toBe(
      'the config has 2 errors:\n  line 2: environment variable DD_PASS is not set\n  line 3: environment variable HOST is not set',
    )
    expect(e.kind).toBe('config')
  })

  it('a helper failing after an unset variable: both are named (found by the second adversarial review)', () => {
    const e = errorOf(() => render('a = "{{A}}"\nb = "{{file "/nonexistent/edge-ddns-test"}}"\n', {}))
    expect(e.message).toMatch(/^the config has 2 errors:\n {2}line 1: environment variable A is not set\n {2}line 2: /)
  })

  it('does not take Object.prototype members for variables', () => {
    const e = errorOf(() => render('a = "{{constructor}}"\n', {}))
    expect(e.message).toContain('environment variable constructor is not set')
  })

  it('an empty variable is set (and renders empty)', () => {
    expect(parse(render('a = "{{E}}"\n', { E: '' }).text).a).toBe('')
  })

  it('{{#if}} on an unset variable is false, not an error', () => {
    const tpl = 'a = "{{A}}"\n{{#if MQTT_HOST}}\n[mqtt]\nhost = "{{MQTT_HOST}}"\n{{/if}}\n'
    expect(parse(render(tpl, { A: 'x"' }).text)).toEqual({ a: 'x"' })
    expect(parse(render(tpl, { A: 'x', MQTT_HOST: 'h"q' }).text)).toEqual({ mqtt: { host: 'h"q' }, a: 'x' })
  })

  it('a template syntax error names the line and never quotes the template text', () => {
    const e = errorOf(() => render('a = 1\ntoken = "literal-secret-{{CF_TOKEN"\n', { CF_TOKEN: 'x' }))
    expect(e.message).toMatch(/^line 2: template syntax error/)
    expect(e.message).not.toContain('literal-secret')
  })

  it.each([
    ['an unknown helper', 'a = "{{shout X}}"', /line 1: unknown helper "shout"/],
    ['an unknown block helper', '{{#repeat X}}a = 1{{/repeat}}', /line 1: unknown block helper "repeat"/],
    ['a partial', 'a = "{{> secrets}}"', /line 1: partials/],
    ['lookup (not a value helper here)', 'a = "{{lookup . "X"}}"', /unknown helper "lookup"/],
  ])('refuses %s', (_label, tpl, re) => {
    expect(errorOf(() => render(tpl, { X: 'x' })).message).toMatch(re)
  })

  it('refuses a value right after a backslash in a string', () => {
    expect(errorOf(() => render('a = "x\\\\{{X}}"', { X: 'v' })).message).toMatch(/backslash/)
  })
})

describe('renderConfig: {{file}} and {{credential}}', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-render-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'cf-token'), 'tok"en\\from-file\n\n')
  const creds = join(dir, 'creds')
  mkdirSync(creds)
  writeFileSync(join(creds, 'cf-token'), 'cred-secret-1\n')
  writeFileSync(join(dir, 'plain'), 'plain-value')

  it('reads a secret from a file, trailing newlines trimmed, escaped for the string', () => {
    const { text, redactor } = render(`token = "{{file "${join(dir, 'cf-token')}"}}"\n`, {})
    expect(parse(text).token).toBe('tok"en\\from-file')
    expect(redactor.redact('x tok"en\\from-file x')).toBe('x *** x')
  })

  it('takes a relative {{file}} path from the config file directory', () => {
    const { text } = render('token = "{{file "plain"}}"\n', {}, { source: join(dir, 'edge-ddns.toml') })
    expect(parse(text).token).toBe('plain-value')
  })

  it('an unreadable file is a config error naming the path and line', () => {
    const missing = join(dir, 'nope')
    const e = errorOf(() => render(`a = 1\ntoken = "{{file "${missing}"}}"\n`, {}))
    expect(e.message).toContain(missing)
    expect(e.message).toContain('line 2')
    expect(e.message).toContain('ENOENT')
  })

  it('reads $CREDENTIALS_DIRECTORY/name (systemd LoadCredential=)', () => {
    const { text, redactor } = render('token = "{{credential "cf-token"}}"\n', { CREDENTIALS_DIRECTORY: creds })
    expect(parse(text).token).toBe('cred-secret-1')
    expect(redactor.redact('cred-secret-1')).toBe('***')
  })

  it('a missing credentials directory or credential is a clear error', () => {
    expect(errorOf(() => render('t = "{{credential "cf-token"}}"', {})).message).toMatch(
      /line 1: \{\{credential "cf-token"\}\}: CREDENTIALS_DIRECTORY is not set; systemd sets it when the unit has LoadCredential=cf-token/,
    )
    const e = errorOf(() => render('t = "{{credential "other"}}"', { CREDENTIALS_DIRECTORY: creds }))
    expect(e.message).toContain('cannot read')
    expect(e.message).toContain('LoadCredential=other')
  })

  it('refuses a credential name that is a path', () => {
    expect(errorOf(() => render('t = "{{credential "../etc/shadow"}}"', { CREDENTIALS_DIRECTORY: creds })).message).toMatch(/credential name/)
  })

  it('a file read error never shows the file content', () => {
    const e = errorOf(() =>
      renderConfig('t = "{{file "/x"}}"', {
        env: {},
        redactor: new Redactor(),
        readFile: () => {
          throw Object.assign(new Error('EACCES: super-secret-content'), { code: 'EACCES' })
        },
      }),
    )
    expect(e.message).toContain('EACCES')
    expect(e.message).not.toContain('super-secret-content')
  })
})

describe('renderConfig: every value read from a secret source is registered, at any depth', () => {
  // A helper's argument may itself be a helper call or a variable. The inner value is read from a
  // file, a credential or the environment even when it is never written to the TOML (it names a
  // file, it decides an #if), and a message about the outer helper may quote it: it is a secret.
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-render-nest-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const creds = join(dir, 'creds')
  mkdirSync(creds)
  const secretFile = join(dir, 'the-secret')
  writeFileSync(secretFile, 'outer-secret-value\n')
  // A file whose content is the path of another file, and a credential whose content is one too.
  writeFileSync(join(dir, 'path-file'), `${secretFile}\n`)
  writeFileSync(join(dir, 'path-of-path'), `${join(dir, 'path-file')}\n`)
  writeFileSync(join(creds, 'path-cred'), `${secretFile}\n`)
  // A file and a credential whose content is a credential name.
  writeFileSync(join(dir, 'name-file'), 'name-from-file\n')
  writeFileSync(join(creds, 'name-cred'), 'name-from-cred\n')
  writeFileSync(join(creds, 'name-from-file'), 'outer-secret-value')
  writeFileSync(join(creds, 'name-from-cred'), 'outer-secret-value')
  writeFileSync(join(creds, 'outer-name'), 'outer-secret-value')
  writeFileSync(join(dir, 'flag-file'), 'flag-from-file\n')
  writeFileSync(join(creds, 'flag-cred'), 'flag-from-cred\n')
  const env = { CREDENTIALS_DIRECTORY: creds, PATH_VAR: secretFile, NAME_VAR: 'outer-name', FLAG: 'flag-from-env' }

  it.each([
    ['file (file)', `t = "{{file (file "${join(dir, 'path-file')}")}}"\n`, secretFile],
    ['file (credential)', 't = "{{file (credential "path-cred")}}"\n', secretFile],
    ['file VARIABLE', 't = "{{file PATH_VAR}}"\n', secretFile],
    ['credential (file)', `t = "{{credential (file "${join(dir, 'name-file')}")}}"\n`, 'name-from-file'],
    ['credential (credential)', 't = "{{credential (credential "name-cred")}}"\n', 'name-from-cred'],
    ['credential VARIABLE', 't = "{{credential NAME_VAR}}"\n', 'outer-name'],
    ['three deep: file (file (file))', `t = "{{file (file (file "${join(dir, 'path-of-path')}"))}}"\n`, join(dir, 'path-file')],
  ])('%s: the inner value is registered as well as the outer one', (_name, tpl, inner) => {
    const { text, redactor } = render(tpl, env)
    expect(parse(text).t).toBe('outer-secret-value')
    expect(redactor.redact(`outer-secret-value ${inner}`)).toBe('*** ***')
  })

  it('three deep: every level is registered', () => {
    const { redactor } = render(`t = "{{file (file (file "${join(dir, 'path-of-path')}"))}}"\n`, env)
    expect(redactor.redact(`${join(dir, 'path-file')} | ${secretFile}`)).toBe('*** | ***')
  })

  it.each([
    ['#if (file)', `{{#if (file "${join(dir, 'flag-file')}")}}a = 1{{/if}}\n`, 'flag-from-file'],
    ['#unless (credential)', '{{#unless (credential "flag-cred")}}a = 2{{else}}a = 1{{/unless}}\n', 'flag-from-cred'],
    ['#with (file), value unused', `{{#with (file "${join(dir, 'flag-file')}")}}a = 1{{/with}}\n`, 'flag-from-file'],
    ['#each (credential)', '{{#each (credential "flag-cred")}}a = 2{{else}}a = 1{{/each}}\n', 'flag-from-cred'],
    ['#if includeZero=(file)', `{{#if FLAG includeZero=(file "${join(dir, 'flag-file')}")}}a = 1{{/if}}\n`, 'flag-from-file'],
    ['#with (file (credential))', '{{#with (file (credential "path-cred"))}}a = 1{{/with}}\n', secretFile],
  ])('%s: a value that only decides a block is registered', (_name, tpl, secret) => {
    const { text, redactor } = render(tpl, env)
    expect(parse(text).a).toBe(1)
    expect(redactor.redact(`x ${secret} x`)).toBe('x *** x')
  })

  it('#if VARIABLE: a value that only decides a block is not a secret (it never reaches the output)', () => {
    const { text, redactor } = render('{{#if FLAG}}a = 1{{/if}}\ncreate = true\n', { ...env, FLAG: 'yes' })
    expect(parse(text)).toEqual({ a: 1, create: true })
    expect(redactor.redact('answer yes, create = true')).toBe('answer yes, create = true')
  })

  it('#with (file (credential)): both levels are registered', () => {
    const { redactor } = render('{{#with (file (credential "path-cred"))}}a = 1{{/with}}\n', env)
    expect(redactor.redact(`${secretFile} outer-secret-value`)).toBe('*** ***')
  })

  it('an unreadable file named by an inner value: the message names the call, never the inner value', () => {
    writeFileSync(join(dir, 'bad-path'), `${join(dir, 'missing-secret-path')}\n`)
    const e = errorOf(() => render(`a = 1\nt = "{{file (file "${join(dir, 'bad-path')}")}}"\n`, env))
    expect(e.message).toMatch(/^line 2: \{\{file …\}\}: cannot read the file it names \(ENOENT\)$/)
    expect(e.message).not.toContain('missing-secret-path')
    const v = errorOf(() => render('t = "{{file PATH_VAR}}"\n', { PATH_VAR: join(dir, 'missing-secret-path') }))
    expect(v.message).toMatch(/\{\{file PATH_VAR\}\}: cannot read the file it names \(ENOENT\)/)
    expect(v.message).not.toContain('missing-secret-path')
  })

  it('a credential named by an inner value: the messages never quote the name', () => {
    const e = errorOf(() => render(`t = "{{credential (file "${join(dir, 'flag-file')}")}}"\n`, env))
    expect(e.message).toContain('{{credential …}}: cannot read')
    expect(e.message).not.toContain('flag-from-file')
    const n = errorOf(() => render('t = "{{credential NAME_VAR}}"\n', { NAME_VAR: 'secret-cred-name' }))
    expect(n.message).toContain('{{credential NAME_VAR}}: CREDENTIALS_DIRECTORY is not set')
    expect(n.message).not.toContain('secret-cred-name')
  })

  it('a hash argument on a value helper is refused (it would be read and ignored)', () => {
    expect(errorOf(() => render(`t = "{{file "${secretFile}" x=(file "${join(dir, 'flag-file')}")}}"\n`, env)).message).toMatch(
      /line 1: \{\{file\}\} takes one path/,
    )
    expect(errorOf(() => render('t = "{{credential "outer-name" mode="x"}}"\n', env)).message).toMatch(/\{\{credential\}\} takes one credential name/)
  })
})

describe('escapeTomlBasic and TomlScanner', () => {
  it.each([
    ['a\\b', 'a\\\\b'],
    ['"', '\\"'],
    ['\u0001', '\\u0001'],
    ['\u007f', '\\u007F'],
    ['\b\t\n\f\r', '\\b\\t\\n\\f\\r'],
  ])('escapes %j as %j', (raw, escaped) => {
    expect(escapeTomlBasic(raw)).toBe(escaped)
  })

  it.each([
    ['a = ', 'bare'],
    ['a = "', 'basic'],
    ["a = '", 'literal'],
    ['a = """', 'ml-basic'],
    ["a = '''", 'ml-literal'],
    ['a = """x\n""""', 'bare'],
    ['# "comment', 'comment'],
    ['# "comment\n', 'bare'],
    ['a = "x\\"', 'basic'],
    ["a = '''it's''", 'ml-literal'],
  ])('after %j the context is %s', (text, ctx) => {
    const s = new TomlScanner()
    s.feed(text)
    expect(s.context).toBe(ctx)
  })
})

describe('renderConfig interprets the template as Handlebars 4.7 renders it', () => {
  // The renderer walks Handlebars' AST itself (no compiled template, no new Function). The same
  // templates, with values that need no TOML escaping, must give the text Handlebars gives.
  const env = { A: 'alpha', B: '', Z: '0', N: '42', HOST: 'broker.lan', PORT: '1883' }
  it.each([
    ['a = "{{A}}"\nb = {{N}}\n'],
    ['{{#if A}}a = 1{{/if}}{{#if B}}b = 1{{else}}b = 2{{/if}}\n'],
    ['{{#if Z}}z = 1{{else}}z = 2{{/if}}\n{{#if Z includeZero=true}}y = 1{{/if}}\n'],
    ['{{#unless B}}u = 1{{/unless}}\n{{#unless A}}v = 1{{else}}v = 2{{/unless}}\n'],
    ['{{#if B}}x = 1{{else if A}}x = 2{{else}}x = 3{{/if}}\n'],
    ['{{^if B}}inv = 1{{/if}}\n'],
    ['{{#with A}}w = "{{this}}"{{/with}}\n{{#with B}}w2 = 1{{else}}w2 = 2{{/with}}\n'],
    ['{{#with A as |v|}}w = "{{v}}-{{../N}}"{{/with}}\n'],
    ['{{#each this as |v k|}}{{#if @first}}first = "{{k}}={{v}}"{{/if}}{{/each}}\n'],
    ['{{#each @root}}{{#if @last}}last = "{{@key}}"{{/if}}{{/each}}\n'],
    ['{{#each A}}never{{else}}none = 1{{/each}}\n'],
    ['{{#if A}}\n  indented = 1\n{{/if}}\nafter = 2\n'],
    ['a = "  {{~A~}}  "\n'],
    ['{{!-- a comment with {{A}} --}}a = 1\n{{! short }}\nb = 2\n'],
    ['len = {{A.length}}\n'],
    ['{{#if A}}{{#with N}}n = "{{this}}{{../A}}"{{/with}}{{/if}}\n'],
    ['mqtt = "mqtt://{{HOST}}:{{PORT}}"\n'],
  ])('%j', async (tpl) => {
    const { default: Handlebars } = await import('handlebars')
    const expected = Handlebars.compile(tpl, { noEscape: true })({ ...env })
    expect(render(tpl, env).text).toBe(expected)
  })

  it('an #if, #with or #each without exactly one argument is an error naming the line', () => {
    expect(errorOf(() => render('a = 1\n{{#if}}x{{/if}}', {})).message).toBe('line 2: template error: #if requires exactly one argument')
    expect(errorOf(() => render('{{#with A B}}x{{/with}}', { A: 'a', B: 'b' })).message).toMatch(/#with requires exactly one argument/)
    expect(errorOf(() => render('{{#each}}x{{/each}}', {})).message).toMatch(/#each requires exactly one argument/)
  })
})
