import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import Handlebars from 'handlebars'
import { ConfigError, EdgeError } from '../errors.js'
import type { Redactor } from '../report/redact.js'

/**
 * Renders the config file, a Handlebars template, with the process environment.
 *
 * Why this is more than `Handlebars.compile(text)(env)`: the output is TOML, not HTML. Each
 * `{{...}}` is escaped for the TOML context it stands in, found by scanning the template text
 * around it (BC-29):
 * - inside a basic string `"..."` or `"""..."""`: `\`, `"` and control characters are escaped, so a
 *   token like `a\b"c`, `x\`, `p&q<r>` or one with a line break arrives byte for byte;
 * - inside a literal string `'...'`: a value with `'` or a line break cannot be written there,
 *   which is a config error naming the variable; `'''...'''` refuses `'''` and control characters;
 * - outside any string (`ttl = {{TTL}}`): the value goes in as it is, with a warning when it holds
 *   characters that can change the TOML's meaning;
 * - inside a comment: as it is, with a warning when it holds a line break (it would end the comment).
 * Handlebars' HTML escaping is never used; `{{{X}}}` means the same as `{{X}}`.
 *
 * Strict: a variable missing from the environment is an error naming it and its line.
 * Helpers: `{{file "/path"}}` (a secret from a file, trailing line breaks trimmed; a relative path
 * is taken from the config file's directory) and `{{credential "name"}}` (the file `name` in
 * `$CREDENTIALS_DIRECTORY`, as systemd's `LoadCredential=` provides it). Block helpers `if`,
 * `unless`, `each` and `with` work as in Handlebars; `{{#if X}}` is false for an unset X.
 *
 * Every value that came from the environment or a helper is registered on the Redactor as a
 * secret (its TOML-escaped form too, so `check` can mask it in the rendered text). Messages name
 * variables, helpers, paths and lines, never a value.
 */

/** The TOML lexical context a `{{...}}` stands in. */
export type TomlContext = 'bare' | 'comment' | 'basic' | 'literal' | 'ml-basic' | 'ml-literal'

/** Options of `renderConfig`. */
export interface RenderOptions {
  /** The variables (normally the process environment, plus an env file). */
  env: Record<string, string | undefined>
  /** Receives every substituted value as a secret. */
  redactor: Redactor
  /** The config file's path: named in messages and the base of relative `{{file}}` paths. */
  source?: string | null
  /** Reads a secret file as UTF-8 (tests inject one); default `fs.readFileSync`. */
  readFile?: (path: string) => string
}

/** The rendered TOML text and what `check` should tell the user. */
export interface Rendered {
  text: string
  /** Remarks such as an unquoted value that changes the TOML's meaning; no values in them. */
  warnings: string[]
}

/** Helpers a template may call; everything else is refused before rendering. */
const VALUE_HELPERS = new Set(['file', 'credential'])
const BLOCK_HELPERS = new Set(['if', 'unless', 'each', 'with'])

/** The internal helper each `{{...}}` is rewritten to call; not callable from a template (reserved prefix). */
const ESCAPE_HELPER = '__edge_ddns_value'

/** Characters a bare (unquoted) value may hold without changing the TOML's meaning. */
const SAFE_BARE = /^[A-Za-z0-9_.+\-:]+$/

/**
 * Renders `template` (the config file's text) into TOML.
 * @throws ConfigError naming the line (and the variable or helper) for an unset variable, a
 *   template syntax error, an unknown helper, an unreadable secret file, or a value that cannot be
 *   written in the literal string it stands in.
 */
