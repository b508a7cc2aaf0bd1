/**
 * Error types shared by every stage. Three families are kept apart (see DESIGN.md):
 * the user's (bad config, bad credentials: no retry), the world's (timeouts, 5xx, 429: retry later),
 * and ours (a bug: "please report").
 *
 * Messages chain their context left to right:
 * `home.example.com A: cloudflare: HTTP 403 from api.cloudflare.com: Invalid token`.
 * A message never contains a secret; callers pass values through `Redactor` before they reach one.
 */

/** What went wrong, in the terms a scheduler needs to decide whether and when to retry. */
export type ErrorKind =
  | 'config' // the config file alone shows it (exit 78)
  | 'usage' // bad command line (exit 2)
  | 'auth' // credentials refused (401, badauth): permanent until the config changes
  | 'forbidden' // authenticated but not allowed (403, ACCESS_DENIED): permanent
  | 'conflict' // the record cannot be written as asked (CNAME at the name, ...): permanent
  | 'notfound' // zone or host unknown to the provider: permanent
  | 'invalid' // the provider rejected the request's content (bad TTL, bad host): permanent
  | 'ratelimit' // 429 / "too frequent": hold off until `retryAfterSec`
  | 'transient' // timeout, connection refused, 5xx: retry with back-off
  | 'provider' // the provider says it failed (911, dnserr, success:false): long hold-off
  | 'protocol' // the answer did not parse as the protocol says it must
  | 'detect' // no usable address from a source
  | 'sandbox' // the OS refused an operation the sandbox forbids (EAFNOSUPPORT on netlink, ...)
  | 'clock' // the clock is wrong (before the build date, TSIG BADTIME)
  | 'internal' // a bug in edge-ddns

/** Options common to every edge-ddns error. */
export interface EdgeErrorOptions {
  /** Whether trying the same request later may succeed without the user changing anything. */
  retryable?: boolean
  /** Provider- or protocol-specific code (Cloudflare `errors[].code`, dyndns2 keyword, RCODE name). */
  code?: string | number
  /** One sentence telling the user what to do. */
  hint?: string
  /** Seconds to wait before the next call to the same provider (from `Retry-After` or policy). */
  retryAfterSec?: number
  cause?: unknown
}

/** Base class: every error edge-ddns raises on purpose is one of these. */
export class EdgeError extends Error {
  readonly kind: ErrorKind
  readonly retryable: boolean
  readonly code: string | number | undefined
  readonly hint: string | undefined
  readonly retryAfterSec: number | undefined

  constructor(kind: ErrorKind, message: string, opts: EdgeErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'EdgeError'
    this.kind = kind
    this.retryable = opts.retryable ?? (kind === 'transient' || kind === 'ratelimit' || kind === 'provider')
    this.code = opts.code
    this.hint = opts.hint
    this.retryAfterSec = opts.retryAfterSec
  }

  /** The same error with `prefix: ` put before its message (kind, code and hint kept). */
  withContext(prefix: string): EdgeError {
    const e = new EdgeError(this.kind, `${prefix}: ${this.message}`, {
      retryable: this.retryable,
      code: this.code,
      hint: this.hint,
      retryAfterSec: this.retryAfterSec,
      cause: this,
    })
    return e
  }
}

/**
 * The config is wrong in a way the file alone shows. `path` names the key, e.g. `domains[1].zone`.
 * The message never includes the offending value when that value may be a secret.
 */
export class ConfigError extends EdgeError {
  readonly path: string
  constructor(path: string, message: string, opts: EdgeErrorOptions = {}) {
    super('config', path ? `${path}: ${message}` : message, { ...opts, retryable: false })
    this.name = 'ConfigError'
    this.path = path
  }
}

/** The command line is wrong (exit 2). */
export class UsageError extends EdgeError {
  constructor(message: string) {
    super('usage', message, { retryable: false })
    this.name = 'UsageError'
  }
}

/** Normalises anything thrown into an EdgeError; unknown errors become `internal` (a bug). */
export function toEdgeError(err: unknown): EdgeError {
  if (err instanceof EdgeError) return err
  if (err instanceof Error) {
    if (err.name === 'AbortError') return new EdgeError('transient', 'aborted: run deadline reached', { cause: err })
    return new EdgeError('internal', `${err.message} (this is a bug in edge-ddns, please report it)`, { cause: err })
  }
  return new EdgeError('internal', `${String(err)} (this is a bug in edge-ddns, please report it)`)
}
