import { DEFAULT_TIMEOUTS, type Timeouts } from '../context.js'
import { defaultSources, parseSource, resolverSources } from '../detect/presets.js'
import type { AddressPolicy, DetectConfig, SourceSpec } from '../detect/types.js'
import { ConfigError } from '../errors.js'
import type { Family, ParseCtx, ProviderDef, RecordRef } from '../providers/types.js'
import type { LogLevel } from '../report/log.js'
import type { Redactor } from '../report/redact.js'
import { dnessEntry, parseIpTypes, parseLogLevel } from './dness.js'
import { parseDuration } from './duration.js'
import { isTable, keyPath, optBool, optInt, rejectUnknown, typeName, type Table } from './fields.js'
import { registerSecretKeys } from './secrets.js'
import { sections as registeredSections, type SectionDef } from './sections.js'
import type { Config, DomainEntry } from './types.js'

/**
 * Validates parsed TOML into a `Config`: unknown keys are rejected with their path, every
 * `[[domains]]` entry is checked by its provider's `parse`, and every secret is registered on the
 * Redactor before any message can echo it.
 *
 * Everything wrong is collected (one error per top-level section and per `[[domains]]` entry), so
 * one run of `check` shows all of it; any error stops the whole load: the CLI exits 78 before any
 * network call, even when only one entry is wrong.
 */

/** Top-level keys of the config besides the sections of `sections.ts`. */
export const TOP_LEVEL_KEYS: readonly string[] = ['ip_resolver', 'log', 'detect', 'timeouts', 'domains']

/** Keys every `[[domains]]` entry may have, whatever its type; the rest go to the provider. */
export const COMMON_DOMAIN_KEYS: readonly string[] = ['type', 'ip_types', 'create', 'ttl']

/** Provider types by `type` value (the registry's `providers`, or fakes in tests). */
export type ProviderTable = Readonly<Record<string, ProviderDef>>

/** What validation needs besides the parsed TOML. */
export interface ValidateCtx {
  redactor: Redactor
  /** The config file's path (`Config.file`), or null. */
  file: string | null
  /** Receives non-fatal remarks (already redacted). */
  warn(msg: string): void
}

/** Where validation finds the provider types and sections. */
export interface ValidateOptions {
  /** The provider types; load.ts passes the registry's. */
  providers: ProviderTable
  /** dness types not built yet: a clear "not supported yet" error (the registry's PLANNED_DNESS_TYPES). */
  planned?: readonly string[]
  /** Sections owned by other modules; default: the list in sections.ts. */
  sections?: readonly SectionDef[]
}

/** Several config errors at once; `errors` holds each (with its own `path`). */
export class ConfigErrorList extends ConfigError {
  readonly errors: ConfigError[]
  constructor(errors: ConfigError[]) {
    super('', `the config has ${errors.length} errors:\n${errors.map((e) => `  ${e.message.split('\n').join('\n  ')}`).join('\n')}`)
    this.name = 'ConfigErrorList'
    this.errors = errors
  }
}

/**
 * Validates the parsed TOML.
 * @throws ConfigError naming the key path for one problem; ConfigErrorList for several.
 */