export function renderConfig(template: string, opts: RenderOptions): Rendered {
  const where = (line: number | undefined): string =>
    line === undefined ? (opts.source ? `${opts.source}: ` : '') : opts.source ? `${opts.source}, line ${line}: ` : `line ${line}: `

  let ast: Program
  try {
    ast = Handlebars.parse(template) as unknown as Program
  } catch (e) {
    throw templateSyntaxError(e, where)
  }

  const warnings: string[] = []
  const scanner = new TomlScanner()
  rewrite(ast, scanner, where)

  const hb = Handlebars.create()
  // The template runs with the environment only: no console output, no partials, no decorators.
  hb.unregisterHelper('log')
  hb.unregisterHelper('lookup')
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'))
  const baseDir = opts.source ? dirname(resolve(opts.source)) : process.cwd()

  hb.registerHelper('file', function (this: unknown, ...args: unknown[]) {
    const { params, line } = helperArgs(args)
    const p = params[0]
    if (params.length !== 1 || typeof p !== 'string' || p.trim() === '') {
      throw new ConfigError('', `${where(line)}{{file}} takes one path, e.g. {{file "/etc/edge-ddns/cf-token"}}`)
    }
    const full = isAbsolute(p) ? p : join(baseDir, p)
    try {
      return trimTrailingNewlines(readFile(full))
    } catch (e) {
      throw new ConfigError('', `${where(line)}{{file "${p}"}}: cannot read ${full} (${errCode(e)})`)
    }
  })

  hb.registerHelper('credential', function (this: unknown, ...args: unknown[]) {
    const { params, line } = helperArgs(args)
    const name = params[0]
    if (params.length !== 1 || typeof name !== 'string' || !/^[A-Za-z0-9_.@-]+$/.test(name) || name === '.' || name === '..') {
      throw new ConfigError('', `${where(line)}{{credential}} takes one credential name (letters, digits, _ . @ -), e.g. {{credential "cf-token"}}`)
    }
    const dir = opts.env.CREDENTIALS_DIRECTORY
    if (!dir) {
      throw new ConfigError(
        '',
        `${where(line)}{{credential "${name}"}}: CREDENTIALS_DIRECTORY is not set; systemd sets it when the unit has LoadCredential=${name}:<path>`,
      )
    }
    const full = join(dir, name)
    try {
      return trimTrailingNewlines(readFile(full))
    } catch (e) {
      throw new ConfigError(
        '',
        `${where(line)}{{credential "${name}"}}: cannot read ${full} (${errCode(e)}); is LoadCredential=${name}:<path> in the unit?`,
      )
    }
  })

  hb.registerHelper(ESCAPE_HELPER, function (this: unknown, value: unknown, options: { hash: EscapeHash }) {
    const { ctx, line, name, kind } = options.hash
    if (value === undefined || value === null) {
      if (kind === 'var') throw new ConfigError('', `${where(line)}environment variable ${name} is not set`)
      throw new ConfigError('', `${where(line)}{{${name}}} gave no value`)
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError('', `${where(line)}{{${name}}} is not a text value`)
    }
    const text = String(value)
    opts.redactor.add(text)
    const out = escapeFor(ctx, text, name, line, where, warnings)
    if (out !== text) opts.redactor.add(out)
    return out
  })

  // Only the variables themselves: no prototype, so `{{constructor}}` is just an unset variable.
  const env: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(opts.env)) if (typeof v === 'string') env[k] = v

  try {
    const fn = hb.compile(ast, { noEscape: true, strict: false, knownHelpersOnly: false })
    return { text: fn(env), warnings }
  } catch (e) {
    if (e instanceof EdgeError) throw e
    const line = (e as { lineNumber?: unknown }).lineNumber
    const reason = e instanceof Error ? firstLine(e.message) : String(e)
    throw new ConfigError('', `${where(typeof line === 'number' ? line : undefined)}template error: ${opts.redactor.redact(reason)}`)
  }
}

interface EscapeHash {
  ctx: TomlContext
  line: number
  name: string
  kind: 'var' | 'helper'
}

/** The escaped form of `text` for the TOML context `ctx`; throws when it cannot be written there. */
function escapeFor(
  ctx: TomlContext,
  text: string,
  name: string,
  line: number,
  where: (line: number) => string,
  warnings: string[],
): string {
  switch (ctx) {
    case 'basic':
    case 'ml-basic':
      return escapeTomlBasic(text)
    case 'literal':
      if (/['\n\r]/.test(text) || hasControl(text, false)) {
        throw new ConfigError(
          '',
          `${where(line)}the value of ${name} cannot be written inside a '...' literal string (it holds a quote, a line break or a control character); use "{{${name}}}" instead`,
        )
      }
      return text
    case 'ml-literal':
      if (text.includes("'''") || /\r/.test(text) || hasControl(text, true)) {
        throw new ConfigError(
          '',
          `${where(line)}the value of ${name} cannot be written inside a '''...''' literal string (it holds ''' or a control character); use """{{${name}}}""" instead`,
        )
      }
      return text
    case 'comment':
      if (/[\n\r]/.test(text)) warnings.push(`${where(line)}the value of ${name} holds a line break and ends the comment it stands in`)
      return text
    case 'bare':
      if (!SAFE_BARE.test(text)) {
        warnings.push(
          `${where(line)}the value of ${name} stands outside a TOML string and holds characters that change the TOML's meaning; quote it: "{{${name}}}"`,
        )
      }
      return text
  }
}

/** True when `s` holds a control character TOML forbids in literal strings (tab is allowed; LF in multi-line ones). */
function hasControl(s: string, allowNewline: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 0x09 || (allowNewline && c === 0x0a)) continue
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * `s` written as the content of a TOML basic string (TOML 1.0 "String"): `\` and `"` escaped,
 * control characters as short escapes or `\uXXXX`. Valid in `"..."` and `"""..."""` alike; line
 * breaks are escaped too, so a parser's newline normalisation cannot change the value.
 */
export function escapeTomlBasic(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    const c = s.charCodeAt(i)
    switch (ch) {
      case '\\':
        out += '\\\\'
        break
      case '"':
        out += '\\"'
        break
      case '\b':
        out += '\\b'
        break
      case '\t':
        out += '\\t'
        break
      case '\n':
        out += '\\n'
        break
      case '\f':
        out += '\\f'
        break
      case '\r':
        out += '\\r'
        break
      default:
        out += c < 0x20 || c === 0x7f ? `\\u${c.toString(16).toUpperCase().padStart(4, '0')}` : ch
    }
  }
  return out
}

