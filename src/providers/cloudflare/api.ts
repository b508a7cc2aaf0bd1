import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import { holdOff, jsonOf, send } from '../api/call.js'
import { cloudflareError, DEFAULT_RATELIMIT_HOLD_SEC, errorsOf } from './errors.js'

/**
 * A thin client for the four Cloudflare API v4 calls edge-ddns makes:
 * - list zones: `GET /zones` (https://developers.cloudflare.com/api/resources/zones/methods/list/)
 * - list DNS records: `GET /zones/{zone_id}/dns_records`
 *   (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/list/)
 * - update a DNS record: `PATCH /zones/{zone_id}/dns_records/{dns_record_id}`
 *   (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/edit/)
 * - create a DNS record: `POST /zones/{zone_id}/dns_records`
 *   (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/create/)
 * - several updates in one call: `POST /zones/{zone_id}/dns_records/batch`
 *   (https://developers.cloudflare.com/api/resources/dns/subresources/records/methods/batch/,
 *   https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/)
 */

/** How a request authenticates: an API token (Bearer), or the account e-mail plus the global API key. */
export type CloudflareAuth = { kind: 'token'; token: string } | { kind: 'key'; email: string; key: string }

/** Paging facts of a list answer (`result_info`). */
export interface ResultInfo {
  page?: number
  per_page?: number
  count?: number
  total_count?: number
  total_pages?: number
}

/** A zone as the zones listing gives it (only the fields edge-ddns uses). */
export interface CfZone {
  id: string
  name: string
  status?: string
}

/** A DNS record as the listing gives it (only the fields edge-ddns uses or reports). */
export interface CfRecord {
  id: string
  type: string
  name: string
  content: string
  ttl?: number
  proxied?: boolean
}

/** Zones per page: the zones listing allows at most 50 (schema `per_page` maximum). */
export const ZONES_PER_PAGE = 50
/**
 * DNS records per page. The current schema allows up to 5,000,000, but a page must stay under the
 * body cap: 1000 records of about 600 bytes each is well under LIST_MAX_BYTES, even with long TXT.
 */
export const RECORDS_PER_PAGE = 1000
/** Body cap for one page of a listing, in bytes. */
export const LIST_MAX_BYTES = 8 << 20
/**
 * Most patches in one batch call: the Free plan's limit per batch (Pro, Business and Enterprise
 * allow 3,500), so a batch fits every plan.
 */
export const BATCH_MAX = 200
/**
 * Stop following pages after this many: a guard against a server that never says "last page"
 * (1000 pages of 1000 records is more than any zone holds; a hostile listing could otherwise
 * spend Cloudflare's 1200-requests-per-5-minutes allowance in seconds).
 */
const MAX_PAGES = 1000

