import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError, toEdgeError, type ErrorKind } from '../../errors.js'
import { keyPath, optUrl, rejectUnknown, reqString, type Table } from '../../config/fields.js'
import type { HttpRequest, HttpResponse } from '../../net/http.js'
import { accountQueue } from '../godaddy/queue.js'
import { fingerprint } from '../credentials.js'
import { normalizeDomain, parseRecords, reqSecret } from '../push/names.js'
import type { Change, Current, KeyDoc, Outcome, ParseCtx, ParsedEntry, Provider, RecordRef } from '../types.js'

/**
 * The part of the signed-API providers (Route 53, Alibaba Cloud DNS, DNSPod) that does not depend
 * on the service: the `[[domains]]` keys they share (`zone`, `records`, `base_url` and the
 * credentials), one record name and type read and written at a time through a `ZoneApi`, and
 * service error codes turned into EdgeError kinds by a table.
 *
 * Names follow the core issue for new providers: `records` relative to `zone` (`@` or `""` is the
 * apex, `*` the wildcard), or full names ending in the zone.
 */

/** One record (Route 53: one RRset) at the asked name and type, as the service lists it. */
export interface ZoneRecord {
  /** The service's id (Route 53: the name; the change addresses the RRset by name and type). */
  id: string
  values: string[]
  /** Seconds, when the service gave one; sent back unchanged on update. */
  ttl?: number
  /** Service fields sent back unchanged on update (line, status, weight...). */
  keep?: Record<string, string | number>
}

/** The three calls a service offers. Each throws EdgeError; none logs a secret. */
export interface ZoneApi {
  /**
   * The records of `ref.type` at `ref.fqdn` (only exactly that name and type). `rel` is the name
   * relative to the zone, `''` for the apex. Throws kind `conflict` for a CNAME (or an alias or a
   * routing-policy record) at the name.
   */
  list(ctx: Ctx, ref: RecordRef, rel: string): Promise<ZoneRecord[]>
  /** Sets `rec` to `value`, everything else kept; false when the service says nothing changed. */
  update(ctx: Ctx, ref: RecordRef, rel: string, rec: ZoneRecord, value: string): Promise<boolean>
  /** Creates the record with `ttl` (service default when undefined); false when it already existed. */
  create(ctx: Ctx, ref: RecordRef, rel: string, value: string, ttl: number | undefined): Promise<boolean>
}

/** A validated entry of a signed-API provider. */
export interface ZoneSettings {
  /** Lower case, no trailing dot (`example.com`). */
  zone: string
  /** Full record names, lower case, no trailing dot, in order, without duplicates. */
  records: string[]
  /** API base without a trailing slash. */
  baseUrl: string
  /** The credential keys of the entry, trimmed (`access_key_id` ...). */
  creds: Record<string, string>
  /** Provider-specific keys (`hosted_zone_id`). */
  extra: Record<string, string>
  /** `<type>:<host>:<fingerprint of the first credential>`: queue and state key. */
  account: string
  /** Milliseconds between the starts of two calls of one account (tests lower it). */
  minGapMs: number
}

/** What the keys of one provider are, for `parseZoneEntry`. */
export interface ZoneKeys {
  type: string
  baseUrl: string
  /** Required credentials; the first names the account. All are registered as secrets. */
  creds: string[]
  /** Optional credentials (`session_token`). */
  optCreds?: string[]
  /** Other required string keys. */
  extra?: string[]
  /** Credentials that go into the `Credential=<id>/...` field of an Authorization header. */
  headerIds?: string[]
  minGapMs?: number
}

/**
 * Validates `zone`, `records`, `base_url` and the provider's credential keys, registering every
 * credential (identifiers too) as a secret before anything can echo it.
 * @throws ConfigError naming the key.
 */
export function parseZoneEntry(t: Table, path: string, ctx: ParseCtx, k: ZoneKeys): ParsedEntry<ZoneSettings> {
  rejectUnknown(t, ['zone', 'records', 'base_url', ...k.creds, ...(k.optCreds ?? []), ...(k.extra ?? [])], path)
  const creds: Record<string, string> = {}
  for (const key of [...k.creds, ...(k.optCreds ?? [])]) {
    if (t[key] === undefined && !k.creds.includes(key)) continue
    const v = reqSecret(t, key, path, (s) => ctx.secret(s), ctx.warn)
    if (k.headerIds?.includes(key) && /[\s/,]/.test(v)) throw new ConfigError(keyPath(path, key), 'contains a space, "/" or ",", which the Authorization header cannot carry')
    creds[key] = v
  }
  const extra: Record<string, string> = {}
  for (const key of k.extra ?? []) extra[key] = reqString(t, key, path)
  const zone = normalizeDomain(reqString(t, 'zone', path), keyPath(path, 'zone'))
  const records = parseRecords(t, 'records', zone, path, ctx.warn, true)
  const baseUrl = optUrl(t, 'base_url', path) ?? k.baseUrl
  const account = `${k.type}:${new URL(baseUrl).host}:${fingerprint(creds[k.creds[0] as string] as string)}`
  return { settings: { zone, records, baseUrl, creds, extra, account, minGapMs: k.minGapMs ?? 0 }, names: records, zone, account }
}