function trimTrailingNewlines(s: string): string {
  return s.replace(/[\r\n]+$/, '')
}

function errCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'read failed'
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim()
}

/** The arguments a helper got, and the line of its call (Handlebars passes `options.loc`). */
function helperArgs(args: unknown[]): { params: unknown[]; line: number | undefined } {
  const options = args[args.length - 1] as { loc?: { start?: { line?: number } } } | undefined
  return { params: args.slice(0, -1), line: options?.loc?.start?.line }
}

/**
 * A Handlebars syntax error as a ConfigError: the line and what the parser expected, never the
 * template text it quotes (the template may hold a literal secret).
 */
function templateSyntaxError(e: unknown, where: (line: number | undefined) => string): ConfigError {
  const msg = e instanceof Error ? e.message : String(e)
  const lineMatch = /line (\d+)/.exec(msg)
  const line = lineMatch ? Number(lineMatch[1]) : undefined
  const lines = msg.split('\n')
  const last = lines[lines.length - 1]!.trim()
  const detail = /^Expecting /.test(last) ? ` (${last.length > 200 ? `${last.slice(0, 200)}…` : last})` : ''
  return new ConfigError('', `${where(line)}template syntax error${detail}`)
}

// --- The template's AST, as far as this module walks it -------------------------------------

interface Loc {
  start: { line: number; column: number }
  end: { line: number; column: number }
}
interface Node {
  type: string
  loc: Loc
}
interface Program extends Node {
  type: 'Program'
  body: Node[]
}
interface PathExpr extends Node {
  type: 'PathExpression'
  data: boolean
  depth: number
  parts: string[]
  original: string
}
interface Hash extends Node {
  type: 'Hash'
  pairs: { type: 'HashPair'; key: string; value: Node; loc: Loc }[]
}
interface Call extends Node {
  path: Node
  params: Node[]
  hash?: Hash
}
interface Mustache extends Call {
  type: 'MustacheStatement'
  escaped: boolean
  strip: { open: boolean; close: boolean }
}
interface Block extends Call {
  type: 'BlockStatement'
  program?: Program
  inverse?: Program
}
interface Content extends Node {
  type: 'ContentStatement'
  value: string
}

/**
 * Walks the template in text order, tracking the TOML context through the literal text, and
 * replaces every `{{...}}` by a call of the escape helper that carries its context, line and name.
 * Checks helper names on the way, so a typo is an error naming the line, not a render-time crash.
 */
