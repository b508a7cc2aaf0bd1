import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import { holdOff, jsonOf, ok, send } from '../api/call.js'
import { API_CAPS, MAX_TTL, pairEntry, rel, type PairSettings } from '../api/entry.js'
import { apiProvider, beside, queued, type Meta } from '../api/provider.js'
import { nameKey } from '../push/names.js'
import type { ProviderDef } from '../types.js'
import { NOT_THE_API_HINT, porkbunError } from './errors.js'

/**
 * Porkbun (API v3) provider: a dness `type = "porkbun"` entry (`domain`, `key`, `secret`,
 * `records` with `@` or `""` for the apex) works unchanged. See README.md in this folder.
 *
 * Three calls (https://porkbun.com/api/json/v3/documentation), each a POST of a JSON object that
 * carries the credentials as `apikey` and `secretapikey`:
 * - "DNS Retrieve Records by Domain, Subdomain and Type":
 *   `/dns/retrieveByNameType/{domain}/{type}[/{subdomain}]` → `{status, records: [...]}`, one name
 *   and type at a time; the apex is the path without a subdomain segment, never `@` (BC-22). An
 *   empty answer is `absent` once CNAME and ALIAS lookups at the name are empty too; either one is
 *   a `conflict` (Porkbun parks new domains with ALIAS @ and CNAME * → pixie.porkbun.com);
 * - "DNS Edit Record by Domain and ID": `/dns/edit/{domain}/{id}` with `name`, `type`, `content`,
 *   `ttl`, `prio`, `notes`: a full replacement of that one record, so every field read is sent
 *   back and only the content changes;
 * - "DNS Create Record": `/dns/create/{domain}` with `name`, `type`, `content`, `ttl` (configured
 *   or 600).
 * Porkbun gives `ttl`, `prio` and `id` as strings ("600"); edge-ddns reads numbers too. Calls of
 * one account go one at a time, `minGapMs` apart (BC-06).
 */

const NAME = 'porkbun'

/** The API endpoint since 2024-12-01 (BC-25); the old `porkbun.com` host answers 403 HTML. */
export const PORKBUN_BASE_URL = 'https://api.porkbun.com/api/json/v3'

/** Porkbun's smallest and default TTL ("DNS Create Record": "The minimum and the default is 600 seconds"). */
export const PORKBUN_MIN_TTL = 600

/**
 * Milliseconds between the starts of two calls of one account (BC-06): Porkbun's proxy answers
 * 502/503 to bursts. Small enough that a dness-sized config stays well inside the run deadline.
 */
export const PORKBUN_MIN_GAP_MS = 250

/** A validated Porkbun entry; the account is `porkbun:<host>:<key fingerprint>`. */
export interface PorkbunSettings extends PairSettings {
  /** Milliseconds between two calls of the account; PORKBUN_MIN_GAP_MS (tests may lower it). */
  minGapMs: number
}

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

/** What `read` leaves in `Current.meta` for `write`: the records of the ref's type at its name. */
export type PorkbunMeta = Meta<PbRecord>

function digits(v: unknown): string | undefined {
  if (Number.isInteger(v) && (v as number) >= 0) return String(v)
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return v.trim()
  return undefined
}