/** The Cloudflare v4 API at one base URL with one set of credentials. */
export class CloudflareApi {
  constructor(
    readonly baseUrl: string,
    private readonly auth: CloudflareAuth,
  ) {}

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json' }
    if (json) h['content-type'] = 'application/json'
    if (this.auth.kind === 'token') h.authorization = `Bearer ${this.auth.token}`
    else {
      h['x-auth-email'] = this.auth.email
      h['x-auth-key'] = this.auth.key
    }
    return h
  }

  /**
   * Sends one call and returns the envelope's `result` and `result_info`.
   * @throws EdgeError: the HTTP client's `transient` errors prefixed with `cloudflare: `; a
   *   `protocol` error for a non-JSON or non-envelope answer; otherwise the kind `cloudflareError`
   *   gives the status and `errors[].code`.
   */
  async call(
    ctx: Ctx,
    method: string,
    path: string,
    opts: { query?: Record<string, string | number>; body?: unknown; maxBytes?: number } = {},
  ): Promise<{ result: unknown; info: ResultInfo | undefined }> {
    const qs = opts.query ? `?${new URLSearchParams(Object.entries(opts.query).map(([k, v]) => [k, String(v)])).toString()}` : ''
    const res = await send(ctx, 'cloudflare', `${method} ${path}${qs}`, {
      method,
      url: `${this.baseUrl}${path}${qs}`,
      headers: this.headers(opts.body !== undefined),
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}),
    })
    const retryAfterSec = holdOff(res, ctx.now(), DEFAULT_RATELIMIT_HOLD_SEC)
    // "unexpected text/html from api.cloudflare.com (HTTP 502)" (BC-25). A 429 or 5xx page in
    // HTML is still a rate limit or an outage, not a moved endpoint.
    const body = jsonOf(ctx, 'cloudflare', res, { hold: DEFAULT_RATELIMIT_HOLD_SEC })
    const env = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined
    const ok = res.status >= 200 && res.status < 300
    if (ok && env?.success === true) {
      const info = typeof env.result_info === 'object' && env.result_info !== null ? (env.result_info as ResultInfo) : undefined
      return { result: env.result, info }
    }
    if (ok && (env === undefined || typeof env.success !== 'boolean')) {
      throw new EdgeError('protocol', `cloudflare: HTTP ${res.status} from ${res.host}: answer is not a v4 envelope (no "success")`)
    }
    throw cloudflareError({ status: res.status, host: res.host, errors: errorsOf(body), retryAfterSec }, (x) => ctx.redactor.redact(x))
  }

  /**
   * Follows every page of a list call (`page` from 1 until `result_info.total_pages`; when a
   * server gives no total, until a short page) and returns all items.
   */
  async listAll(ctx: Ctx, path: string, perPage: number, query: Record<string, string> = {}): Promise<unknown[]> {
    const all: unknown[] = []
    const ids = new Set<string>()
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { result, info } = await this.call(ctx, 'GET', path, {
        query: { ...query, page, per_page: perPage },
        maxBytes: LIST_MAX_BYTES,
      })
      if (!Array.isArray(result)) {
        throw new EdgeError('protocol', `cloudflare: GET ${path} page ${page}: "result" is not a list`)
      }
      let fresh = 0
      for (const item of result) {
        const id = (item as { id?: unknown } | null)?.id
        // The same item twice (a listing that shifted under us, or a page repeated) is kept once.
        if (typeof id === 'string') {
          if (ids.has(id)) continue
          ids.add(id)
        }
        fresh++
        all.push(item)
      }
      if (result.length > 0 && fresh === 0) {
        throw new EdgeError('protocol', `cloudflare: GET ${path} page ${page} repeats items already listed; the listing does not end`)
      }
      const total = info?.total_pages
      if (typeof total === 'number' ? page >= total : result.length < (info?.per_page ?? perPage)) return all
      if (result.length === 0) return all
    }
    throw new EdgeError('protocol', `cloudflare: GET ${path}: more than ${MAX_PAGES} pages`)
  }

  /** One page of the zones listing (every zone the credentials can see). */
  async zonesPage(ctx: Ctx, page: number): Promise<{ zones: CfZone[]; totalPages: number | undefined; short: boolean }> {
    const { result, info } = await this.call(ctx, 'GET', '/zones', { query: { page, per_page: ZONES_PER_PAGE } })
    if (!Array.isArray(result)) throw new EdgeError('protocol', `cloudflare: GET /zones page ${page}: "result" is not a list`)
    const zones: CfZone[] = []
    for (const z of result) {
      if (typeof z === 'object' && z !== null && typeof (z as CfZone).id === 'string' && typeof (z as CfZone).name === 'string') {
        const { id, name, status } = z as CfZone
        zones.push({ id, name, ...(typeof status === 'string' ? { status } : {}) })
      }
    }
    return { zones, totalPages: typeof info?.total_pages === 'number' ? info.total_pages : undefined, short: result.length < (info?.per_page ?? ZONES_PER_PAGE) }
  }

  /** Every DNS record of a zone, all pages followed; each item checked for the fields used. */
  async records(ctx: Ctx, zoneId: string): Promise<CfRecord[]> {
    const items = await this.listAll(ctx, `/zones/${encodeURIComponent(zoneId)}/dns_records`, RECORDS_PER_PAGE)
    return items.map((x, i) => {
      const r = x as Partial<CfRecord> | null
      if (!r || typeof r.id !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string' || typeof r.content !== 'string') {
        throw new EdgeError('protocol', `cloudflare: DNS record listing item ${i} lacks id, type, name or content`)
      }
      return {
        id: r.id,
        type: r.type,
        name: r.name,
        content: r.content,
        ...(typeof r.ttl === 'number' ? { ttl: r.ttl } : {}),
        ...(typeof r.proxied === 'boolean' ? { proxied: r.proxied } : {}),
      }
    })
  }

  /**
   * Changes only `content` of a record: PATCH leaves TTL, proxied, comment and tags as they are
   * (BC-08, BC-09). Returns the record as Cloudflare now holds it.
   */
  async patchContent(ctx: Ctx, zoneId: string, recordId: string, content: string): Promise<Partial<CfRecord>> {
    const { result } = await this.call(ctx, 'PATCH', `/zones/${encodeURIComponent(zoneId)}/dns_records/${encodeURIComponent(recordId)}`, {
      body: { content },
    })
    return typeof result === 'object' && result !== null ? (result as Partial<CfRecord>) : {}
  }

  /** Creates a record; `ttl` 1 is Cloudflare's "automatic". */
  async create(
    ctx: Ctx,
    zoneId: string,
    rec: { type: string; name: string; content: string; ttl: number; proxied: boolean },
  ): Promise<Partial<CfRecord>> {
    const { result } = await this.call(ctx, 'POST', `/zones/${encodeURIComponent(zoneId)}/dns_records`, { body: rec })
    return typeof result === 'object' && result !== null ? (result as Partial<CfRecord>) : {}
  }

  /**
   * Changes only `content` of several records of one zone in one call:
   * `POST /zones/{zone_id}/dns_records/batch` with `{"patches": [{"id", "content"}, ...]}`; fields
   * not given stay as they are, as with PATCH (BC-08, BC-09). Cloudflare applies a batch in one
   * database transaction: when any patch fails, none is applied and the answer carries the first
   * error (thrown as by `call`). At most BATCH_MAX patches.
   * @returns the patched records as Cloudflare now holds them (`result.patches`; empty when the
   *   answer does not list them)
   */
  async batchPatchContent(ctx: Ctx, zoneId: string, patches: { id: string; content: string }[]): Promise<Partial<CfRecord>[]> {
    const { result } = await this.call(ctx, 'POST', `/zones/${encodeURIComponent(zoneId)}/dns_records/batch`, { body: { patches } })
    const list = typeof result === 'object' && result !== null ? (result as { patches?: unknown }).patches : undefined
    return Array.isArray(list) ? list.filter((r): r is Partial<CfRecord> => typeof r === 'object' && r !== null) : []
  }
}
