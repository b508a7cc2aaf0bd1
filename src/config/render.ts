import { readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
// The parser alone (AST with whitespace control applied), not the template compiler: see below.
import { parse as parseTemplate } from 'handlebars/dist/cjs/handlebars/compiler/base.js'
import { ConfigError, EdgeError } from '../errors.js'
import type { Redactor } from '../report/redact.js'
import { ConfigErrorList } from './schema.js'

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
 * - inside a comment: not rendered at all; the placeholder stays as written.
 * Handlebars' HTML escaping is never used; `{{{X}}}` means the same as `{{X}}`.
 *
 * Strict: a variable missing from the environment is an error naming it and its line.
 * Helpers: `{{file "/path"}}` (a secret from a file, trailing line breaks trimmed; a relative path
 * is taken from the config file's directory) and `{{credential "name"}}` (the file `name` in
 * `$CREDENTIALS_DIRECTORY`, as systemd's `LoadCredential=` provides it). Block helpers `if`,
 * `unless`, `each` and `with` work as in Handlebars; `{{#if X}}` is false for an unset X.
 *
 * Every value that came from the environment or a helper is registered on the Redactor as a
 * secret the moment it is read, wherever it is used: written into the TOML (its TOML-escaped form
 * too, so `check` can mask it in the rendered text), passed to another helper (`{{file (credential
 * "p")}}`, `{{file PATH_VAR}}`: the inner value names a file and an error could quote it), or, when
 * a helper read it, only deciding a block (`{{#if (file "f")}}`). A plain variable that only decides
 * a block (`{{#if V6_OFF}}`) is not: it never reaches the output, and `yes` or `true` registered as
 * secrets would be masked in every log line. Messages name variables, helpers, literal paths and
 * lines, never a value; a path or name that came from a variable or a sub-expression is not quoted.
 *
 * How: Handlebars parses the template (its own parser, so the syntax, whitespace control and
 * syntax errors are Handlebars'), and this module walks the AST itself instead of compiling it
 * to JavaScript. The subset a config template may use is small (text, `{{path}}`, the two value
 * helpers, four block helpers, comments), and interpreting it keeps Handlebars' compiler and
 * runtime (about 45 KB of the bundle) out of every start, and `new Function` out of the run. The
 * semantics follow Handlebars 4.7's runtime: own properties only, `../` counts a level only where
 * the context changed, `@root`/`@index`/`@key`/`@first`/`@last`, block parameters (`as |v k|`),
 * `includeZero` on `if`.
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

/** Characters a bare (unquoted) value may hold without changing the TOML's meaning. */
const SAFE_BARE = /^[A-Za-z0-9_.+\-:]+$/

type Where = (line: number | undefined) => string

/**
 * Renders `template` (the config file's text) into TOML.
 * @throws ConfigError naming the line (and the variable or helper) for an unset variable, a
 *   template syntax error, an unknown helper, an unreadable secret file, or a value that cannot be
 *   written in the literal string it stands in.
 */
export function renderConfig(template: string, opts: RenderOptions): Rendered {
  const where: Where = (line) =>
    line === undefined ? (opts.source ? `${opts.source}: ` : '') : opts.source ? `${opts.source}, line ${line}: ` : `line ${line}: `

  // Without a `{{` there is nothing to render (Handlebars gives the text back as it is): the
  // parser is not even loaded, which a plain config's start-up does not need.
  if (!template.includes('{{')) return { text: template, warnings: [] }

  let ast: Program
  try {
    ast = parseTemplate(template) as Program
  } catch (e) {
    throw templateSyntaxError(e, where)
  }

  // First the whole template is checked and each {{...}} gets its TOML context, so a typo is an
  // error naming its line before any secret file is read.
  const contexts = new Map<Mustache, TomlContext>()
  scan(ast, new TomlScanner(), contexts, where)

  // Only the variables themselves: no prototype, so `{{constructor}}` is just an unset variable.
  const env: Record<string, string> = Object.create(null) as Record<string, string>
  for (const [k, v] of Object.entries(opts.env)) if (typeof v === 'string') env[k] = v

  const renderer = new Renderer(opts, contexts, where)
  let text: string
  try {
    text = renderer.body(ast, { context: env, depths: [env], data: { root: env }, params: [] })
  } catch (e) {
    // The unset variables found before the failure are named with it, not lost.
    if (e instanceof ConfigError && renderer.missing.length > 0) throw new ConfigErrorList([...renderer.missing, e])
    if (e instanceof EdgeError) throw e
    // A bug here, not the user's: say what broke without quoting any value.
    const reason = e instanceof Error ? firstLine(e.message) : String(e)
    throw new ConfigError('', `${where(undefined)}template error: ${opts.redactor.redact(reason)}`)
  }
  if (renderer.missing.length === 1) throw renderer.missing[0]!
  if (renderer.missing.length > 1) throw new ConfigErrorList(renderer.missing)
  return { text, warnings: renderer.warnings }
}

/** Where a part of the template renders: Handlebars' context stack, data frame and block parameters. */
interface Scope {
  /** `this`: the environment at the top, the value an `each`/`with` block renders. */
  context: unknown
  /** `depths[n]` is what `../` n times names; a level is added only when the context changes. */
  depths: unknown[]
  /** `@` variables: `root`, and `index`/`key`/`first`/`last` inside `each`; `_parent` is the outer frame. */
  data: Frame
  /** Block parameters (`as |v k|`) in scope, innermost first. */
  params: { names: string[]; values: unknown[] }[]
}
type Frame = Record<string, unknown>

/** Interprets the checked AST (see `scan`) against the environment. */
class Renderer {
  readonly warnings: string[] = []
  /** One error per unset variable in a `{{X}}`, in template order. */
  readonly missing: ConfigError[] = []
  private readonly readFile: (path: string) => string
  private readonly baseDir: string

  constructor(
    private readonly opts: RenderOptions,
    private readonly contexts: Map<Mustache, TomlContext>,
    private readonly where: Where,
  ) {
    this.readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'))
    this.baseDir = opts.source ? dirname(resolve(opts.source)) : process.cwd()
  }

  /** The text of a program's statements. */
  body(program: Program, scope: Scope): string {
    let out = ''
    for (const node of program.body) {
      if (node.type === 'ContentStatement') out += (node as Content).value
      else if (node.type === 'MustacheStatement') out += this.mustache(node as Mustache, scope)
      else if (node.type === 'BlockStatement') out += this.block(node as Block, scope)
      // Comments render nothing; `scan` refused everything else.
    }
    return out
  }

  /**
   * Runs a block's program with a new context, as Handlebars' `options.fn(context, { data,
   * blockParams })` does; an absent program (`{{^if}}` has no then-part) renders nothing.
   */
  private run(program: Program | undefined, outer: Scope, context: unknown, data = outer.data, values: unknown[] = []): string {
    if (!program) return ''
    // As Handlebars' wrapProgram: `if` and `unless` keep the context, so `../` skips them.
    const depths = context !== outer.depths[0] ? [context, ...outer.depths] : outer.depths
    const params = program.blockParams ? [{ names: program.blockParams, values }, ...outer.params] : outer.params
    return this.body(program, { context, depths, data, params })
  }

  /**
   * Registers a value read from the environment or a secret file as a secret. Called where the
   * value is read (a helper's argument, a helper's result), not where it is written, so a value
   * that only feeds another helper is masked too.
   */
  private secret(value: unknown): void {
    if (typeof value === 'string') this.opts.redactor.add(value)
  }

  /** `{{X}}` or `{{file "..."}}`: the value, escaped for the TOML context it stands in. */
  private mustache(m: Mustache, scope: Scope): string {
    const line = m.loc.start.line
    const variable = isVariable(m)
    // In a TOML comment a placeholder means nothing: it is kept as written, not evaluated, so a
    // commented-out `# token = "{{CF_TOKEN}}"` needs no CF_TOKEN and prints no secret in `check`.
    if (this.contexts.get(m) === 'comment') return `{{${variable ? (m.path as PathExpr).original : describeCall(m)}}}`
    const value = variable ? this.path(m.path as PathExpr, scope) : this.helper(m, scope)
    const name = variable ? (m.path as PathExpr).original : describeCall(m)
    if (value === undefined || value === null) {
      // Every unset variable is named at once, not one per attempt: the rest of the template is
      // still rendered (to find the others) and its text thrown away.
      if (variable) {
        this.missing.push(new ConfigError('', `${this.where(line)}environment variable ${name} is not set`))
        return ''
      }
      throw new ConfigError('', `${this.where(line)}{{${name}}} gave no value`)
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new ConfigError('', `${this.where(line)}{{${name}}} is not a text value`)
    }
    const text = String(value)
    this.opts.redactor.add(text)
    const out = escapeFor(this.contexts.get(m) ?? 'bare', text, name, line, this.where, this.warnings)
    if (out !== text) this.opts.redactor.add(out)
    return out
  }

  /** `if`, `unless`, `each` and `with`, as Handlebars 4.7's built-in helpers behave. */
  private block(b: Block, scope: Scope): string {
    const name = (b.path as PathExpr).original
    const line = b.loc.start.line
    if (b.params.length !== 1) throw new ConfigError('', `${this.where(line)}template error: #${name} requires exactly one argument`)
    const value = this.expr(b.params[0]!, scope)
    switch (name) {
      case 'if':
      case 'unless': {
        const includeZero = b.hash ? this.hash(b.hash, scope).includeZero : undefined
        const falsy = (!includeZero && !value) || isEmpty(value)
        return falsy === (name === 'if') ? this.run(b.inverse, scope, scope.context) : this.run(b.program, scope, scope.context)
      }
      case 'with':
        return isEmpty(value) ? this.run(b.inverse, scope, scope.context) : this.run(b.program, scope, value, scope.data, [value])
      default: {
        // each: arrays by index, other objects by their own enumerable keys; anything else
        // (a string, an unset variable) has nothing to iterate and renders the else-part.
        let out = ''
        const keys: (string | number)[] = []
        if (Array.isArray(value)) {
          for (let i = 0; i < value.length; i++) if (i in value) keys.push(i)
        } else if (value !== null && typeof value === 'object') keys.push(...Object.keys(value))
        if (keys.length === 0) return this.run(b.inverse, scope, scope.context)
        const items = value as Record<string | number, unknown>
        keys.forEach((key, index) => {
          const frame: Frame = { ...scope.data, _parent: scope.data, key, index, first: index === 0, last: index === keys.length - 1 }
          out += this.run(b.program, scope, items[key], frame, [items[key], key])
        })
        return out
      }
    }
  }

  /** A parameter: a path, a literal, or a `(file ...)` / `(credential ...)` sub-expression. */
  private expr(node: Node, scope: Scope, asArgument = false): unknown {
    switch (node.type) {
      case 'PathExpression': {
        const value = this.path(node as PathExpr, scope)
        // A helper's argument from the environment (`{{file PATH_VAR}}`) is registered, as every
        // environment value that feeds the config is. A value that only decides a block
        // (`{{#if V6_OFF}}`) is not: it never reaches the output, and registering `yes` would
        // mask that word in every log line. What a block prints is registered where it is printed.
        if (asArgument) this.secret(value)
        return value
      }
      case 'SubExpression':
        return this.helper(node as Call, scope)
      case 'UndefinedLiteral':
        return undefined
      case 'NullLiteral':
        return null
      default:
        // String, number and boolean literals carry their value.
        return (node as unknown as { value: unknown }).value
    }
  }

  private hash(h: Hash, scope: Scope): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const p of h.pairs) out[p.key] = this.expr(p.value, scope)
    return out
  }

  /**
   * Resolves a path as Handlebars' compiler does: a block parameter first (when the path has no
   * `../` and no `this`/`./`), then `this` / `..`, then an `@` variable, then the context.
   */
  private path(p: PathExpr, scope: Scope): unknown {
    const [first] = p.parts
    const scoped = /^\.|this\b/.test(p.original)
    if (first !== undefined && p.depth === 0 && !scoped) {
      for (const bp of scope.params) {
        const i = bp.names.indexOf(first)
        if (i >= 0) return walk(bp.values[i], p.parts, 1)
      }
    }
    if (p.data) {
      let frame: Frame | undefined = scope.data
      for (let d = p.depth; frame && d > 0; d--) frame = frame._parent as Frame | undefined
      return walk(frame, p.parts, 0)
    }
    return walk(p.depth ? scope.depths[p.depth] : scope.context, p.parts, 0)
  }

  /**
   * Calls `file` or `credential` (the only helpers `scan` lets through). The result is registered
   * as a secret here, so it is masked however deep the call is nested.
   */
  private helper(c: Call, scope: Scope): string {
    const value = this.callHelper(c, scope)
    this.secret(value)
    return value
  }

  private callHelper(c: Call, scope: Scope): string {
    const name = (c.path as PathExpr).original
    const params = c.params.map((x) => this.expr(x, scope, true))
    const where = this.where(c.loc.start.line)
    const arg = params[0]
    // Only a literal argument is quoted in a message: one from a variable or a sub-expression is
    // a value read from a secret source, so the call is named as written instead (`file PATH_VAR`).
    const literal = c.params[0]?.type === 'StringLiteral'
    // A hash argument would be evaluated (a `(file ...)` in it read) and then ignored: refused.
    const usable = params.length === 1 && !c.hash && typeof arg === 'string'
    if (name === 'file') {
      if (!usable || arg.trim() === '') {
        throw new ConfigError('', `${where}{{file}} takes one path, e.g. {{file "/etc/edge-ddns/cf-token"}}`)
      }
      const full = isAbsolute(arg) ? arg : join(this.baseDir, arg)
      try {
        return trimTrailingNewlines(this.readFile(full))
      } catch (e) {
        if (!literal) throw new ConfigError('', `${where}{{${describeCall(c)}}}: cannot read the file it names (${errCode(e)})`)
        throw new ConfigError('', `${where}{{file "${arg}"}}: cannot read ${full} (${errCode(e)})`)
      }
    }
    if (!usable || !/^[A-Za-z0-9_.@-]+$/.test(arg) || arg === '.' || arg === '..') {
      throw new ConfigError('', `${where}{{credential}} takes one credential name (letters, digits, _ . @ -), e.g. {{credential "cf-token"}}`)
    }
    const call = literal ? `credential "${arg}"` : describeCall(c)
    const unitName = literal ? arg : '<name>'
    const dir = this.opts.env.CREDENTIALS_DIRECTORY
    if (!dir) {
      throw new ConfigError(
        '',
        `${where}{{${call}}}: CREDENTIALS_DIRECTORY is not set; systemd sets it when the unit has LoadCredential=${unitName}:<path>`,
      )
    }
    const full = join(dir, arg)
    try {
      return trimTrailingNewlines(this.readFile(full))
    } catch (e) {
      const shown = literal ? ` ${full}` : ' the credential it names'
      throw new ConfigError('', `${where}{{${call}}}: cannot read${shown} (${errCode(e)}); is LoadCredential=${unitName}:<path> in the unit?`)
    }
  }
}

/**
 * `parts[from..]` looked up one by one, as Handlebars' runtime `lookupProperty` does: own
 * properties only (so `{{X.length}}` works on a string, `{{X.constructor}}` is unset), and an
 * unset step stays unset.
 */
function walk(start: unknown, parts: string[], from: number): unknown {
  let cur = start
  for (let i = from; i < parts.length; i++) {
    if (cur === undefined || cur === null) return cur
    const next = (cur as Record<string, unknown>)[parts[i]!]
    cur = next === undefined || next === null || Object.prototype.hasOwnProperty.call(cur, parts[i]!) ? next : undefined
  }
  return cur
}

/** Handlebars' `isEmpty`: false-ish except 0, or an empty array. */
function isEmpty(v: unknown): boolean {
  return (!v && v !== 0) || (Array.isArray(v) && v.length === 0)
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
          `${where(line)}the value of ${name} stands outside a TOML string and holds characters that change the TOML's meaning; for a text key quote it ("{{${name}}}"), for a number or true/false fix the variable`,
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
  /** The names of `as |v k|`, on the program of the block that declares them. */
  blockParams?: string[]
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
 * records the context of every `{{...}}`. Checks helper names on the way, so a typo is an error
 * naming the line, not a render-time crash; partials and decorators are refused.
 */
function scan(program: Program, scanner: TomlScanner, contexts: Map<Mustache, TomlContext>, where: Where): void {
  for (const node of program.body) {
    switch (node.type) {
      case 'ContentStatement':
        scanner.feed((node as Content).value)
        break
      case 'MustacheStatement': {
        const m = node as Mustache
        checkExpr(m, where, false)
        if (scanner.escapePending) {
          throw new ConfigError('', `${where(m.loc.start.line)}a {{...}} directly after a backslash inside a string: the backslash would escape the value`)
        }
        contexts.set(m, scanner.context)
        break
      }
      case 'BlockStatement': {
        const b = node as Block
        checkBlock(b, where)
        // Block bodies are scanned in the order they appear in the file (then-part, else-part).
        if (b.program) scan(b.program, scanner, contexts, where)
        if (b.inverse) scan(b.inverse, scanner, contexts, where)
        break
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new ConfigError('', `${where(node.loc.start.line)}partials ({{> name}}) are not supported in the config template`)
      case 'DecoratorBlock':
      case 'Decorator':
        throw new ConfigError('', `${where(node.loc.start.line)}decorators ({{* name}}) are not supported in the config template`)
    }
  }
}

function isPath(n: Node): n is PathExpr {
  return n.type === 'PathExpression'
}

/** A `{{name}}` with no arguments that is not a helper: a variable. */
function isVariable(m: Call): boolean {
  return isPath(m.path) && m.params.length === 0 && !m.hash && !VALUE_HELPERS.has(m.path.original)
}

function checkExpr(c: Call, where: Where, isSub: boolean): void {
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

function checkParam(p: Node, where: Where): void {
  if (p.type === 'SubExpression') checkExpr(p as Call, where, true)
}

function checkBlock(b: Block, where: Where): void {
  const name = isPath(b.path) ? b.path.original : ''
  if (!BLOCK_HELPERS.has(name)) {
    throw new ConfigError('', `${where(b.loc.start.line)}unknown block helper "${name}" (block helpers: ${[...BLOCK_HELPERS].join(', ')})`)
  }
  for (const p of [...b.params, ...(b.hash?.pairs.map((x) => x.value) ?? [])]) checkParam(p, where)
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
