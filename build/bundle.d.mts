// Types of build/bundle.mjs for the build's tests (test/unit/build/).

/** Bytes; the bundle's size budget (issue 9: 250 KB). */
export const BUDGET_BYTES: number
/** The bundle users run: dist/edge-ddns.mjs. */
export const BUNDLE_PATH: string
/** The stand-ins of build/stubs/, by the package name they replace. */
export const STAND_INS: Record<string, string>
/** True for a Node built-in module name, with or without `node:`. */
export function isBuiltin(name: string): boolean
/** The esbuild options of the bundle (another entry and output file for a probe). */
export function bundleOptions(opts?: { entry?: string; outfile?: string }): Record<string, unknown>
/** Builds one bundle; `size` in bytes, `byPackage` bytes per package, largest first. */
export function buildBundle(opts?: { entry?: string; outfile?: string }): Promise<{
  outfile: string
  size: number
  byPackage: [string, number][]
  metafile: unknown
}>
/** Bytes in the output per package (`edge-ddns (src)`, `stand-ins (build/stubs)`), largest first. */
export function byPackage(metafile: unknown): [string, number][]
/** The `n` biggest input files of the output, with their bytes. */
export function biggestFiles(metafile: unknown, n?: number): [string, number][]
/** Names each built-in is imported by in `dir`; `all`: built-ins imported as a namespace or re-exported. */
export function namedBuiltinImports(dir: string): Map<string, Set<string>> & { all: Set<string> }
/** Packages src imports at the top but needs only on some paths; loaded at first use in the bundle. */
export const LAZY_PACKAGES: string[]
/** Throws (naming `file`, the offset and the text around it) when `bytes` hold a non-ASCII byte. */
export function assertAscii(bytes: Uint8Array, file: string): void
