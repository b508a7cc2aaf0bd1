import { parse, TomlError } from 'smol-toml'
import { ConfigError } from '../errors.js'
import type { Redactor } from '../report/redact.js'
import type { Table } from './fields.js'

/**
 * Parses rendered TOML (TOML 1.0, smol-toml) into plain tables.
 *
 * A syntax error names the line and column and the parser's reason, never the line itself: that
 * line may hold a substituted secret (or a literal one), and smol-toml quotes it in its message.
 * Lines count in the rendered text: the template's own numbering unless an `{{#if}}` block or a
 * value with line breaks outside a string moved them.
 *
 * @param source the config file's path, named in the message; null for a text with no file.
 * @throws ConfigError `<file>, line L, column C: TOML syntax error: <reason>`.
 */
export function parseToml(text: string, redactor: Redactor, source: string | null = null): Table {
  try {
    return parse(text) as Table
  } catch (e) {
    const at = source ? `${source}, ` : ''
    if (e instanceof TomlError) {
      // smol-toml's message is "Invalid TOML document: <reason>\n\n<the lines around it>".
      const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '').trim()
      throw new ConfigError('', `${at}line ${e.line}, column ${e.column}: TOML syntax error: ${redactor.redact(reason) || 'invalid TOML'}`)
    }
    throw new ConfigError('', `${at}TOML syntax error`)
  }
}