export function validateConfig(raw: Table, ctx: ValidateCtx, opts: ValidateOptions): Config {
  // First, so that no message below can print a secret-named key's value.
  registerSecretKeys(raw, ctx.redactor)

  const errors: ConfigError[] = []
  const attempt = <T>(fn: () => T): T | undefined => {
    try {
      return fn()
    } catch (e) {
      if (e instanceof ConfigErrorList) errors.push(...e.errors)
      else if (e instanceof ConfigError) errors.push(e)
      else throw e
      return undefined
    }
  }
  const parseCtx: ParseCtx = {
    secret: (v) => ctx.redactor.add(v),
    warn: (m) => ctx.warn(ctx.redactor.redact(m)),
  }
  const sectionDefs = opts.sections ?? registeredSections
  const allowedTop = [...TOP_LEVEL_KEYS, ...sectionDefs.map((s) => s.name)]
  for (const k of Object.keys(raw)) attempt(() => rejectUnknown({ [k]: raw[k] }, allowedTop, ''))

  const logLevel = attempt(() => parseLogSection(raw.log))
  const timeouts = attempt(() => parseTimeouts(raw.timeouts)) ?? { ...DEFAULT_TIMEOUTS }
  const detect = attempt(() => parseDetect(raw.ip_resolver, raw.detect, ctx.redactor))
  const domains = parseDomains(raw.domains, opts, parseCtx, ctx, attempt)
  // A family some entry manages but no source can detect would make every run fail; the file
  // alone shows it, so it is a config error.
  if (detect) {
    for (const d of domains) {
      for (const f of d.families) {
        if (detect.sources[f].length === 0) {
          attempt(() => {
            throw new ConfigError(`${d.path}.ip_types`, `manages ${f === 4 ? 'A' : 'AAAA'} records, but [detect] ipv${f} = [] turns IPv${f} detection off`)
          })
        }
      }
    }
  }

  const extra: Record<string, unknown> = {}
  for (const s of sectionDefs) {
    const v = raw[s.name]
    if (v === undefined) continue
    attempt(() => {
      if (!isTable(v)) throw new ConfigError(s.name, `expected a table ([${s.name}]), got ${typeName(v)}`)
      extra[s.name] = s.parse(v, s.name, parseCtx)
    })
  }

  if (errors.length === 1) throw errors[0]!
  if (errors.length > 1) throw new ConfigErrorList(errors)
  const config: Config = { file: ctx.file, timeouts, detect: detect!, domains, extra }
  if (logLevel !== undefined) config.logLevel = logLevel
  return config
}

/** `[log]`: only `level` (dness). */
function parseLogSection(v: unknown): LogLevel | undefined {
  if (v === undefined) return undefined
  if (!isTable(v)) throw new ConfigError('log', `expected a table ([log]), got ${typeName(v)}`)
  rejectUnknown(v, ['level'], 'log')
  return v.level === undefined ? undefined : parseLogLevel(v.level, 'log.level')
}

/**
 * `[timeouts]`: `http`, `dns` and `run` in seconds or as duration strings (`"10s"`, `"1m"`),
 * `dns_retries` an integer; each defaults to DEFAULT_TIMEOUTS. The result is in milliseconds.
 */
function parseTimeouts(v: unknown): Timeouts {
  const t: Timeouts = { ...DEFAULT_TIMEOUTS }
  if (v === undefined) return t
  if (!isTable(v)) throw new ConfigError('timeouts', `expected a table ([timeouts]), got ${typeName(v)}`)
  rejectUnknown(v, ['http', 'dns', 'run', 'dns_retries'], 'timeouts')
  const ms = (key: string, min: number, max: number): number | undefined =>
    v[key] === undefined ? undefined : Math.round(parseDuration(v[key], keyPath('timeouts', key), { min, max }) * 1000)
  t.httpMs = ms('http', 0.1, 600) ?? t.httpMs
  t.dnsMs = ms('dns', 0.1, 60) ?? t.dnsMs
  t.runMs = ms('run', 1, 86_400) ?? t.runMs
  t.dnsRetries = optInt(v, 'dns_retries', 'timeouts', 0, 10) ?? t.dnsRetries
  return t
}

/**
 * `ip_resolver` (dness) and `[detect]`. The resolver sets both families' lists; a `[detect]` list
 * wins for its family. With neither, the default sources.
 */
function parseDetect(resolver: unknown, v: unknown, redactor: Redactor): DetectConfig {
  let sources: Record<Family, SourceSpec[]>
  if (resolver === undefined) sources = defaultSources()
  else if (typeof resolver !== 'string') throw new ConfigError('ip_resolver', `expected a string ("opendns" or "ipify"), got ${typeName(resolver)}`)
  else sources = resolverSources(resolver, 'ip_resolver')

  const policy: AddressPolicy = { allowPrivate: false, allowDocumentation: false, preferTemporary: false }
  if (v === undefined) return { sources, policy }
  if (!isTable(v)) throw new ConfigError('detect', `expected a table ([detect]), got ${typeName(v)}`)
  rejectUnknown(v, ['ipv4', 'ipv6', 'allow_private', 'allow_documentation', 'prefer_temporary'], 'detect')
  if (v.ipv4 !== undefined) sources[4] = parseSourceList(v.ipv4, 'detect.ipv4', 4, redactor)
  if (v.ipv6 !== undefined) sources[6] = parseSourceList(v.ipv6, 'detect.ipv6', 6, redactor)
  policy.allowPrivate = optBool(v, 'allow_private', 'detect') ?? false
  policy.allowDocumentation = optBool(v, 'allow_documentation', 'detect') ?? false
  policy.preferTemporary = optBool(v, 'prefer_temporary', 'detect') ?? false
  return { sources, policy }
}

