import { ConfigError } from '../errors.js'

/**
 * Readers for one table of the parsed TOML. Each names the full key path in its error
 * (`domains[1].zone: expected a string`) and never echoes the value, which may be a secret.
 */

/** A TOML table as smol-toml returns it. */
export type Table = Record<string, unknown>

/** True for a plain TOML table (not an array, date or null). */
export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date)
}

/** The path of `key` below `path`: `domains[1]` + `zone` → `domains[1].zone`. */
export function keyPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

/** Rejects keys not in `allowed`, naming the first unknown one and listing the accepted keys. */
export function rejectUnknown(t: Table, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(t)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(keyPath(path, k), `unknown key (accepted here: ${[...allowed].sort().join(', ')})`)
    }
  }
}

/** A required non-empty string, trimmed. */
export function reqString(t: Table, key: string, path: string): string {
  const v = optString(t, key, path)
  if (v === undefined) throw new ConfigError(keyPath(path, key), 'is required')
  return v
}

/** An optional string, trimmed; an empty string counts as absent only when `emptyIsAbsent`. */
export function optString(t: Table, key: string, path: string, emptyIsAbsent = true): string | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new ConfigError(keyPath(path, key), `expected a string, got ${typeName(v)}`)
  const s = v.trim()
  if (s === '' && emptyIsAbsent) return undefined
  return s
}

/** An optional boolean. */
export function optBool(t: Table, key: string, path: string): boolean | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw new ConfigError(keyPath(path, key), `expected true or false, got ${typeName(v)}`)
  return v
}

/** An optional integer within [min, max]. */
export function optInt(t: Table, key: string, path: string, min: number, max: number): number | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new ConfigError(keyPath(path, key), `expected an integer, got ${typeName(v)}`)
  if (n < min || n > max) throw new ConfigError(keyPath(path, key), `must be between ${min} and ${max}, got ${n}`)
  return n
}

/** An optional array of strings (each trimmed); a single string is accepted as a one-element array. */
export function optStringArray(t: Table, key: string, path: string): string[] | undefined {
  const v = t[key]
  if (v === undefined) return undefined
  const arr = typeof v === 'string' ? [v] : v
  if (!Array.isArray(arr)) throw new ConfigError(keyPath(path, key), `expected an array of strings, got ${typeName(v)}`)
  return arr.map((x, i) => {
    if (typeof x !== 'string') throw new ConfigError(`${keyPath(path, key)}[${i}]`, `expected a string, got ${typeName(x)}`)
    return x.trim()
  })
}

/** An optional http(s) URL without a trailing slash; the error names the key. */
export function optUrl(t: Table, key: string, path: string): string | undefined {
  const s = optString(t, key, path)
  if (s === undefined) return undefined
  let u: URL
  try {
    u = new URL(s)
  } catch {
    throw new ConfigError(keyPath(path, key), 'is not a valid URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(keyPath(path, key), 'must be an http:// or https:// URL')
  if (u.username || u.password) throw new ConfigError(keyPath(path, key), 'must not carry credentials; use the provider keys for them')
  return s.replace(/\/+$/, '')
}

/** Human name of a TOML value's type, for messages. */
export function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array'
  if (v instanceof Date) return 'a date'
  if (v === null) return 'null'
  if (isTable(v)) return 'a table'
  return `a ${typeof v === 'bigint' ? 'number' : typeof v}`
}