/** The key docs of a signed-API provider: `first`, `zone`, `records`, the credentials, `base_url`. */
export function zoneKeyDocs(creds: [string, string, boolean?][], baseUrl: string, first: KeyDoc[] = []): KeyDoc[] {
  return [
    ...first,
    { key: 'zone', required: true, doc: 'the zone, e.g. example.com' },
    { key: 'records', required: true, doc: 'names in zone: @ or "" (apex), home, *, or full names' },
    ...creds.map(([key, doc, opt]) => ({ key, required: !opt, secret: true, doc })),
    { key: 'base_url', required: false, doc: `API endpoint (default ${baseUrl})` },
  ]
}

/** The JSON object in `body`, or undefined when it is not one. */
export function jsonObject(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body)
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/**
 * The items of `all` at the asked name (`field` compared case-insensitively with `name`) and of
 * `ref.type`, for services that list every type at a name.
 * @throws EdgeError kind `conflict` when a CNAME is there (BC-11).
 */
export function atName(provider: string, ref: RecordRef, all: Record<string, unknown>[], name: string, field: string, typeField: string): Record<string, unknown>[] {
  const here = all.filter((x) => String(x[field]).toLowerCase() === name)
  if (here.some((x) => x[typeField] === 'CNAME')) throw cnameConflict(provider, ref)
  return here.filter((x) => x[typeField] === ref.type)
}

/** `<provider>: home.example.com has a CNAME record; an A record cannot exist beside it`. */
export function cnameConflict(provider: string, ref: RecordRef): EdgeError {
  return new EdgeError('conflict', `${provider}: ${ref.fqdn} has a CNAME record; an ${ref.type} record cannot exist beside it`, { retryable: false })
}

/** What `read` leaves in `Current.meta`. */
export interface ZoneMeta {
  records: ZoneRecord[]
}

/** Without these kinds an entry's remaining calls would meet the same answer; they stop it for the run. */
const LOCAL: ReadonlySet<ErrorKind> = new Set(['invalid', 'conflict', 'config'])

/** One entry of a signed-API provider: reads and writes one name and type at a time, in order. */
export class ZoneProvider implements Provider {
  constructor(
    private readonly s: ZoneSettings,
    private readonly api: ZoneApi,
    private readonly ttl: number | undefined,
  ) {}

  /** Calls of one account go one at a time, `minGapMs` apart (Route 53 allows five a second). */
  private q<T>(ctx: Ctx, fn: () => Promise<T>): Promise<T> {
    return accountQueue(ctx, this.s.account).run(fn, this.s.minGapMs, ctx.signal)
  }

  private rel(ref: RecordRef): string {
    const z = this.s.zone
    if (ref.fqdn === z) return ''
    if (ref.fqdn.endsWith(`.${z}`)) return ref.fqdn.slice(0, -z.length - 1)
    throw new EdgeError('config', `${ref.fqdn} is not inside zone ${z}`, { retryable: false })
  }

  /** A failed lookup is `failed`, never `absent` (BC-34); after an account-wide failure the rest fail unsent. */
  async read(refs: RecordRef[], ctx: Ctx): Promise<Current[]> {
    let stop: EdgeError | undefined
    const out: Current[] = []
    for (const ref of refs) {
      try {
        if (stop) throw stop
        const recs = await this.q(ctx, () => this.api.list(ctx, ref, this.rel(ref)))
        const meta: ZoneMeta = { records: recs }
        out.push(recs.length ? { kind: 'present', values: recs.flatMap((r) => r.values), via: 'api', meta } : { kind: 'absent', via: 'api', meta })
      } catch (e) {
        const error = toEdgeError(e)
        if (!LOCAL.has(error.kind)) stop = error
        out.push({ kind: 'failed', error })
      }
    }
    return out
  }

