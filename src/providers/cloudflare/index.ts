import { isIP } from 'node:net'
import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError, toEdgeError } from '../../errors.js'
import { keyPath, optString, optUrl, rejectUnknown, type Table } from '../../config/fields.js'
import { NOT_HEADER_SAFE } from '../api/entry.js'
import { beside, notOne } from '../api/provider.js'
import { outcomeOf } from '../push/outcome.js'
import { parseZone } from '../push/names.js'
import type { Change, Current, Outcome, ParseCtx, ParsedEntry, Provider, ProviderDef, RecordRef } from '../types.js'
import { BATCH_MAX, CloudflareApi, type CfRecord, type CloudflareAuth } from './api.js'
import { accountCache, type AccountCache, type ZoneRecords } from './cache.js'
import { nameKey, normalizeZone, recordFqdn } from './names.js'
import { fingerprint, HEADER_SAFE } from '../credentials.js'

/**
 * Cloudflare (API v4) provider: token or e-mail + global API key, one zone per entry, full names
 * in `records` (as dness). See README.md in this folder for the keys and what it never changes.
 */

/** The default API endpoint. */
export const CLOUDFLARE_BASE_URL = 'https://api.cloudflare.com/client/v4'

/** A validated Cloudflare entry. */
export interface CloudflareSettings {
  auth: CloudflareAuth
  /** Zone name, lower case, no trailing dot (`example.com`). */
  zone: string
  /** Full record names, lower case, no trailing dot, in the order configured, without duplicates. */
  records: string[]
  /** API base without a trailing slash (`https://api.cloudflare.com/client/v4`). */
  baseUrl: string
}

/** What `read` leaves in `Current.meta` for `write`: the zone id and the records found at the name. */
export interface CloudflareMeta {
  zoneId: string
  records: CfRecord[]
}

const KEYS = ['token', 'email', 'key', 'zone', 'records', 'base_url'] as const


function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<CloudflareSettings> {
  rejectUnknown(t, KEYS, path)
  const token = optString(t, 'token', path)
  const email = optString(t, 'email', path)
  const key = optString(t, 'key', path)
  if (token !== undefined) ctx.secret(token)
  if (key !== undefined) ctx.secret(key)

  let auth: CloudflareAuth
  if (token !== undefined) {
    if (email !== undefined || key !== undefined) {
      throw new ConfigError(keyPath(path, email !== undefined ? 'email' : 'key'), 'cannot be combined with token; use either token, or email and key (global API key)')
    }
    if (!HEADER_SAFE.test(token)) throw new ConfigError(keyPath(path, 'token'), NOT_HEADER_SAFE)
    auth = { kind: 'token', token }
  } else if (email !== undefined || key !== undefined) {
    if (key === undefined) throw new ConfigError(keyPath(path, 'key'), 'is required with email (the global API key); or use token instead')
    if (email === undefined) throw new ConfigError(keyPath(path, 'email'), 'is required with key (the account e-mail); or use token instead')
    if (!HEADER_SAFE.test(key)) throw new ConfigError(keyPath(path, 'key'), NOT_HEADER_SAFE)
    if (!HEADER_SAFE.test(email) || !email.includes('@')) throw new ConfigError(keyPath(path, 'email'), 'is not an e-mail address')
    auth = { kind: 'key', email, key }
  } else {
    throw new ConfigError(keyPath(path, 'token'), 'is required (an API token with Zone:Read and DNS:Edit), or set email and key for the global API key')
  }

  const { domain: zone, names: records } = parseZone(t, path, ctx.warn, 'zone', recordFqdn, normalizeZone)
  const baseUrl = optUrl(t, 'base_url', path) ?? CLOUDFLARE_BASE_URL
  const host = new URL(baseUrl).host
  const who = auth.kind === 'token' ? `token-${fingerprint(auth.token)}` : auth.email.toLowerCase()
  return {
    settings: { auth, zone, records, baseUrl },
    names: records,
    zone,
    account: `cloudflare:${host}:${who}`,
  }
}

function isMeta(m: unknown): m is CloudflareMeta {
  if (typeof m !== 'object' || m === null) return false
  const o = m as Partial<CloudflareMeta>
  return typeof o.zoneId === 'string' && Array.isArray(o.records)
}

/** Two addresses of one family are the same address (IPv6 compared in canonical form). */
function sameAddress(a: string, b: string): boolean {
  if (a === b) return true
  if (isIP(a) === 6 && isIP(b) === 6) {
    try {
      return new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname
    } catch {
      return false
    }
  }
  return false
}

