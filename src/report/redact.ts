/**
 * Replaces every known secret with `***` in text that is about to leave the process
 * (log lines, error messages, the JSON summary, MQTT payloads).
 *
 * Secrets are registered by the config stage: every value that came from the environment or a
 * helper (`{{file}}`, `{{credential}}`), and every value of a key named token, password, secret or key.
 * The URL-encoded and base64 (Basic auth) forms are registered too, so a secret cannot leak through
 * a query string or an Authorization header echoed in an error.
 */
export class Redactor {
  private readonly secrets = new Set<string>()

  /**
   * Registers a secret. Values that cannot be one and would mask ordinary text are ignored: fewer
   * than 3 characters, the TOML keywords `true`/`false`, and numbers of up to 5 digits (a `ttl`
   * or a port from the environment: masking every `300` garbles logs and makes `check` print TOML
   * that no longer reads back).
   */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 3 || secret === 'true' || secret === 'false' || /^\d{1,5}$/.test(secret)) return
    this.secrets.add(secret)
    const enc = encodeURIComponent(secret)
    if (enc !== secret) this.secrets.add(enc)
    const form = new URLSearchParams({ s: secret }).toString().slice(2)
    if (form !== secret) this.secrets.add(form)
    // A server may echo a credential base64-encoded (an Authorization header in an error body).
    if (secret.length >= 8) {
      const b64 = Buffer.from(secret, 'utf8').toString('base64')
      this.secrets.add(b64)
      this.secrets.add(b64.replace(/=+$/, ''))
    }
  }

  /** Registers `user:password` as it appears base64-encoded in a Basic Authorization header. */
  addBasic(user: string, password: string): void {
    this.add(Buffer.from(`${user}:${password}`, 'utf8').toString('base64'))
  }

  /**
   * The text with each registered secret (longest first) replaced by `***`. Messages quote
   * provider answers shortened with a trailing `…`; a secret cut by that shortening is masked
   * too (any start of it, 4 characters or more, right before the `…`).
   */
  redact(text: string): string {
    if (this.secrets.size === 0) return text
    let out = text
    const sorted = [...this.secrets].sort((a, b) => b.length - a.length)
    for (const s of sorted) {
      if (out.includes(s)) out = out.split(s).join('***')
    }
    if (out.includes('…')) {
      out = out.replace(/(\S+)\u2026/g, (whole, head: string) => {
        for (const s of sorted) {
          for (let n = Math.min(s.length - 1, head.length); n >= 4; n--) {
            if (head.endsWith(s.slice(0, n))) return `${head.slice(0, head.length - n)}***…`
          }
        }
        return whole
      })
    }
    return out
  }

  /**
   * `value` as JSON (pretty with `indent` spaces; 0: compact) with every string redacted BEFORE it is escaped: redacting the JSON
   * text afterwards would miss a secret whose JSON form differs (a backslash becomes `\\`), and
   * could break the JSON where a secret equals a literal like `true`.
   */
  json(value: unknown, indent = 2): string {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? this.redact(v) : v), indent)
  }

  /** How many secrets are registered (for tests and `check`). */
  get size(): number {
    return this.secrets.size
  }
}
