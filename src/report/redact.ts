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

  /** Registers a secret; values shorter than 3 characters are ignored (they would mask ordinary text). */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 3) return
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

  /** The text with each registered secret (longest first) replaced by `***`. */
  redact(text: string): string {
    if (this.secrets.size === 0) return text
    let out = text
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(s)) out = out.split(s).join('***')
    }
    return out
  }

  /**
   * `value` as pretty JSON with every string redacted BEFORE it is escaped: redacting the JSON
   * text afterwards would miss a secret whose JSON form differs (a backslash becomes `\\`), and
   * could break the JSON where a secret equals a literal like `true`.
   */
  json(value: unknown): string {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' ? this.redact(v) : v), 2)
  }

  /** How many secrets are registered (for tests and `check`). */
  get size(): number {
    return this.secrets.size
  }
}
