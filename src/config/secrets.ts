import type { Redactor } from '../report/redact.js'
import { isTable } from './fields.js'

/**
 * Which config keys hold secrets: `token`, `password`, `secret`, `key`, and any key ending in
 * `_token`, `_password`, `_secret` or `_key` (`api_key`, `ddns_password`, `tsig_secret`), any case.
 * Their values are registered on the Redactor and shown as `***` by `check`.
 */
export function isSecretKey(key: string): boolean {
  return /^(?:token|password|secret|key)$|_(?:token|password|secret|key)$/i.test(key)
}

/**
 * Registers the value of every secret-named key anywhere in `t` (tables, arrays of tables, inline
 * tables; strings, and the strings of an array) before anything validates it, so no later error
 * can echo one.
 */
export function registerSecretKeys(t: unknown, redactor: Redactor): void {
  if (Array.isArray(t)) {
    for (const x of t) registerSecretKeys(x, redactor)
    return
  }
  if (!isTable(t)) return
  for (const [k, v] of Object.entries(t)) {
    if (isSecretKey(k)) addValue(v, redactor)
    registerSecretKeys(v, redactor)
  }
}

function addValue(v: unknown, redactor: Redactor): void {
  if (typeof v === 'string') {
    redactor.add(v)
    // Providers trim what they read; the trimmed form is what reaches a request.
    redactor.add(v.trim())
  } else if (typeof v === 'number' || typeof v === 'bigint') redactor.add(String(v))
  else if (Array.isArray(v)) for (const x of v) addValue(x, redactor)
}