/** Errors after which the remaining changes are not sent: they would meet the same answer. */
const STOP_KINDS = new Set(['ratelimit', 'auth', 'forbidden'])

/**
 * The zone and record a change updates, when it is a plain update of the one record at its name;
 * undefined for creates, conflicts and failed reads (writeOne reports those).
 */
function patchTarget(ch: Change): { zoneId: string; recordId: string } | undefined {
  if (ch.current.kind !== 'present' || !isMeta(ch.current.meta) || ch.current.meta.records.length !== 1) return undefined
  return { zoneId: ch.current.meta.zoneId, recordId: ch.current.meta.records[0]!.id }
}

class CloudflareProvider implements Provider {
  private readonly api: CloudflareApi

  constructor(
    private readonly s: CloudflareSettings,
    private readonly ttl: number | undefined,
  ) {
    this.api = new CloudflareApi(s.baseUrl, s.auth)
  }

  private cache(ctx: Ctx): AccountCache {
    return accountCache(ctx, this.api, this.s.auth)
  }

  /**
   * One zones lookup (shared per account and run) and one paged listing of the zone, then each ref
   * matched locally. A failed lookup makes every ref `failed`, never `absent` (BC-34); a CNAME at
   * the name is a `conflict` (BC-11); only records of the ref's type count.
   */
  async read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    const cache = this.cache(ctx)
    let zone: ZoneRecords
    try {
      const zoneId = await cache.zoneId(ctx, this.s.zone)
      zone = await cache.records(ctx, zoneId)
    } catch (e) {
      const error = toEdgeError(e)
      return refs.map(() => ({ kind: 'failed', error }))
    }
    return refs.map((ref) => this.currentOf(ref, zone))
  }

  private currentOf(ref: RecordRef, zone: ZoneRecords): Current {
    const name = nameKey(ref.fqdn)
    if (name !== this.s.zone && !name.endsWith(`.${this.s.zone}`)) {
      return { kind: 'failed', error: new EdgeError('config', `cloudflare: ${ref.fqdn} is not inside zone ${this.s.zone}`) }
    }
    const cname = zone.at(name, 'CNAME')
    if (cname.length > 0) {
      return { kind: 'failed', error: beside('cloudflare', ref, `is a CNAME (to ${cname.map((r) => r.content).join(', ')})`, `remove the CNAME at Cloudflare, or take ${name} out of records`) }
    }
    const found = zone.at(name, ref.type)
    const meta: CloudflareMeta = { zoneId: zone.zoneId, records: found.map((r) => ({ ...r })) }
    if (found.length === 0) return { kind: 'absent', via: 'api', meta }
    return { kind: 'present', values: found.map((r) => r.content), via: 'api', meta }
  }

  /**
   * Updates send only `content`, so TTL, proxied, comment and tags stay (BC-08, BC-09); creates
   * (type, name, content, ttl, proxied false) only when the change says so.
   *
   * Two or more updates in one zone go out as one batch call (BATCH_MAX per call) instead of one
   * PATCH each: 20 changed records cost one request, not 20. A batch is all-or-nothing at
   * Cloudflare, so when it fails for any reason but a rate limit or refused credentials, each
   * record is sent again on its own PATCH and one bad record never blocks the rest. Re-sending is
   * safe even when the batch timed out after being applied: a PATCH of content is idempotent.
   * Creates are never batched (a create repeated after an unclear failure would duplicate it).
   * Changes go one after the other; after a rate limit or refused credentials the rest fail
   * without being sent.
   */
  async write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    const out: (Outcome | undefined)[] = changes.map(() => undefined)
    let stop: EdgeError | undefined
    const byZone = new Map<string, number[]>()
    changes.forEach((ch, i) => {
      const zoneId = patchTarget(ch)?.zoneId
      if (zoneId !== undefined) byZone.set(zoneId, [...(byZone.get(zoneId) ?? []), i])
    })
    for (const [zoneId, indexes] of byZone) {
      // A last chunk of one goes out as a plain PATCH below.
      for (let k = 0; k + 1 < indexes.length && !stop; k += BATCH_MAX) {
        const chunk = indexes.slice(k, k + BATCH_MAX)
        try {
          const outcomes = await this.writeBatch(
            zoneId,
            chunk.map((i) => changes[i]!),
            ctx,
          )
          chunk.forEach((i, j) => (out[i] = outcomes[j]))
        } catch (e) {
          const error = toEdgeError(e)
          if (STOP_KINDS.has(error.kind)) stop = error
          else ctx.log.warn(`cloudflare: zone ${this.s.zone}: batch of ${chunk.length} updates failed (${error.message}); sending them one by one`)
        }
      }
    }
    for (const [i, ch] of changes.entries()) {
      if (out[i]) continue
      if (stop) {
        out[i] = outcomeOf(ch, { ok: false, error: stop })
        continue
      }
      try {
        out[i] = await this.writeOne(ch, ctx)
      } catch (e) {
        const error = toEdgeError(e)
        out[i] = outcomeOf(ch, { ok: false, error })
        if (STOP_KINDS.has(error.kind)) stop = error
      }
    }
    return out as Outcome[]
  }

  /** Sends `changes` (updates of single records in `zoneId`, see patchTarget) as one batch call. */
  private async writeBatch(zoneId: string, changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    const patches = changes.map((ch) => ({ id: patchTarget(ch)!.recordId, content: ch.value }))
    const answered = await this.api.batchPatchContent(ctx, zoneId, patches)
    const byId = new Map(answered.filter((r) => typeof r.id === 'string').map((r) => [r.id!, r]))
    const listed = await this.cache(ctx).listed(zoneId)
    return changes.map((ch, j) => {
      const { id, content } = patches[j]!
      listed?.setContent(id, content)
      const now = byId.get(id)?.content
      const previous = ch.current.kind === 'present' ? { previous: ch.current.values } : {}
      if (typeof now === 'string' && !sameAddress(now, content)) return { ref: ch.ref, status: 'failed', value: content, ...previous, error: otherContent(now, content) }
      return { ref: ch.ref, status: 'updated', value: content, ...previous }
    })
  }

  private async writeOne(ch: Change, ctx: Ctx): Promise<Outcome> {
    const { ref, value, current } = ch
    if (current.kind === 'failed') return { ref, status: 'failed', value, error: current.error }
    if (!isMeta(current.meta)) {
      throw new EdgeError('internal', `cloudflare: ${ref.fqdn} ${ref.type}: change carries no Cloudflare read result (this is a bug in edge-ddns, please report it)`)
    }
    const meta = current.meta
    const listed = await this.cache(ctx).listed(meta.zoneId)
    if (current.kind === 'present') {
      const rec = meta.records[0]
      if (!rec || meta.records.length !== 1) {
        throw notOne('cloudflare', ref, meta.records.length)
      }
      const res = await this.api.patchContent(ctx, meta.zoneId, rec.id, value)
      listed?.setContent(rec.id, value)
      // An answer holding another address is not a success: the record is read again next run.
      if (typeof res.content === 'string' && !sameAddress(res.content, value)) return { ref, status: 'failed', value, previous: current.values, error: otherContent(res.content, value) }
      return { ref, status: 'updated', value, previous: current.values }
    }
    if (!ch.create) return { ref, status: 'missing', value }
    const res = await this.api.create(ctx, meta.zoneId, { type: ref.type, name: ref.fqdn, content: value, ttl: this.ttl ?? 1, proxied: false })
    if (typeof res.id === 'string') listed?.add({ id: res.id, type: ref.type, name: ref.fqdn, content: value })
    return { ref, status: 'created', value }
  }
}

