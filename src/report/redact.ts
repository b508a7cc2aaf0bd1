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
  private readonly visible = new Set<string>()
  /**
   * The secrets longest first, each with the visible names that hold it (`within`: the name and
   * the offset at which the secret stands in it). A secret with no `within` is masked everywhere:
   * one no visible name holds, and one that holds a visible name without being one. Rebuilt when a
   * secret or a name is added.
   */
  private order: { secret: string; within?: { name: string; at: number }[] }[] | undefined

  /**
   * Registers a secret. Values that cannot be one and would mask ordinary text are ignored: fewer
   * than 3 characters, the TOML keywords `true`/`false`, and numbers of up to 5 digits (a `ttl`
   * or a port from the environment: masking every `300` garbles logs and makes `check` print TOML
   * that no longer reads back).
   */
  add(secret: string | undefined | null): void {
    if (!secret || secret.length < 3 || secret === 'true' || secret === 'false' || /^\d{1,5}$/.test(secret)) return
    this.order = undefined
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

  /**
   * Keeps a name the config publishes in DNS (a record or a zone) readable wherever it stands,
   * even when a secret is part of it or equal to it: a password `example` must not turn
   * `home.example.net` into `home.***.net` in logs, `--json` or MQTT, and a host name that came
   * from the environment is still a public DNS name. A secret that merely contains such a name
   * (an update URL with the host name in it) is still masked whole.
   */
  keepVisible(name: string): void {
    if (name.length === 0 || this.visible.has(name)) return
    this.order = undefined
    this.visible.add(name)
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
    const order = this.ordered()
    let out = text
    // One pass, longest first, whatever kind: a shorter secret masked first would cut a longer one
    // into pieces that no longer match, and those pieces would be printed.
    for (const { secret, within } of order) {
      if (!out.includes(secret)) continue
      out = within ? maskOutsideNames(out, secret, within) : out.split(secret).join('***')
    }
    if (out.includes('…')) {
      out = out.replace(/(\S+)\u2026/g, (whole, head: string) => {
        for (const { secret: s } of order) {
          for (let n = Math.min(s.length - 1, head.length); n >= 4; n--) {
            if (head.endsWith(s.slice(0, n))) return `${head.slice(0, head.length - n)}***…`
          }
        }
        return whole
      })
    }
    return out
  }

  private ordered(): NonNullable<Redactor['order']> {
    if (!this.order) {
      const names = [...this.visible]
      this.order = [...this.secrets]
        .sort((a, b) => b.length - a.length)
        .map((secret) => {
          // A secret that holds a name is masked whole: splitting it at the name would print the
          // rest of it (an update URL with the host name in it). A secret that is itself a visible
          // name (a host name from the environment) is that name, and stays readable as it.
          if (!this.visible.has(secret) && names.some((n) => secret.includes(n))) return { secret }
          const within: { name: string; at: number }[] = []
          for (const name of names) for (let at = name.indexOf(secret); at >= 0; at = name.indexOf(secret, at + 1)) within.push({ name, at })
          return within.length > 0 ? { secret, within } : { secret }
        })
    }
    return this.order
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

/**
 * `text` with each occurrence of `secret` masked unless it is part of an occurrence of a visible
 * name there (`within`: the names holding the secret, and where in them it stands). Occurrences
 * are taken left to right without overlap, as `split` does; the cost is the occurrences times the
 * names that hold the secret, each a `startsWith`.
 */
function maskOutsideNames(text: string, secret: string, within: { name: string; at: number }[]): string {
  let out = ''
  let from = 0
  for (let k = text.indexOf(secret); k >= 0; k = text.indexOf(secret, from)) {
    const inName = within.some(({ name, at }) => k >= at && text.startsWith(name, k - at))
    out += text.slice(from, k) + (inName ? secret : '***')
    from = k + secret.length
  }
  return out + text.slice(from)
}