/** An ordered source list for one family; each source must serve that family. An empty list turns the family off. */
function parseSourceList(v: unknown, path: string, family: Family, redactor: Redactor): SourceSpec[] {
  const arr = Array.isArray(v) ? v : [v]
  return arr.map((x, i) => {
    const at = Array.isArray(v) ? `${path}[${i}]` : path
    let spec: SourceSpec
    try {
      spec = parseSource(x, at)
    } catch (e) {
      // A source string may hold a URL with a token in its query; it was never meant to be echoed.
      if (e instanceof ConfigError) e.message = redactor.redact(e.message)
      throw e
    }
    const serves = spec.kind === 'dns' ? spec.server[family] !== undefined : spec.kind === 'http' ? spec.url[family] !== undefined : true
    if (!serves) throw new ConfigError(at, `this source does not serve IPv${family}; list it under detect.ipv${family === 4 ? 6 : 4}`)
    return spec
  })
}

/** All `[[domains]]` entries; an error in one is recorded and the others are still checked. */
function parseDomains(
  v: unknown,
  opts: ValidateOptions,
  parseCtx: ParseCtx,
  ctx: ValidateCtx,
  attempt: <T>(fn: () => T) => T | undefined,
): DomainEntry[] {
  if (v === undefined) return []
  if (!Array.isArray(v)) {
    attempt(() => {
      throw new ConfigError('domains', `expected [[domains]] entries (an array of tables), got ${typeName(v)}`)
    })
    return []
  }
  const entries: DomainEntry[] = []
  v.forEach((raw, i) => {
    const e = attempt(() => parseDomain(raw, i, opts, parseCtx, ctx))
    if (e) entries.push(e)
  })
  attempt(() => checkDuplicates(entries, ctx))
  return entries
}

function parseDomain(raw: unknown, index: number, opts: ValidateOptions, parseCtx: ParseCtx, ctx: ValidateCtx): DomainEntry {
  const path = `domains[${index}]`
  if (!isTable(raw)) throw new ConfigError(path, `expected a table ([[domains]]), got ${typeName(raw)}`)
  const supported = Object.keys(opts.providers).sort().join(', ')

  const typeRaw = raw.type
  if (typeRaw === undefined) throw new ConfigError(`${path}.type`, `is required (supported: ${supported})`)
  if (typeof typeRaw !== 'string') throw new ConfigError(`${path}.type`, `expected a string, got ${typeName(typeRaw)}`)
  const type = typeRaw.trim().toLowerCase()
  if (opts.planned?.includes(type)) {
    throw new ConfigError(`${path}.type`, `provider type '${type}' is not supported yet (supported: ${supported})`)
  }
  const def = Object.hasOwn(opts.providers, type) ? opts.providers[type] : undefined
  if (!def) {
    // Echo the type only when it looks like one and is no registered secret (a value from the environment may be).
    const shown = typeRaw.trim()
    const echo = /^[A-Za-z0-9_-]{1,40}$/.test(shown) && ctx.redactor.redact(shown) === shown ? ` '${shown}'` : ''
    throw new ConfigError(`${path}.type`, `unknown provider type${echo} (supported: ${supported})`)
  }

  const families = parseIpTypes(raw.ip_types, `${path}.ip_types`)
  if (families.includes(6) && !def.capabilities.ipv6) {
    throw new ConfigError(`${path}.ip_types`, `${type} updates IPv4 only; remove "6"`)
  }
  const create = optBool(raw, 'create', path) ?? false
  const ttl = raw.ttl === undefined ? undefined : parseTtl(raw.ttl, `${path}.ttl`, def)

  let rest: Table = {}
  for (const [k, val] of Object.entries(raw)) if (!COMMON_DOMAIN_KEYS.includes(k)) rest[k] = val
  rest = dnessEntry(type, rest, path, parseCtx.warn)
  let parsed: ReturnType<typeof def.parse>
  try {
    parsed = def.parse(rest, path, parseCtx)
  } catch (e) {
    throw withCommonKeys(e, def.ttl !== undefined)
  }

  const names: string[] = []
  const seen = new Set<string>()
  for (const n of parsed.names) {
    const fqdn = n.trim().toLowerCase().replace(/\.$/, '')
    if (seen.has(fqdn)) parseCtx.warn(`${path}: record ${fqdn} is listed twice; managing it once`)
    else {
      seen.add(fqdn)
      names.push(fqdn)
    }
  }
  if (names.length === 0) throw new ConfigError(path, 'names no record to manage')

  const records: RecordRef[] = []
  for (const fqdn of names) {
    for (const f of families) {
      const ref: RecordRef = { fqdn, type: f === 4 ? 'A' : 'AAAA' }
      if (parsed.zone !== undefined) ref.zone = parsed.zone
      records.push(ref)
    }
  }
  const entry: DomainEntry = { index, path, type, def, settings: parsed.settings, families, create, records, account: parsed.account }
  if (ttl !== undefined) entry.ttl = ttl
  return entry
}

