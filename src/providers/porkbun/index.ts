import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import { keyPath, optStringArray, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import type { Change, Current, Outcome, ParseCtx, ParsedEntry, Provider, ProviderDef, RecordRef } from '../types.js'
import { readInTurn, writeInTurn } from '../serial.js'
import { fingerprint } from '../credentials.js'
import { normalizeDomain, recordList, relativeName } from '../godaddy/names.js'
import { accountQueue } from '../godaddy/queue.js'
import { PorkbunApi, type PbRecord, type PbRecordWrite } from './api.js'

/**
 * Porkbun (API v3) provider: a dness `type = "porkbun"` entry (`domain`, `key`, `secret`,
 * `records` with `@` or `""` for the apex) works unchanged. Reads one name and type at a time,
 * edits the one record it read by id, sending back its TTL, priority and notes. See README.md.
 */

/** The API endpoint since 2024-12-01 (BC-25); the old `porkbun.com` host answers 403 HTML. */
export const PORKBUN_BASE_URL = 'https://api.porkbun.com/api/json/v3'

/** Porkbun's smallest and default TTL ("DNS Create Record": "The minimum and the default is 600 seconds"). */
export const PORKBUN_MIN_TTL = 600

/**
 * Milliseconds between the starts of two calls of one account (BC-06): Porkbun's proxy answers
 * 502/503 to bursts. Small enough that a dness-sized config stays well inside the run deadline.
 */
export const PORKBUN_MIN_GAP_MS = 250

/** A validated Porkbun entry. */
export interface PorkbunSettings {
  /** The domain, lower case, no trailing dot (`example.com`). */
  domain: string
  /** The API key (`apikey`). */
  key: string
  /** The secret API key (`secretapikey`). */
  secret: string
  /** Full record names, lower case, no trailing dot, in the order configured, without duplicates. */
  records: string[]
  /** API base without a trailing slash (`https://api.porkbun.com/api/json/v3`). */
  baseUrl: string
  /** `porkbun:<host>:<key fingerprint>`: the queue and state key of the account. */
  account: string
  /** Milliseconds between two calls of the account; PORKBUN_MIN_GAP_MS (tests may lower it). */
  minGapMs: number
}

/** What `read` leaves in `Current.meta` for `write`: the records of the ref's type at its name. */
export interface PorkbunMeta {
  records: PbRecord[]
}

const KEYS = ['domain', 'key', 'secret', 'records', 'base_url'] as const

/** Record types Porkbun allows at a name that then cannot hold an A/AAAA record. */
const BLOCKING_TYPES = ['CNAME', 'ALIAS'] as const

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<PorkbunSettings> {
  rejectUnknown(t, KEYS, path)
  const key = reqString(t, 'key', path)
  const secret = reqString(t, 'secret', path)
  ctx.secret(key)
  ctx.secret(secret)
  const domain = normalizeDomain(reqString(t, 'domain', path), keyPath(path, 'domain'))
  const records = recordList(optStringArray(t, 'records', path), domain, keyPath(path, 'records'), ctx.warn, '"@" or ""')
  const baseUrl = optUrl(t, 'base_url', path) ?? PORKBUN_BASE_URL
  const account = `porkbun:${new URL(baseUrl).host}:${fingerprint(key)}`
  return { settings: { domain, key, secret, records, baseUrl, account, minGapMs: PORKBUN_MIN_GAP_MS }, names: records, zone: domain, account }
}

function isMeta(m: unknown): m is PorkbunMeta {
  return typeof m === 'object' && m !== null && Array.isArray((m as Partial<PorkbunMeta>).records)
}

class PorkbunProvider implements Provider {
  private readonly api: PorkbunApi

  constructor(
    private readonly s: PorkbunSettings,
    private readonly ttl: number | undefined,
  ) {
    this.api = new PorkbunApi(s.baseUrl, s.key, s.secret)
  }

  /** Calls of one account go one at a time, `minGapMs` apart (BC-06). */
  private queued<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    return accountQueue(ctx, this.s.account).run(fn, this.s.minGapMs, ctx.signal)
  }

  /**
   * One `retrieveByNameType` per ref (the apex without a subdomain segment, BC-22). An empty answer
   * is `absent` once CNAME and ALIAS lookups at the name are empty too; either one is a `conflict`
   * (Porkbun parks new domains with ALIAS @ and CNAME * → pixie.porkbun.com). A failed lookup is
   * `failed`, never `absent` (BC-34); after an account-wide failure the rest fail with it unsent.
   */
  async read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    return readInTurn(refs, (ref) => this.readOne(ref, ctx))
  }

  private async readOne(ref: RecordRef, ctx: Ctx): Promise<Current> {
    const { domain } = this.s
    const rel = relativeName(ref.fqdn, domain)
    if (rel === undefined) {
      return { kind: 'failed', error: new EdgeError('config', `porkbun: ${ref.fqdn} is not inside domain ${domain}`, { retryable: false }) }
    }
    const found = await this.queued(ctx, () => this.api.byNameType(ctx, domain, ref.type, rel))
    if (found.length > 0) return { kind: 'present', values: found.map((r) => r.content), via: 'api', meta: { records: found } satisfies PorkbunMeta }
    for (const type of BLOCKING_TYPES) {
      const blocking = await this.queued(ctx, () => this.api.byNameType(ctx, domain, type, rel))
      if (blocking.length > 0) {
        const parked = blocking.some((r) => /(^|\.)porkbun\.com\.?$/i.test(r.content.trim()))
        return {
          kind: 'failed',
          error: new EdgeError('conflict', `porkbun: ${ref.fqdn} has ${type === 'ALIAS' ? 'an' : 'a'} ${type} record (to ${blocking.map((r) => r.content).join(', ')}); an ${ref.type} record cannot exist beside it`, {
            retryable: false,
            hint: parked
              ? `that is the record Porkbun puts on parked domains; delete the ${type} of ${ref.fqdn} at porkbun.com to publish an address there`
              : `remove the ${type} at Porkbun, or take ${ref.fqdn} out of records`,
          }),
        }
      }
    }
    return { kind: 'absent', via: 'api', meta: { records: [] } satisfies PorkbunMeta }
  }

  /**
   * Updates by id (`/dns/edit/{domain}/{id}`) with the record's own name, type, TTL, priority and
   * notes and the new content; creates (`/dns/create/{domain}`, TTL configured or 600) only when
   * the change says so. Changes go one after the other; after an account-wide failure the rest
   * fail unsent.
   */
  async write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    return writeInTurn(changes, (ch) => this.writeOne(ch, ctx))
  }

  private async writeOne(ch: Change, ctx: Ctx): Promise<Outcome> {
    const { ref, value, current } = ch
    const { domain } = this.s
    if (current.kind === 'failed') return { ref, status: 'failed', value, error: current.error }
    if (!isMeta(current.meta)) {
      throw new EdgeError('internal', `porkbun: ${ref.fqdn} ${ref.type}: change carries no Porkbun read result (this is a bug in edge-ddns, please report it)`)
    }
    const rel = relativeName(ref.fqdn, domain)
    if (rel === undefined) throw new EdgeError('config', `porkbun: ${ref.fqdn} is not inside domain ${domain}`, { retryable: false })
    if (current.kind === 'present') {
      const records = current.meta.records
      const rec = records[0]
      if (!rec || records.length !== 1) {
        throw new EdgeError('conflict', `porkbun: ${ref.fqdn} has ${records.length} ${ref.type} records; edge-ddns updates a name only when it holds one`, { retryable: false })
      }
      // The edit replaces the whole record: what is not sent goes back to Porkbun's defaults
      // (TTL 600, no notes), so everything read is sent back unchanged but the content.
      const edit: PbRecordWrite = {
        name: rel,
        type: ref.type,
        content: value,
        ...(rec.ttl !== undefined ? { ttl: rec.ttl } : this.ttl !== undefined ? { ttl: String(this.ttl) } : {}),
        ...(rec.prio !== undefined ? { prio: rec.prio } : {}),
        notes: rec.notes ?? '',
      }
      await this.queued(ctx, () => this.api.edit(ctx, domain, rec.id, edit))
      return { ref, status: 'updated', value, previous: current.values }
    }
    if (!ch.create) return { ref, status: 'missing', value }
    const create: PbRecordWrite = { name: rel, type: ref.type, content: value, ttl: String(this.ttl ?? PORKBUN_MIN_TTL) }
    await this.queued(ctx, () => this.api.create(ctx, domain, create))
    return { ref, status: 'created', value }
  }
}

/** The Porkbun provider definition (registry entry `porkbun`). */
export const porkbun: ProviderDef<PorkbunSettings> = {
  name: 'porkbun',
  summary: 'Porkbun DNS through the JSON API v3 (API key + secret API key)',
  docs: 'https://porkbun.com/api/json/v3/documentation',
  keys: [
    { key: 'domain', required: true, doc: 'the domain at Porkbun, e.g. example.com (API ACCESS must be on for it)' },
    { key: 'key', required: true, secret: true, doc: 'API key (pk1_…) from https://porkbun.com/account/api' },
    { key: 'secret', required: true, secret: true, doc: 'secret API key (sk1_…)' },
    { key: 'records', required: true, doc: 'record names relative to domain: @ or "" (apex), home, *; a full name ending in the domain works too' },
    { key: 'base_url', required: false, doc: `API base URL (default ${PORKBUN_BASE_URL})` },
  ],
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  // Porkbun documents the minimum (600) only; RFC 2181 section 8 caps a TTL at 2^31 - 1.
  ttl: { min: PORKBUN_MIN_TTL, max: 2147483647 },
  parse,
  create: (settings, opts) => new PorkbunProvider(settings, opts.ttl),
}
