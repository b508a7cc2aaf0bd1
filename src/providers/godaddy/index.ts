import { readInTurn, writeInTurn } from '../serial.js'
import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError } from '../../errors.js'
import { keyPath, optStringArray, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import type { Change, Current, Outcome, ParseCtx, ParsedEntry, Provider, ProviderDef, RecordRef } from '../types.js'
import { GoDaddyApi, type GdRecord, type GdRecordWrite } from './api.js'
import { normalizeDomain, recordList, relativeName } from './names.js'
import { accountQueue } from './queue.js'
import { fingerprint, HEADER_SAFE } from '../credentials.js'

/**
 * GoDaddy (Domains API v1) provider: a dness `type = "godaddy"` entry (`domain`, `key`, `secret`,
 * `records` relative to the domain, `@` the apex) works unchanged. Reads and writes one name and
 * type at a time on the name-scoped path, so no other record of the domain is ever sent or
 * replaced. See README.md in this folder.
 */

/** The default API endpoint (dness's default too). */
export const GODADDY_BASE_URL = 'https://api.godaddy.com'

/** GoDaddy's smallest TTL: a PUT with less is refused with 422 "must have a minimum value of 600". */
export const GODADDY_MIN_TTL = 600

/** A validated GoDaddy entry. */
export interface GoDaddySettings {
  /** The domain, lower case, no trailing dot (`example.com`). */
  domain: string
  key: string
  secret: string
  /** Full record names, lower case, no trailing dot, in the order configured, without duplicates. */
  records: string[]
  /** API base without a trailing slash (`https://api.godaddy.com`). */
  baseUrl: string
  /** `godaddy:<host>:<key fingerprint>`: the queue and state key of the account. */
  account: string
}

/** What `read` leaves in `Current.meta` for `write`: the records of the ref's type at its name. */
export interface GoDaddyMeta {
  records: GdRecord[]
}

const KEYS = ['domain', 'key', 'secret', 'records', 'base_url'] as const


function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<GoDaddySettings> {
  rejectUnknown(t, KEYS, path)
  const key = reqString(t, 'key', path)
  const secret = reqString(t, 'secret', path)
  ctx.secret(key)
  ctx.secret(secret)
  if (!HEADER_SAFE.test(key)) throw new ConfigError(keyPath(path, 'key'), 'contains spaces or control characters, which cannot go into an HTTP header')
  if (key.includes(':')) throw new ConfigError(keyPath(path, 'key'), 'contains ":", which cannot be told apart from the key/secret separator of the sso-key header')
  if (!HEADER_SAFE.test(secret)) throw new ConfigError(keyPath(path, 'secret'), 'contains spaces or control characters, which cannot go into an HTTP header')

  const domain = normalizeDomain(reqString(t, 'domain', path), keyPath(path, 'domain'))
  const records = recordList(optStringArray(t, 'records', path), domain, keyPath(path, 'records'), ctx.warn, '"@"')
  const baseUrl = optUrl(t, 'base_url', path) ?? GODADDY_BASE_URL
  const account = `godaddy:${new URL(baseUrl).host}:${fingerprint(key)}`
  return { settings: { domain, key, secret, records, baseUrl, account }, names: records, zone: domain, account }
}

function isMeta(m: unknown): m is GoDaddyMeta {
  return typeof m === 'object' && m !== null && Array.isArray((m as Partial<GoDaddyMeta>).records)
}

class GoDaddyProvider implements Provider {
  private readonly api: GoDaddyApi

  constructor(
    private readonly s: GoDaddySettings,
    private readonly ttl: number | undefined,
  ) {
    this.api = new GoDaddyApi(s.baseUrl, s.key, s.secret)
  }

  /** Calls of one account go one at a time (GoDaddy allows 60 a minute per key). */
  private queued<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    return accountQueue(ctx, this.s.account).run(fn, 0, ctx.signal)
  }

  /**
   * One `GET …/records/{type}/{name}` per ref; an empty list is `absent`, after one more GET shows
   * no CNAME at the name (a CNAME is a `conflict`, BC-11). A failed lookup is `failed`, never
   * `absent` (BC-34), and after an account-wide failure the remaining refs fail with it unsent.
   */
  async read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    return readInTurn(refs, (ref) => this.readOne(ref, ctx))
  }

  private async readOne(ref: RecordRef, ctx: Ctx): Promise<Current> {
    const rel = relativeName(ref.fqdn, this.s.domain)
    if (rel === undefined) {
      return { kind: 'failed', error: new EdgeError('config', `godaddy: ${ref.fqdn} is not inside domain ${this.s.domain}`, { retryable: false }) }
    }
    const found = await this.queued(ctx, () => this.api.records(ctx, this.s.domain, ref.type, rel))
    if (found.length > 0) return { kind: 'present', values: found.map((r) => r.data), via: 'api', meta: { records: found } satisfies GoDaddyMeta }
    const cname = await this.queued(ctx, () => this.api.records(ctx, this.s.domain, 'CNAME', rel))
    if (cname.length > 0) {
      return {
        kind: 'failed',
        error: new EdgeError('conflict', `godaddy: ${ref.fqdn} is a CNAME (to ${cname.map((r) => r.data).join(', ')}); an ${ref.type} record cannot exist beside it`, {
          retryable: false,
          hint: `remove the CNAME at GoDaddy, or take ${ref.fqdn} out of records`,
        }),
      }
    }
    return { kind: 'absent', via: 'api', meta: { records: [] } satisfies GoDaddyMeta }
  }

  /**
   * `PUT …/records/{type}/{name}` with exactly `[{data, ttl}]`: the record's own TTL for an update,
   * the configured one (else 600) for a create. Only the name-scoped path is ever written.
   * Changes go one after the other; after an account-wide failure the rest fail unsent.
   */
  async write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    return writeInTurn(changes, (ch) => this.writeOne(ch, ctx))
  }

  private async writeOne(ch: Change, ctx: Ctx): Promise<Outcome> {
    const { ref, value, current } = ch
    if (current.kind === 'failed') return { ref, status: 'failed', value, error: current.error }
    if (!isMeta(current.meta)) {
      throw new EdgeError('internal', `godaddy: ${ref.fqdn} ${ref.type}: change carries no GoDaddy read result (this is a bug in edge-ddns, please report it)`)
    }
    const rel = relativeName(ref.fqdn, this.s.domain)
    if (rel === undefined) throw new EdgeError('config', `godaddy: ${ref.fqdn} is not inside domain ${this.s.domain}`, { retryable: false })
    const records = current.meta.records
    let body: GdRecordWrite[]
    if (current.kind === 'present') {
      const rec = records[0]
      if (!rec || records.length !== 1) {
        throw new EdgeError('conflict', `godaddy: ${ref.fqdn} has ${records.length} ${ref.type} records; edge-ddns updates a name only when it holds one`, { retryable: false })
      }
      const ttl = rec.ttl ?? this.ttl
      body = [{ data: value, ...(ttl !== undefined ? { ttl } : {}) }]
    } else {
      if (!ch.create) return { ref, status: 'missing', value }
      body = [{ data: value, ttl: this.ttl ?? GODADDY_MIN_TTL }]
    }
    await this.queued(ctx, () => this.api.replace(ctx, this.s.domain, ref.type, rel, body))
    return current.kind === 'present' ? { ref, status: 'updated', value, previous: current.values } : { ref, status: 'created', value }
  }
}

/** The GoDaddy provider definition (registry entry `godaddy`). */
export const godaddy: ProviderDef<GoDaddySettings> = {
  name: 'godaddy',
  summary: 'GoDaddy DNS through the Domains API v1 (API key + secret)',
  docs: 'https://developer.godaddy.com/doc/endpoint/domains',
  keys: [
    { key: 'domain', required: true, doc: 'the domain at GoDaddy, e.g. example.com' },
    { key: 'key', required: true, secret: true, doc: 'API key (Production) from https://developer.godaddy.com/keys' },
    { key: 'secret', required: true, secret: true, doc: "the API key's secret" },
    { key: 'records', required: true, doc: 'record names relative to domain: @ (apex), home, *; a full name ending in the domain works too' },
    { key: 'base_url', required: false, doc: `API base URL (default ${GODADDY_BASE_URL})` },
  ],
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  // GoDaddy documents no maximum; RFC 2181 section 8 caps a TTL at 2^31 - 1.
  ttl: { min: GODADDY_MIN_TTL, max: 2147483647 },
  parse,
  create: (settings, opts) => new GoDaddyProvider(settings, opts.ttl),
}
