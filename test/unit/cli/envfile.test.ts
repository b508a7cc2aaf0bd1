import { describe, expect, it } from 'vitest'
import { parseEnvText, readEnvFile } from '../../../src/cli/envfile.js'
import { ConfigError } from '../../../src/errors.js'

describe('env file', () => {
  it('reads systemd/dotenv style lines byte for byte', () => {
    const text = [
      '# comment',
      'CF_TOKEN=abc123',
      'export QUOTED="a\\"b\\\\c\\nd"',
      "LITERAL='p&q<r>\\x'",
      'SPACED =  value with spaces   # trailing comment',
      '',
      'EMPTY=',
    ].join('\n')
    expect(parseEnvText(text, 'e.env')).toEqual({
      CF_TOKEN: 'abc123',
      QUOTED: 'a"b\\c\nd',
      LITERAL: 'p&q<r>\\x',
      SPACED: 'value with spaces',
      EMPTY: '',
    })
  })
  it('names the line of a malformed entry without printing it', () => {
    const secretLine = 'this is not an assignment s3cr3t'
    let err: unknown
    try {
      parseEnvText(`A=1\n${secretLine}\n`, 'e.env')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as Error).message).toContain('e.env line 2')
    expect((err as Error).message).not.toContain('s3cr3t')
  })
  it('an unreadable file is a config error naming the path', () => {
    expect(() =>
      readEnvFile('/nonexistent/e.env', () => {
        throw Object.assign(new Error('nope'), { code: 'ENOENT' })
      }),
    ).toThrow(/--env-file: cannot read \/nonexistent\/e.env: ENOENT/)
  })
})
