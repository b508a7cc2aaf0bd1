import type { Ctx } from '../context.js'
import { EdgeError } from '../errors.js'
import { snippet } from '../net/http.js'
import type { Family } from '../providers/types.js'
import { familyOf, parseAddress } from './classify.js'
import { ipv, notServed, type SourceResult } from './source.js'
import type { HttpSourceSpec } from './types.js'

/**
 * The `http` source: an IP echo over HTTPS (ipify, icanhazip, a Cloudflare trace, a custom URL).
 *
 * The connection is pinned to the family asked, so the echo sees the address of that family.
 * A response counts only when the status is 2xx and the trimmed body (or a trace's `ip=` value)
 * is exactly one address of that family (BC-13): an HTML page, an error text such as
 * `error code: 1034` or the other family is a failure of this source, never an address.
 */

/** Largest echo body read, in bytes: an address is at most 45 characters; a trace about 300. */
const MAX_BODY = 16 * 1024

/**
 * Asks the echo for this family's address through `ctx.http`.
 * @returns the address (not yet checked against the address policy).
 * @throws EdgeError kind `transient` on a 5xx or 429 status (and whatever `ctx.http` throws:
 *   timeouts, refused connections); kind `detect` on any other non-2xx status or a body that is not
 *   one address of `family`.
 */
export async function detectViaHttp(spec: HttpSourceSpec, family: Family, ctx: Ctx): Promise<SourceResult> {
  const url = spec.url[family]
  if (url === undefined) throw notServed(family)
  const res = await ctx.http.request({
    url,
    family,
    timeoutMs: ctx.timeouts.httpMs,
    maxBytes: MAX_BODY,
    signal: ctx.signal,
    headers: { accept: 'text/plain, */*;q=0.5' },
  })
  if (res.status < 200 || res.status > 299) {
    const text = snippet(res.body)
    const transient = res.status >= 500 || res.status === 429
    throw new EdgeError(transient ? 'transient' : 'detect', `HTTP ${res.status} from ${res.host}${text ? `: ${text}` : ''}`, {
      code: res.status,
      retryable: transient,
    })
  }
  try {
    return { address: parseEchoBody(res.body, spec.format, family) }
  } catch (e) {
    throw e instanceof EdgeError ? e.withContext(`${res.host}`) : e
  }
}

/**
 * Reads the address from an echo's body.
 * - `plain`: the body after trimming whitespace must be exactly one address of `family`.
 * - `trace`: `key=value` lines (Cloudflare's `/cdn-cgi/trace`); the `ip` value must be one.
 * @throws EdgeError kind `detect` (code `NOT_AN_ADDRESS` or `WRONG_FAMILY`) saying what came instead.
 */
export function parseEchoBody(body: string, format: HttpSourceSpec['format'], family: Family): string {
  let text = body.trim()
  if (format === 'trace') {
    const line = body.split(/\r?\n/).find((l) => l.startsWith('ip='))
    if (line === undefined) {
      throw new EdgeError('detect', `not an IP address: no ip= line in the trace (${describeBody(body)})`, {
        retryable: false,
        code: 'NOT_AN_ADDRESS',
      })
    }
    text = line.slice(3).trim()
  }
  const addr = parseAddress(text, family)
  if (addr !== null) return addr
  const other = familyOf(text)
  if (other !== 0) {
    throw new EdgeError('detect', `answered an IPv${other} address (${text}) to an ${ipv(family)} request`, {
      retryable: false,
      code: 'WRONG_FAMILY',
    })
  }
  throw new EdgeError('detect', `not an IP address: ${describeBody(text)}`, { retryable: false, code: 'NOT_AN_ADDRESS' })
}

function describeBody(text: string): string {
  const t = text.trim()
  if (t === '') return 'empty body'
  if (/^<(!doctype|html|\?xml|head|body)/i.test(t)) return `an HTML page (${JSON.stringify(snippet(t).slice(0, 60))})`
  return JSON.stringify(snippet(t).slice(0, 80))
}