/**
 * A `ttl` checked against the provider's bounds before any network call (BC-09): an integer
 * number of seconds (or a duration string such as `"5m"`), equal to the provider's "automatic"
 * value or within [min, max].
 */
function parseTtl(v: unknown, path: string, def: ProviderDef): number {
  const bounds = def.ttl
  if (!bounds) throw new ConfigError(path, `provider type '${def.name}' takes no ttl; remove the key`)
  const sec = parseDuration(v, path)
  const range =
    bounds.auto !== undefined
      ? `${bounds.auto} (automatic) or from ${bounds.min} to ${bounds.max} seconds`
      : `from ${bounds.min} to ${bounds.max} seconds`
  if (!Number.isInteger(sec)) throw new ConfigError(path, `must be a whole number of seconds: ${range}`)
  if (sec === bounds.auto) return sec
  if (sec < bounds.min || sec > bounds.max) throw new ConfigError(path, `must be ${range} for ${def.name}, got ${sec}`)
  return sec
}

/**
 * One (name, type) in one account belongs to one entry: two entries writing it would fight.
 * The same record through two different accounts is allowed (a warning: it may be a migration).
 */
function checkDuplicates(entries: DomainEntry[], ctx: ValidateCtx): void {
  const sameAccount = new Map<string, DomainEntry>()
  const anyAccount = new Map<string, DomainEntry>()
  const errors: ConfigError[] = []
  const warned = new Set<string>()
  for (const e of entries) {
    for (const r of e.records) {
      const rec = `${r.fqdn}\u0000${r.type}`
      const key = `${e.account}\u0000${rec}`
      const first = sameAccount.get(key)
      if (first) {
        errors.push(new ConfigError(e.path, `record ${r.fqdn} ${r.type} is already managed by ${first.path} with the same account; list it once`))
        continue
      }
      sameAccount.set(key, e)
      const other = anyAccount.get(rec)
      if (!other) anyAccount.set(rec, e)
      else if (!warned.has(rec)) {
        warned.add(rec)
        ctx.warn(`${e.path}: record ${r.fqdn} ${r.type} is also managed by ${other.path} through another account`)
      }
    }
  }
  if (errors.length === 1) throw errors[0]!
  if (errors.length > 1) throw new ConfigErrorList(errors)
}

/**
 * A provider's "unknown key" error lists the provider's keys; the entry also takes the common ones,
 * so the list a user reads is completed here.
 */
function withCommonKeys(e: unknown, takesTtl: boolean): unknown {
  if (!(e instanceof ConfigError)) return e
  const m = /^unknown key \(accepted here: (.*)\)$/.exec(e.message.slice(e.path.length + 2))
  if (!m) return e
  // A provider without a TTL refuses `ttl`, so the list must not offer it.
  const common = COMMON_DOMAIN_KEYS.filter((k) => takesTtl || k !== 'ttl')
  const all = [...new Set([...m[1]!.split(', '), ...common])].sort()
  return new ConfigError(e.path, `unknown key (accepted here: ${all.join(', ')})`)
}
