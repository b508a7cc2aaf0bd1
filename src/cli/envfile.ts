import { readFileSync } from 'node:fs'
import { ConfigError } from '../errors.js'

/**
 * Reads an environment file as systemd's `EnvironmentFile=` and dotenv write them:
 * `KEY=value` lines, `#` comments, an optional `export ` prefix, values in single quotes taken
 * literally, values in double quotes with `\n`, `\"`, `\\` escapes, unquoted values trimmed.
 * Returns the variables in file order.
 * @throws ConfigError naming the file and line for an unreadable file or a malformed line
 *   (never the line's content: it holds secrets).
 */
export function readEnvFile(path: string, read: (p: string) => string = (p) => readFileSync(p, 'utf8')): Record<string, string> {
  let text: string
  try {
    text = read(path)
  } catch (e) {
    throw new ConfigError('--env-file', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
  }
  return parseEnvText(text, path)
}

/** Parses the text of an environment file; `name` is used in error messages. */
export function parseEnvText(text: string, name: string): Record<string, string> {
  const out: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? ''
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line)
    if (!m) throw new ConfigError('--env-file', `${name} line ${i + 1}: expected KEY=value`)
    const key = m[1] as string
    let value = m[2] ?? ''
    if (value.startsWith("'")) {
      const end = value.indexOf("'", 1)
      if (end < 0) throw new ConfigError('--env-file', `${name} line ${i + 1}: unterminated single quote in ${key}`)
      value = value.slice(1, end)
    } else if (value.startsWith('"')) {
      let j = 1
      let v = ''
      for (; j < value.length; j++) {
        const c = value[j]
        if (c === '\\' && j + 1 < value.length) {
          const n = value[++j]
          v += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : (n as string)
        } else if (c === '"') break
        else v += c
      }
      if (j >= value.length) throw new ConfigError('--env-file', `${name} line ${i + 1}: unterminated double quote in ${key}`)
      value = v
    } else {
      // An unquoted value ends at " #" (a trailing comment), as in dotenv.
      value = value.replace(/\s+#.*$/, '').trim()
    }
    out[key] = value
  }
  return out
}