/** The Cloudflare provider definition (registry entry `cloudflare`). */
export const cloudflare: ProviderDef<CloudflareSettings> = {
  name: 'cloudflare',
  summary: 'Cloudflare DNS through API v4 (token, or e-mail + global API key)',
  docs: 'https://developers.cloudflare.com/api/resources/dns/subresources/records/',
  keys: [
    { key: 'token', required: false, secret: true, doc: 'API token (Bearer) with Zone:Read and DNS:Edit on the zone; or use email + key' },
    { key: 'email', required: false, doc: 'account e-mail, with key (global API key)' },
    { key: 'key', required: false, secret: true, doc: 'global API key, with email' },
    { key: 'zone', required: true, doc: 'the zone name, e.g. example.com' },
    { key: 'records', required: true, doc: 'record names: full (home.example.com), one label relative to the zone (home), or @ for the apex' },
    { key: 'base_url', required: false, doc: `API base URL (default ${CLOUDFLARE_BASE_URL})` },
  ],
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  // Cloudflare's non-Enterprise bounds (error 9021 "TTL must be between 60 and 86400 seconds, or 1 for Automatic").
  ttl: { min: 60, max: 86400, auto: 1 },
  parse,
  create: (settings, opts) => new CloudflareProvider(settings, opts.ttl),
}

/** The error for a write Cloudflare answered with another address than the one sent. */
function otherContent(answered: string, sent: string): EdgeError {
  return new EdgeError('protocol', `cloudflare answered content ${answered} after the update to ${sent}; the record is read again next run`, { retryable: true })
}
