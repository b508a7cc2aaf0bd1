import { afterEach, expect } from 'vitest'
import type { Ctx } from '../../../../src/context.js'
import type { EdgeError } from '../../../../src/errors.js'
import type { Family, Outcome, ProviderDef } from '../../../../src/providers/types.js'
import { reconcile } from '../../../../src/reconcile/apply.js'
import type { FakeApi } from '../../../helpers/json-api-server.js'
import { addresses, makeCtx } from '../../reconcile/support.js'
import { entryFor } from '../godaddy/support.js'

/** Shared builders for the JSON API provider tests (not a test file itself). */

/** The detected addresses every test publishes. */
export const V4 = '198.51.100.7'
export const V6 = '2001:db8::7'

/** BC-28: a credential with every character that broke other clients (`&#$%:+`), and `=` `/`. */
export const NASTY = 'Tk&c#d$e%f:g+h/i=j'

const open: FakeApi[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()))
})

/** Closes `f` after the test. */
export function track<T extends FakeApi>(f: T): T {
  open.push(f)
  return f
}

/** A Ctx at debug level (every debug line is kept, to prove no secret reaches one). */
export function debugCtx(): ReturnType<typeof makeCtx> {
  return makeCtx({ level: 'debug' })
}

/**
 * Runs one entry of `def` with `keys` through the reconciler (read, plan, write), publishing V4
 * (and V6 when the families include 6). Returns the outcomes in record order.
 */
export async function runEntry(
  def: ProviderDef<any>,
  ctx: Ctx,
  keys: Record<string, unknown>,
  opts: { families?: Family[]; create?: boolean; ttl?: number } = {},
): Promise<Outcome[]> {
  const entry = entryFor(def, ctx, keys, opts)
  const fams = opts.families ?? [4]
  const [r] = await reconcile([entry], addresses({ 4: V4, ...(fams.includes(6) ? { 6: V6 } : {}) }), ctx, { dryRun: false })
  return r!.outcomes
}

/** The error of a failed outcome. */
export function errorOf(o: Outcome | undefined): EdgeError {
  expect(o?.status).toBe('failed')
  return o!.error!
}

/** BC-28: no log line and no error message holds `secret`, raw or URL-encoded. */
export function expectNoSecret(ctx: { lines: string[] }, outcomes: Outcome[], secret: string): void {
  const text = [...ctx.lines, ...outcomes.map((o) => o.error?.message ?? '')].join('\n')
  for (const form of [secret, encodeURIComponent(secret)]) expect(text).not.toContain(form)
}