function driver(s: PorkbunSettings, ttl: number | undefined) {
  /**
   * Sends one call of the account and returns the answer's object when `status` is SUCCESS.
   * @throws EdgeError: `send`'s; a non-JSON answer is `ratelimit` (429), `transient` (5xx: the
   *   proxy's 502/503 under load, BC-06) or `protocol` "unexpected text/html from <host>" with a
   *   base_url hint (BC-25); a JSON failure is the kind `porkbunError` gives.
   */
  const call = async (ctx: Ctx, path: string, fields: object = {}): Promise<Record<string, any>> => {
    const res = await queued(ctx, s.account, s.minGapMs, () =>
      send(ctx, NAME, `POST ${path}`, {
        method: 'POST',
        url: s.baseUrl + path,
        headers: { accept: 'application/json', 'content-type': 'application/json' },
        body: JSON.stringify({ apikey: s.key, secretapikey: s.secret, ...fields }),
      }),
    )
    const body = jsonOf(ctx, NAME, res, { transient: 'Porkbun answers 502/503 from its proxy when calls come too fast; the next run tries again', protocol: NOT_THE_API_HINT })
    const env: Record<string, any> | undefined = typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined
    const status = typeof env?.status === 'string' ? env.status.toUpperCase() : undefined
    if (ok(res) && status === 'SUCCESS') return env!
    if (ok(res) && status === undefined) {
      throw new EdgeError('protocol', `${NAME}: HTTP ${res.status} from ${res.host}: answer has no "status"`, { hint: NOT_THE_API_HINT })
    }
    throw porkbunError(
      {
        status: res.status,
        host: res.host,
        message: typeof env?.message === 'string' ? env.message : '',
        ...(typeof env?.code === 'string' ? { code: env.code } : {}),
        retryAfterSec: holdOff(res, ctx.now()),
        domain: s.domain,
      },
      (x) => ctx.redactor.redact(x),
    )
  }

  /**
   * The records of `type` at `name` (`''` = apex). Records of another type or name in the answer
   * are dropped: only the asked type at the asked name counts (BC-11).
   * @throws EdgeError as `call`, or `protocol` when `records` is missing or an item lacks id or content.
   */
  const byNameType = async (ctx: Ctx, type: string, name: string): Promise<PbRecord[]> => {
    const path = `/dns/retrieveByNameType/${encodeURIComponent(s.domain)}/${encodeURIComponent(type)}${name && `/${encodeURIComponent(name)}`}`
    const env = await call(ctx, path)
    if (!Array.isArray(env.records)) throw new EdgeError('protocol', `${NAME}: POST ${path}: answer has no "records" list`)
    const fqdn = name ? `${name}.${s.domain}` : s.domain
    const out: PbRecord[] = []
    env.records.forEach((r: any, i: number) => {
      const id = digits(r?.id) ?? (typeof r?.id === 'string' && r.id.trim() !== '' ? r.id.trim() : undefined)
      if (id === undefined || typeof r.content !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string') {
        throw new EdgeError('protocol', `${NAME}: POST ${path}: record ${i} lacks id, name, type or content`)
      }
      if (r.type.toUpperCase() !== type || nameKey(r.name) !== fqdn) return
      const [ttl, prio] = [digits(r.ttl), digits(r.prio)]
      out.push({ id, name: fqdn, type, content: r.content, ...(ttl ? { ttl } : {}), ...(prio ? { prio } : {}), ...(typeof r.notes === 'string' ? { notes: r.notes } : {}) })
    })
    return out
  }

  return apiProvider<PbRecord>(NAME, {
    async get(ref, ctx) {
      const name = rel(ref.fqdn, s.domain)
      const found = await byNameType(ctx, ref.type, name)
      if (found.length) return found
      for (const type of ['CNAME', 'ALIAS']) {
        const there = await byNameType(ctx, type, name)
        if (there.length) {
          throw beside(
            NAME,
            ref,
            `has ${type === 'ALIAS' ? 'an' : 'a'} ${type} record (to ${there.map((r) => r.content).join(', ')})`,
            there.some((r) => /(^|\.)porkbun\.com\.?$/i.test(r.content.trim()))
              ? `that is the record Porkbun puts on parked domains; delete the ${type} of ${ref.fqdn} at porkbun.com to publish an address there`
              : `remove the ${type} at Porkbun, or take ${ref.fqdn} out of records`,
          )
        }
      }
      return []
    },
    value: (r) => r.content,
    // The edit replaces the whole record: what is not sent goes back to Porkbun's defaults (TTL
    // 600, no notes), so everything read is sent back unchanged but the content.
    update: (ref, value, [r], ctx) =>
      call(ctx, `/dns/edit/${encodeURIComponent(s.domain)}/${encodeURIComponent(r!.id)}`, {
        name: rel(ref.fqdn, s.domain),
        type: ref.type,
        content: value,
        ttl: r!.ttl ?? (ttl === undefined ? undefined : String(ttl)),
        prio: r!.prio,
        notes: r!.notes ?? '',
      }),
    create: (ref, value, ctx) =>
      call(ctx, `/dns/create/${encodeURIComponent(s.domain)}`, { name: rel(ref.fqdn, s.domain), type: ref.type, content: value, ttl: String(ttl ?? PORKBUN_MIN_TTL) }),
  })
}

/** The Porkbun provider definition (registry entry `porkbun`). */
export const porkbun: ProviderDef<PorkbunSettings> = {
  name: NAME,
  summary: 'Porkbun DNS through the JSON API v3 (API key + secret API key)',
  docs: 'https://porkbun.com/api/json/v3/documentation',
  keys: [
    { key: 'domain', required: true, doc: 'the domain at Porkbun, e.g. example.com (API ACCESS must be on for it)' },
    { key: 'key', required: true, secret: true, doc: 'API key (pk1_…) from https://porkbun.com/account/api' },
    { key: 'secret', required: true, secret: true, doc: 'secret API key (sk1_…)' },
    { key: 'records', required: true, doc: 'record names relative to domain: @ or "" (apex), home, *; a full name ending in the domain works too' },
    { key: 'base_url', required: false, doc: `API base URL (default ${PORKBUN_BASE_URL})` },
  ],
  capabilities: API_CAPS,
  // Porkbun documents the minimum (600) only; RFC 2181 section 8 caps a TTL at 2^31 - 1.
  ttl: { min: PORKBUN_MIN_TTL, max: MAX_TTL },
  parse(t, path, ctx) {
    const s = { ...pairEntry(t, path, ctx, porkbun, PORKBUN_BASE_URL), minGapMs: PORKBUN_MIN_GAP_MS }
    return { settings: s, names: s.records, zone: s.domain, account: s.account }
  },
  create: (s, o) => driver(s, o.ttl),
}