function rewrite(program: Program, scanner: TomlScanner, where: (line: number | undefined) => string): void {
  program.body = program.body.map((node) => {
    switch (node.type) {
      case 'ContentStatement':
        scanner.feed((node as Content).value)
        return node
      case 'CommentStatement':
        return node
      case 'MustacheStatement': {
        const m = node as Mustache
        const line = m.loc.start.line
        checkExpr(m, where, false)
        if (scanner.escapePending) {
          throw new ConfigError('', `${where(line)}a {{...}} directly after a backslash inside a string: the backslash would escape the value`)
        }
        return wrapMustache(m, scanner.context)
      }
      case 'BlockStatement': {
        const b = node as Block
        checkBlock(b, where)
        // Block bodies are scanned in the order they appear in the file (then-part, else-part).
        if (b.program) rewrite(b.program, scanner, where)
        if (b.inverse) rewrite(b.inverse, scanner, where)
        return node
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new ConfigError('', `${where(node.loc.start.line)}partials ({{> name}}) are not supported in the config template`)
      case 'DecoratorBlock':
      case 'Decorator':
        throw new ConfigError('', `${where(node.loc.start.line)}decorators ({{* name}}) are not supported in the config template`)
      default:
        return node
    }
  })
}

function isPath(n: Node): n is PathExpr {
  return n.type === 'PathExpression'
}

/** A `{{name}}` with no arguments that is not a helper: a variable. */
function isVariable(m: Call): boolean {
  return isPath(m.path) && m.params.length === 0 && !m.hash && !VALUE_HELPERS.has(m.path.original)
}

function checkExpr(c: Call, where: (line: number | undefined) => string, isSub: boolean): void {
  const line = c.loc.start.line
  const name = isPath(c.path) ? c.path.original : ''
  if (isSub || !isVariable(c)) {
    if (!isPath(c.path) || !VALUE_HELPERS.has(name)) {
      const shown = isPath(c.path) ? `"${name}"` : 'a literal'
      throw new ConfigError('', `${where(line)}unknown helper ${shown} (value helpers: file, credential)`)
    }
  }
  for (const p of [...c.params, ...(c.hash?.pairs.map((x) => x.value) ?? [])]) checkParam(p, where)
}

function checkParam(p: Node, where: (line: number | undefined) => string): void {
  if (p.type === 'SubExpression') checkExpr(p as Call, where, true)
}

function checkBlock(b: Block, where: (line: number | undefined) => string): void {
  const name = isPath(b.path) ? b.path.original : ''
  if (!BLOCK_HELPERS.has(name)) {
    throw new ConfigError('', `${where(b.loc.start.line)}unknown block helper "${name}" (block helpers: ${[...BLOCK_HELPERS].join(', ')})`)
  }
  for (const p of [...b.params, ...(b.hash?.pairs.map((x) => x.value) ?? [])]) checkParam(p, where)
}

/** `{{X}}` → `{{__edge_ddns_value X ctx=… line=… name="X" kind="var"}}`; a helper call becomes a sub-expression. */
function wrapMustache(m: Mustache, ctx: TomlContext): Mustache {
  const loc = m.loc
  const variable = isVariable(m)
  const arg: Node = variable ? m.path : ({ type: 'SubExpression', path: m.path, params: m.params, hash: m.hash, loc } as Call)
  const name = variable ? (m.path as PathExpr).original : describeCall(m)
  const str = (value: string): Node => ({ type: 'StringLiteral', value, original: value, loc }) as Node
  const num = (value: number): Node => ({ type: 'NumberLiteral', value, original: value, loc }) as Node
  const hash: Hash = {
    type: 'Hash',
    loc,
    pairs: [
      { type: 'HashPair', key: 'ctx', value: str(ctx), loc },
      { type: 'HashPair', key: 'line', value: num(loc.start.line), loc },
      { type: 'HashPair', key: 'name', value: str(name), loc },
      { type: 'HashPair', key: 'kind', value: str(variable ? 'var' : 'helper'), loc },
    ],
  }
  const path: PathExpr = { type: 'PathExpression', data: false, depth: 0, parts: [ESCAPE_HELPER], original: ESCAPE_HELPER, loc }
  return { ...m, path, params: [arg], hash }
}

/** `file "/run/secret"`: how a helper call is named in messages (paths and names, never values). */
function describeCall(c: Call): string {
  const parts = [isPath(c.path) ? c.path.original : '?']
  for (const p of c.params) {
    if (p.type === 'StringLiteral') parts.push(JSON.stringify((p as unknown as { value: string }).value))
    else if (isPath(p)) parts.push(p.original)
    else parts.push('…')
  }
  return parts.join(' ')
}

/**
 * Follows the TOML lexical context through literal template text (TOML 1.0: comments, basic,
 * literal and multi-line strings). It does not validate TOML; smol-toml does that afterwards.
 */
export class TomlScanner {
  context: TomlContext = 'bare'
  /** A `\` ended the last text inside a basic string: the next character is escaped. */
  escapePending = false

  /** Advances over `text`. */
  feed(text: string): void {
    let i = 0
    if (this.escapePending && text.length > 0) {
      this.escapePending = false
      i = 1
    }
    while (i < text.length) {
      const c = text[i]!
      switch (this.context) {
        case 'bare':
          if (c === '#') this.context = 'comment'
          else if (c === '"') {
            if (text.startsWith('"""', i)) {
              this.context = 'ml-basic'
              i += 2
            } else this.context = 'basic'
          } else if (c === "'") {
            if (text.startsWith("'''", i)) {
              this.context = 'ml-literal'
              i += 2
            } else this.context = 'literal'
          }
          i++
          break
        case 'comment':
          if (c === '\n') this.context = 'bare'
          i++
          break
        case 'basic':
        case 'ml-basic':
          if (c === '\\') {
            if (i + 1 >= text.length) this.escapePending = true
            i += 2
          } else if (c === '"' && this.context === 'basic') {
            this.context = 'bare'
            i++
          } else if (c === '"') {
            const run = quoteRun(text, i, '"')
            if (run >= 3) this.context = 'bare'
            i += run
          } else {
            // A line break ends a one-line string (the TOML is broken; the parser will say so).
            if (c === '\n' && this.context === 'basic') this.context = 'bare'
            i++
          }
          break
        case 'literal':
          if (c === "'" || c === '\n') this.context = 'bare'
          i++
          break
        case 'ml-literal':
          if (c === "'") {
            const run = quoteRun(text, i, "'")
            if (run >= 3) this.context = 'bare'
            i += run
          } else i++
          break
      }
    }
  }
}

function quoteRun(text: string, i: number, q: string): number {
  let n = 0
  while (text[i + n] === q) n++
  return n
}
