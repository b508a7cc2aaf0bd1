import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import { parseJson, type HttpResponse } from '../../net/http.js'
import { parseRetryAfter } from '../../net/http.js'
import { DEFAULT_RATELIMIT_HOLD_SEC, errorBodyOf, godaddyError } from './errors.js'
import { nameKey } from './names.js'

/**
 * A thin client for the two GoDaddy Domains API v1 calls edge-ddns makes, both on the name-scoped
 * path (https://developer.godaddy.com/doc/endpoint/domains):
 * - `GET /v1/domains/{domain}/records/{type}/{name}` (recordGet): the records of one type at one
 *   name, `[]` when there are none;
 * - `PUT /v1/domains/{domain}/records/{type}/{name}` (recordReplaceTypeName): replaces the records
 *   of that type at that name, and only those, with the body's list.
 * It never calls `PUT /records/{type}` (replaces the type at every name: siblings are wiped), nor
 * `PUT`/`PATCH /records` (the whole zone, or an append that duplicates).
 *
 * Credentials go in `Authorization: sso-key <key>:<secret>`; the apex is the name `@`.
 */

/** One DNS record as recordGet lists it (only the fields edge-ddns uses). */
export interface GdRecord {
  type: string
  /** Relative to the domain; `@` for the apex. */
  name: string
  data: string
  /** Seconds. */
  ttl?: number
}

/** One item of a recordReplaceTypeName body (`DNSRecordCreateTypeName`). */
export interface GdRecordWrite {
  data: string
  ttl?: number
}

/** The path segment of a relative name: `@` for the apex (BC-22); `@` and `*` stay literal. */
export function nameSegment(relative: string): string {
  return relative === '' ? '@' : encodeURIComponent(relative).replace(/%40/g, '@')
}

/** The GoDaddy API at one base URL with one key and secret. */
export class GoDaddyApi {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly secret: string,
  ) {}

  private path(domain: string, type: string, relative: string): string {
    return `/v1/domains/${encodeURIComponent(domain)}/records/${encodeURIComponent(type)}/${nameSegment(relative)}`
  }

  /**
   * Sends one call and returns the answer when its status is 2xx.
   * @throws EdgeError: the HTTP client's `transient` errors prefixed with `godaddy: `; for a
   *   non-2xx answer the kind `godaddyError` gives (a non-JSON one: `ratelimit` on 429,
   *   `transient` on 5xx, else `protocol` "unexpected text/html from <host>").
   */
  private async call(ctx: Ctx, method: string, path: string, body?: unknown): Promise<HttpResponse> {
    let res: HttpResponse
    try {
      res = await ctx.http.request({
        method,
        url: `${this.baseUrl}${path}`,
        headers: {
          accept: 'application/json',
          authorization: `sso-key ${this.key}:${this.secret}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs: ctx.timeouts.httpMs,
        signal: ctx.signal,
      })
    } catch (e) {
      throw toEdgeError(e).withContext('godaddy')
    }
    ctx.log.debug(`godaddy: ${method} ${path}: HTTP ${res.status}${res.contentType ? ` ${res.contentType}` : ''}, ${res.body.length} bytes`)
    if (res.status >= 200 && res.status < 300) return res

    const retryAfterHeaderSec = parseRetryAfter(res.headers['retry-after'], ctx.now())
    let parsed: unknown
    try {
      parsed = parseJson(res)
    } catch (e) {
      // An HTML 429 or 5xx page is still a rate limit or an outage, not a moved endpoint.
      const err = toEdgeError(e)
      if (res.status === 429) {
        throw new EdgeError('ratelimit', `godaddy: ${err.message}`, { code: 429, retryAfterSec: retryAfterHeaderSec ?? DEFAULT_RATELIMIT_HOLD_SEC })
      }
      if (res.status >= 500) throw new EdgeError('transient', `godaddy: ${err.message}`, { code: res.status })
      throw err.withContext('godaddy')
    }
    throw godaddyError(
      { status: res.status, host: res.host, body: errorBodyOf(parsed), ...(retryAfterHeaderSec !== undefined ? { retryAfterHeaderSec } : {}) },
      (s) => ctx.redactor.redact(s),
    )
  }

  /**
   * The records of `type` at `relative` (`''` = apex). Items of another type or name, which the
   * endpoint should not return, are dropped rather than trusted.
   * @throws EdgeError as `call`, or `protocol` when a 2xx body is not a list of records.
   */
  async records(ctx: Ctx, domain: string, type: string, relative: string): Promise<GdRecord[]> {
    const path = this.path(domain, type, relative)
    const res = await this.call(ctx, 'GET', path)
    let body: unknown
    try {
      body = parseJson(res)
    } catch (e) {
      throw toEdgeError(e).withContext('godaddy')
    }
    if (!Array.isArray(body)) throw new EdgeError('protocol', `godaddy: GET ${path}: answer is not a list of records`)
    const want = relative === '' ? '@' : relative
    const out: GdRecord[] = []
    body.forEach((x, i) => {
      const r = x as Partial<GdRecord> | null
      if (!r || typeof r.data !== 'string') throw new EdgeError('protocol', `godaddy: GET ${path}: record ${i} has no "data"`)
      if (typeof r.type === 'string' && r.type.toUpperCase() !== type) return
      if (typeof r.name === 'string' && nameKey(r.name) !== want) return
      out.push({
        type,
        name: want,
        data: r.data,
        ...(typeof r.ttl === 'number' && Number.isInteger(r.ttl) && r.ttl > 0 ? { ttl: r.ttl } : {}),
      })
    })
    return out
  }

  /** Sets the records of `type` at `relative` to exactly `records` (recordReplaceTypeName). */
  async replace(ctx: Ctx, domain: string, type: string, relative: string, records: GdRecordWrite[]): Promise<void> {
    await this.call(ctx, 'PUT', this.path(domain, type, relative), records)
  }
}
