import type { Redactor } from '../report/redact.js'
import { isSecretKey } from './secrets.js'

/**
 * The rendered config as `edge-ddns check` prints it: every secret shown as `***`.
 *
 * Two nets, because each catches what the other cannot:
 * - the value of every secret-named key (`token`, `password`, `secret`, `key`, `*_token`, ...),
 *   found by a small TOML scanner (plain, dotted and quoted keys, inline tables, arrays, all four
 *   string forms), is replaced by `"***"` whatever its origin: even one typed into the file;
 * - then every registered secret (each value from the environment or a helper, raw and as
 *   escaped for TOML by the renderer) is replaced by `***` wherever it stands.
 * In comments, `key = value` with a secret-named key is masked too (a commented-out token).
 */
export function displayConfig(rendered: string, redactor: Redactor): string {
  return redactor.redact(maskSecretKeys(rendered))
}

/** `rendered` with the value of every secret-named key replaced by `"***"`; the rest is kept as it is. */
export function maskSecretKeys(text: string): string {
  return new Masker(text).run()
}

const MASK = '"***"'
const BARE_KEY = /[A-Za-z0-9_-]/

class Masker {
  private i = 0
  private out = ''
  constructor(private readonly s: string) {}

  run(): string {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') this.copy(1)
      else if (c === '#') this.comment()
      else if (c === '[') this.header()
      else this.keyValue()
    }
    return this.out
  }

  private copy(n: number): void {
    this.out += this.s.slice(this.i, this.i + n)
    this.i += n
  }

  private skipSpaces(newlines = false): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === ' ' || c === '\t' || (newlines && (c === '\n' || c === '\r'))) this.copy(1)
      else if (newlines && c === '#') this.comment()
      else break
    }
  }

  private comment(): void {
    const end = this.lineEnd()
    const text = this.s.slice(this.i, end)
    this.out += text.replace(
      /([A-Za-z0-9_-]+)(\s*=\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|\S+)/g,
      (m, key: string, eq: string) => (isSecretKey(key) ? `${key}${eq}${MASK}` : m),
    )
    this.i = end
  }

  private lineEnd(): number {
    const n = this.s.indexOf('\n', this.i)
    return n < 0 ? this.s.length : n
  }

  /** `[table]` or `[[array]]`: copied to the end of its line (a comment after it is scanned). */
  private header(): void {
    let depth = 0
    while (this.i < this.s.length) {
      const c = this.s[this.i]!
      if (c === '\n') return
      if (c === '"' || c === "'") {
        this.copy(this.stringLength())
        continue
      }
      if (c === '#' && depth === 0) return this.comment()
      if (c === '[') depth++
      if (c === ']') depth--
      this.copy(1)
    }
  }

  /** `a.b."c" = value`; the last key part decides whether the value is a secret. */
  private keyValue(): void {
    const last = this.key()
    this.skipSpaces()
    if (this.s[this.i] !== '=') {
      // Not TOML we understand: copy the rest of the line untouched rather than guess.
      this.copy(Math.max(1, this.lineEnd() - this.i))
      return
    }
    this.copy(1)
    this.skipSpaces()
    this.value(last !== null && isSecretKey(last))
  }

  /** Copies a (dotted) key and returns its last part, unquoted; null when there is no key here. */
  private key(): string | null {
    let last: string | null = null
    for (;;) {
      this.skipSpaces()
      const c = this.s[this.i]
      if (c === '"' || c === "'") {
        const n = this.stringLength()
        last = this.s.slice(this.i + 1, this.i + n - 1)
        this.copy(n)
      } else {
        const start = this.i
        while (this.i < this.s.length && BARE_KEY.test(this.s[this.i]!)) this.i++
        if (this.i === start) return last
        last = this.s.slice(start, this.i)
        this.out += last
      }
      this.skipSpaces()
      if (this.s[this.i] !== '.') return last
      this.copy(1)
    }
  }

  private value(secret: boolean): void {
    const c = this.s[this.i]
    if (c === '"' || c === "'") {
      const n = this.stringLength()
      if (secret) {
        this.out += MASK
        this.i += n
      } else this.copy(n)
    } else if (c === '[') {
      this.copy(1)
      for (;;) {
        this.skipSpaces(true)
        const d = this.s[this.i]
        if (d === undefined) return
        if (d === ']') return this.copy(1)
        if (d === ',') {
          this.copy(1)
          continue
        }
        const before = this.i
        this.value(secret)
        if (this.i === before) this.copy(1)
      }
    } else if (c === '{') {
      this.copy(1)
      for (;;) {
        this.skipSpaces()
        const d = this.s[this.i]
        if (d === undefined || d === '\n') return
        if (d === '}') return this.copy(1)
        if (d === ',') {
          this.copy(1)
          continue
        }
        const before = this.i
        const last = this.key()
        this.skipSpaces()
        if (this.s[this.i] === '=') {
          this.copy(1)
          this.skipSpaces()
          this.value(last !== null && isSecretKey(last))
        }
        if (this.i === before) this.copy(1)
      }
    } else {
      // A bare scalar (number, boolean, date): up to a delimiter, spaces inside kept (dates have one).
      let end = this.i
      while (end < this.s.length && !',]}\n#'.includes(this.s[end]!)) end++
      let stop = end
      while (stop > this.i && /\s/.test(this.s[stop - 1]!)) stop--
      if (secret && stop > this.i) {
        this.out += MASK
        this.i = stop
      } else this.copy(stop - this.i)
    }
  }

  /** Length of the string starting at `i` (any of the four forms), delimiters included. */
  private stringLength(): number {
    const s = this.s
    const start = this.i
    const q = s[start]!
    const basic = q === '"'
    if (s.startsWith(q.repeat(3), start)) {
      let j = start + 3
      while (j < s.length) {
        if (basic && s[j] === '\\') {
          j += 2
          continue
        }
        if (s[j] === q) {
          let run = 0
          while (s[j + run] === q) run++
          if (run >= 3) return j + run - start
          j += run
          continue
        }
        j++
      }
      return s.length - start
    }
    let j = start + 1
    while (j < s.length && s[j] !== '\n') {
      if (basic && s[j] === '\\') {
        j += 2
        continue
      }
      if (s[j] === q) return j + 1 - start
      j++
    }
    return j - start
  }
}
