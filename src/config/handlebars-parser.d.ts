// Types for the one Handlebars module the config renderer imports: the parser, without the
// compiler and runtime that `handlebars`' main module loads (see src/config/render.ts).
declare module 'handlebars/dist/cjs/handlebars/compiler/base.js' {
  /**
   * Parses a template into Handlebars' AST (a `Program` node) and applies whitespace control
   * (`~` and standalone lines). Throws Handlebars' `Exception` on a syntax error; its message
   * names the line ("Parse error on line N") and quotes the template around it.
   */
  export function parse(input: string, options?: { srcName?: string }): unknown
}