  /**
   * Updates the one record read (its TTL and other fields sent back as they were), or creates it
   * when the change says so (TTL configured or the service's default). A "no change" answer is
   * `unchanged`.
   */
  async write(changes: Change[], ctx: Ctx): Promise<Outcome[]> {
    let stop: EdgeError | undefined
    const out: Outcome[] = []
    for (const ch of changes) {
      const { ref, value, current: cur } = ch
      const previous = cur.kind === 'present' ? cur.values : undefined
      if (cur.kind === 'failed') {
        out.push({ ref, status: 'failed', value, error: cur.error })
        continue
      }
      try {
        if (stop) throw stop
        const recs = (cur.meta as ZoneMeta | undefined)?.records ?? []
        const rel = this.rel(ref)
        let status: Outcome['status']
        if (cur.kind === 'present') {
          const rec = recs[0]
          if (!rec || recs.length !== 1 || rec.values.length !== 1) {
            throw new EdgeError('conflict', `${ref.fqdn} has ${cur.values.length} ${ref.type} values; edge-ddns updates a name only when it holds one`, { retryable: false })
          }
          status = (await this.q(ctx, () => this.api.update(ctx, ref, rel, rec, value))) ? 'updated' : 'unchanged'
        } else if (!ch.create) status = 'missing'
        else status = (await this.q(ctx, () => this.api.create(ctx, ref, rel, value, this.ttl))) ? 'created' : 'unchanged'
        out.push({ ref, status, value, ...(previous ? { previous } : {}) })
      } catch (e) {
        const error = toEdgeError(e)
        if (!LOCAL.has(error.kind)) stop = error
        out.push({ ref, status: 'failed', value, ...(previous ? { previous } : {}), error })
      }
    }
    return out
  }
}

/**
 * Sends one request with the run's signal and timeout. Logs `<name>: <label>: HTTP <status>, <n>
 * bytes` at debug level: never the URL or headers, which carry the signature and key id.
 * @throws EdgeError from the HTTP client, prefixed with `<name>: `.
 */
export async function send(ctx: Ctx, name: string, label: string, req: HttpRequest): Promise<HttpResponse> {
  let res: HttpResponse
  try {
    res = await ctx.http.request({ ...req, signal: ctx.signal, timeoutMs: ctx.timeouts.httpMs })
  } catch (e) {
    throw toEdgeError(e).withContext(name)
  }
  ctx.log.debug(`${name}: ${label}: HTTP ${res.status}, ${res.body.length} bytes`)
  return res
}

/** A row of a service's error table: a pattern tested on `<Code> <Message>`, and the kind it means. */
export type KindRow = readonly [RegExp, ErrorKind]

/** Hints per kind: one sentence telling the user what to do. */
export type Hints = Partial<Record<ErrorKind, string>>

/** Signatures carry the time; every one of these services refuses a clock off by more than minutes. */
const CLOCK_HINT = 'the signature carries the time: set the system clock right (NTP)'

/** Seconds to hold off after a throttling answer: these services count calls per second, and none sends Retry-After. */
export const THROTTLE_HOLD_SEC = 60

/**
 * The EdgeError for a service's error answer: `<name>: HTTP <status> from <host>: <Code>: <Message>`,
 * the kind from the first matching row of `rows`, else from the HTTP status (401 auth, 403
 * forbidden, 404 notfound, 429 ratelimit, 5xx transient, other 4xx invalid, else provider). The
 * text is passed through the run's redactor (a service may echo what it was sent).
 */
export function serviceError(ctx: Ctx, name: string, res: HttpResponse, code: string, message: string, rows: readonly KindRow[], hints: Hints): EdgeError {
  const st = res.status
  const kind: ErrorKind =
    rows.find(([re]) => re.test(`${code} ${message}`))?.[1] ??
    (st === 401 ? 'auth' : st === 403 ? 'forbidden' : st === 404 ? 'notfound' : st === 429 ? 'ratelimit' : st >= 500 ? 'transient' : st >= 400 ? 'invalid' : 'provider')
  const text = [code, message.trim()].filter(Boolean).join(': ') || 'no error details'
  const hint = kind === 'clock' ? CLOCK_HINT : hints[kind]
  return new EdgeError(kind, ctx.redactor.redact(`${name}: HTTP ${st} from ${res.host}: ${text}`), {
    code: code || st,
    ...(hint ? { hint } : {}),
    ...(kind === 'ratelimit' ? { retryAfterSec: THROTTLE_HOLD_SEC } : {}),
  })
}

/** The error for a 2xx answer that is not what the API sends: `unexpected text/html from <host>`. */
export function notTheApi(name: string, res: HttpResponse): EdgeError {
  return new EdgeError('protocol', `${name}: unexpected ${res.contentType || 'answer'} from ${res.host} (HTTP ${res.status})`, {
    code: res.status,
    retryable: false,
    hint: 'base_url must point at the API itself; remove it to use the default',
  })
}
