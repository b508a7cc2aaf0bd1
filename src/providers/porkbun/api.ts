import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import { parseJson, type HttpResponse } from '../../net/http.js'
import { parseRetryAfter } from '../../net/http.js'
import { nameKey } from '../godaddy/names.js'
import { DEFAULT_RATELIMIT_HOLD_SEC, NOT_THE_API_HINT, porkbunError } from './errors.js'

/**
 * A thin client for the three Porkbun API v3 calls edge-ddns makes
 * (https://porkbun.com/api/json/v3/documentation). Every call is a POST of a JSON object that
 * carries the credentials as `apikey` and `secretapikey`:
 * - "DNS Retrieve Records by Domain, Subdomain and Type":
 *   `/dns/retrieveByNameType/{domain}/{type}[/{subdomain}]` → `{status, records: [...]}`;
 *   the apex is the path without a subdomain segment, never `@` (BC-22);
 * - "DNS Edit Record by Domain and ID": `/dns/edit/{domain}/{id}` with `name`, `type`, `content`,
 *   `ttl`, `prio`, `notes`: a full replacement of that one record, so every field is sent back;
 * - "DNS Create Record": `/dns/create/{domain}` with `name`, `type`, `content`, `ttl` → `{status, id}`.
 * Porkbun gives `ttl`, `prio` and `id` as strings ("600"); edge-ddns reads numbers too.
 */

/** One DNS record as a retrieve call lists it (only the fields edge-ddns uses or keeps). */
export interface PbRecord {
  id: string
  /** Full name (`home.example.com`, `example.com` for the apex). */
  name: string
  type: string
  content: string
  /** Seconds, as Porkbun writes it (a string of digits), when the listing had one. */
  ttl?: string
  prio?: string
  /** Absent when Porkbun gave `null`. */
  notes?: string
}

/** The fields of an edit or create call besides the credentials. */
export interface PbRecordWrite {
  /** Relative to the domain; `''` for the apex. */
  name: string
  type: string
  content: string
  ttl?: string
  prio?: string
  notes?: string
}

/** The path tail of a subdomain: nothing for the apex (BC-22), `/home` otherwise; `*` stays literal. */
export function subdomainSuffix(relative: string): string {
  return relative === '' ? '' : `/${encodeURIComponent(relative)}`
}

function digits(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return String(v)
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return v.trim()
  return undefined
}

/** The Porkbun API at one base URL with one key pair. */
export class PorkbunApi {
  constructor(
    readonly baseUrl: string,
    private readonly key: string,
    private readonly secret: string,
  ) {}

  /**
   * Sends one call and returns the answer's object when `status` is SUCCESS.
   * @throws EdgeError: the HTTP client's `transient` errors prefixed with `porkbun: `; a non-JSON
   *   answer is `ratelimit` (429), `transient` (5xx: the proxy's 502/503 under load, BC-06) or
   *   `protocol` "unexpected text/html from <host>" with a base_url hint (BC-25); a JSON failure
   *   is the kind `porkbunError` gives.
   */
  async call(ctx: Ctx, domain: string, path: string, fields: object = {}): Promise<Record<string, unknown>> {
    let res: HttpResponse
    try {
      res = await ctx.http.request({
        method: 'POST',
        url: `${this.baseUrl}${path}`,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ apikey: this.key, secretapikey: this.secret, ...fields }),
        timeoutMs: ctx.timeouts.httpMs,
        signal: ctx.signal,
      })
    } catch (e) {
      throw toEdgeError(e).withContext('porkbun')
    }
    ctx.log.debug(`porkbun: POST ${path}: HTTP ${res.status}${res.contentType ? ` ${res.contentType}` : ''}, ${res.body.length} bytes`)
    const retryAfterSec = parseRetryAfter(res.headers['retry-after'], ctx.now())
    let body: unknown
    try {
      body = parseJson(res)
    } catch (e) {
      const err = toEdgeError(e)
      if (res.status === 429) {
        throw new EdgeError('ratelimit', `porkbun: ${err.message}`, { code: 429, retryAfterSec: retryAfterSec ?? DEFAULT_RATELIMIT_HOLD_SEC })
      }
      if (res.status >= 500) {
        throw new EdgeError('transient', `porkbun: ${err.message}`, {
          code: res.status,
          hint: 'Porkbun answers 502/503 from its proxy when calls come too fast; the next run tries again',
        })
      }
      throw new EdgeError('protocol', `porkbun: ${err.message}`, { code: res.status, retryable: false, hint: NOT_THE_API_HINT })
    }
    const env = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined
    const status = typeof env?.status === 'string' ? env.status.toUpperCase() : undefined
    const ok = res.status >= 200 && res.status < 300
    if (ok && status === 'SUCCESS') return env as Record<string, unknown>
    if (ok && status === undefined) {
      throw new EdgeError('protocol', `porkbun: HTTP ${res.status} from ${res.host}: answer has no "status"`, { retryable: false, hint: NOT_THE_API_HINT })
    }
    throw porkbunError(
      {
        status: res.status,
        host: res.host,
        message: typeof env?.message === 'string' ? env.message : '',
        ...(typeof env?.code === 'string' ? { code: env.code } : {}),
        ...(retryAfterSec !== undefined ? { retryAfterSec } : {}),
        domain,
      },
      (s) => ctx.redactor.redact(s),
    )
  }

  /**
   * The records of `type` at `relative` (`''` = apex). Records of another type or name in the
   * answer are dropped: only the asked type at the asked name counts (BC-11).
   * @throws EdgeError as `call`, or `protocol` when `records` is missing or an item lacks id or content.
   */
  async byNameType(ctx: Ctx, domain: string, type: string, relative: string): Promise<PbRecord[]> {
    const path = `/dns/retrieveByNameType/${encodeURIComponent(domain)}/${encodeURIComponent(type)}${subdomainSuffix(relative)}`
    const env = await this.call(ctx, domain, path)
    if (!Array.isArray(env.records)) throw new EdgeError('protocol', `porkbun: POST ${path}: answer has no "records" list`)
    const fqdn = relative === '' ? domain : `${relative}.${domain}`
    const out: PbRecord[] = []
    env.records.forEach((x, i) => {
      const r = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>
      const id = digits(r.id) ?? (typeof r.id === 'string' && r.id.trim() !== '' ? r.id.trim() : undefined)
      if (id === undefined || typeof r.content !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string') {
        throw new EdgeError('protocol', `porkbun: POST ${path}: record ${i} lacks id, name, type or content`)
      }
      if (r.type.toUpperCase() !== type || nameKey(r.name) !== fqdn) return
      const ttl = digits(r.ttl)
      const prio = digits(r.prio)
      out.push({
        id,
        name: nameKey(r.name),
        type,
        content: r.content,
        ...(ttl !== undefined ? { ttl } : {}),
        ...(prio !== undefined ? { prio } : {}),
        ...(typeof r.notes === 'string' ? { notes: r.notes } : {}),
      })
    })
    return out
  }

  /** Replaces record `id` with `rec` ("DNS Edit Record by Domain and ID"). */
  async edit(ctx: Ctx, domain: string, id: string, rec: PbRecordWrite): Promise<void> {
    await this.call(ctx, domain, `/dns/edit/${encodeURIComponent(domain)}/${encodeURIComponent(id)}`, rec)
  }

  /** Creates a record; returns its id when Porkbun gives one. */
  async create(ctx: Ctx, domain: string, rec: PbRecordWrite): Promise<string | undefined> {
    const env = await this.call(ctx, domain, `/dns/create/${encodeURIComponent(domain)}`, rec)
    return digits(env.id)
  }
}
