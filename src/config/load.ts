import { existsSync, readFileSync, statSync } from 'node:fs'
import { DEFAULT_TIMEOUTS } from '../context.js'
import { defaultSources } from '../detect/presets.js'
import { ConfigError, EdgeError } from '../errors.js'
import { PLANNED_DNESS_TYPES, providers as registryProviders } from '../providers/registry.js'
import type { Redactor } from '../report/redact.js'
import { parseToml } from './parse.js'
import { renderConfig } from './render.js'
import { ConfigErrorList, validateConfig, type ProviderTable } from './schema.js'
import type { SectionDef } from './sections.js'
import type { Config } from './types.js'

/** Where the config lives when neither `-c` nor `EDGE_DDNS_CONFIG` says. */
export const DEFAULT_CONFIG_PATH = '/etc/edge-ddns/edge-ddns.toml'

/**
 * Which config file to use: `-c/--config PATH` (as dness), else `$EDGE_DDNS_CONFIG`, else
 * /etc/edge-ddns/edge-ddns.toml if it exists, else none (null: detect and print only, as dness
 * does without a config).
 *
 * @param exists tells whether a path exists (injected: tests and the CLI's Io).
 * @throws ConfigError when the file named by `-c` or `EDGE_DDNS_CONFIG` does not exist: a path the
 *   user gave that is not there is a mistake, not a reason to run without a config.
 */
export function findConfigPath(
  cliPath: string | undefined,
  env: Record<string, string | undefined>,
  exists: (p: string) => boolean = existsSync,
): string | null {
  if (cliPath !== undefined) {
    if (cliPath === '' || !exists(cliPath)) throw new ConfigError('', `config file ${cliPath || '""'} (from --config) does not exist`)
    return cliPath
  }
  const fromEnv = env.EDGE_DDNS_CONFIG
  if (fromEnv) {
    if (!exists(fromEnv)) throw new ConfigError('', `config file ${fromEnv} (from EDGE_DDNS_CONFIG) does not exist`)
    return fromEnv
  }
  return exists(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : null
}

/** Largest config or secret file read, in bytes: a config is a few KB; this only stops runaways. */
export const MAX_CONFIG_FILE_BYTES = 1 << 20

/**
 * Reads a regular file of at most MAX_CONFIG_FILE_BYTES as UTF-8. A FIFO, a device (`/dev/zero`)
 * or a directory would hang or exhaust memory before any deadline applies (the run's deadline
 * starts after the config stage), so they are refused by type first.
 * @throws an Error with `code` (ENOTREG, EISDIR, EFBIG, or the system's) that callers turn into a ConfigError.
 */
export function readSmallFile(p: string): string {
  const st = statSync(p)
  if (!st.isFile()) throw Object.assign(new Error(`${p} is not a regular file`), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' })
  if (st.size > MAX_CONFIG_FILE_BYTES) throw Object.assign(new Error(`${p} is larger than ${MAX_CONFIG_FILE_BYTES} bytes`), { code: 'EFBIG' })
  return readFileSync(p, 'utf8')
}

/** Options of `loadConfig`. */
export interface LoadOptions {
  /** From `findConfigPath`; null: no config file. */
  path: string | null
  /** The variables the template sees (the process environment, plus an env file). */
  env: Record<string, string | undefined>
  /** Receives every secret the config holds. */
  redactor: Redactor
  /** Reads a file as UTF-8: the config itself and `{{file}}`/`{{credential}}` secrets; default fs. */
  readFile?: (p: string) => string
  /** Provider types; default: the registry's. */
  providers?: ProviderTable
  /** dness types not built yet; default: the registry's PLANNED_DNESS_TYPES. */
  planned?: readonly string[]
  /** Sections owned by other modules; default: sections.ts. */
  sections?: readonly SectionDef[]
}

/** The loaded config, the remarks for `check` and the log, and the rendered TOML (for `check`). */
export interface LoadResult {
  config: Config
  /** Non-fatal remarks, already redacted. */
  warnings: string[]
  /** The TOML after rendering; it holds secrets: show it only through `displayConfig`. */
  rendered: string
}

/**
 * Reads, renders, parses and validates the config file. Synchronous: it runs once, before any
 * network call, and does only file reads.
 *
 * With `path` null: defaults (default detection sources, DEFAULT_TIMEOUTS) and no domains.
 * @throws ConfigError (or ConfigErrorList) for anything wrong in the file; its message names the
 *   file, line or key path and never holds a registered secret.
 */
export function loadConfig(opts: LoadOptions): LoadResult {
  if (opts.path === null) {
    const config: Config = {
      file: null,
      timeouts: { ...DEFAULT_TIMEOUTS },
      detect: { sources: defaultSources(), policy: { allowPrivate: false, allowDocumentation: false, preferTemporary: false } },
      domains: [],
      extra: {},
    }
    return { config, warnings: [], rendered: '' }
  }
  const path = opts.path
  const readFile = opts.readFile ?? readSmallFile
  try {
    let template: string
    try {
      template = readFile(path)
    } catch (e) {
      const code = (e as { code?: unknown } | null)?.code
      throw new ConfigError('', `cannot read config file ${path} (${typeof code === 'string' ? code : 'read failed'})`)
    }
    const rendered = renderConfig(template, { env: opts.env, redactor: opts.redactor, source: path, readFile })
    const warnings = [...rendered.warnings]
    const raw = parseToml(rendered.text, opts.redactor, path)
    const config = validateConfig(
      raw,
      { redactor: opts.redactor, file: path, warn: (m) => warnings.push(m) },
      {
        providers: opts.providers ?? registryProviders,
        planned: opts.planned ?? PLANNED_DNESS_TYPES,
        ...(opts.sections ? { sections: opts.sections } : {}),
      },
    )
    // Record and zone names are published in DNS: they stay readable even when a secret is part of
    // them or one came from the environment.
    for (const d of config.domains) {
      for (const r of d.records) {
        opts.redactor.keepVisible(r.fqdn)
        if (r.zone) opts.redactor.keepVisible(r.zone)
      }
    }
    return { config, warnings: warnings.map((w) => opts.redactor.redact(w)), rendered: rendered.text }
  } catch (e) {
    // The last net: whatever an error says passes the Redactor before anyone prints it.
    if (e instanceof EdgeError) redactError(e, opts.redactor)
    throw e
  }
}

function redactError(e: EdgeError, redactor: Redactor): void {
  e.message = redactor.redact(e.message)
  if (e instanceof ConfigErrorList) for (const x of e.errors) x.message = redactor.redact(x.message)
}
