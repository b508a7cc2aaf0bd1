import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError } from '../../errors.js'
import type { HttpResponse } from '../../net/http.js'
import type { ProviderDef, RecordRef } from '../types.js'
import { canonicalQuery } from '../sign/hmac.js'
import { cnameConflict, notTheApi, parseZoneEntry, send, serviceError, zoneKeyDocs, ZoneProvider, type KindRow, type ZoneApi, type ZoneRecord, type ZoneSettings } from '../sign/zone.js'
import { signV4, type AwsCredentials } from './sigv4.js'

/**
 * Amazon Route 53 (`type = "route53"`): keys `hosted_zone_id`, `zone`, `records`,
 * `access_key_id`, `secret_access_key`, optional `session_token` and `base_url`.
 *
 * Reads one RRset with ListResourceRecordSets
 * (`GET /2013-04-01/hostedzone/{id}/rrset?name=&type=&maxitems=1`); the name is where the listing
 * starts, not a filter, so the answer's first RRset is checked to be that name and type. Writes one
 * RRset with ChangeResourceRecordSets (`POST /2013-04-01/hostedzone/{id}/rrset/`, an UPSERT that
 * sends back the TTL read; a CREATE for a missing record). Requests are signed with SigV4 for
 * region us-east-1, service route53. See README.md.
 */

export const ROUTE53_BASE_URL = 'https://route53.amazonaws.com'
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/'
const NAME = 'route53'

// ---- the few XML elements Route 53 answers with ------------------------------------------------

/** The text of every `<tag>` element in `xml` (attributes allowed, no nesting of the same tag). */
export function xmlAll(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, 'g')
  return [...xml.matchAll(re)].map((m) => m[1] ?? '')
}

/** The decoded text of the first `<tag>`, or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const v = xmlAll(xml, tag)[0]
  return v === undefined ? undefined : unescapeXml(v.trim())
}

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** The five predefined entities and decimal character references decoded (all Route 53 sends). */
export function unescapeXml(s: string): string {
  return s.replace(/&(#\d+|\w+);/g, (m, e: string) => (e[0] === '#' ? String.fromCodePoint(Number(e.slice(1))) : (ENT[e] ?? m)))
}

/** `&`, `<`, `>`, `"`, `'` escaped for XML text. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A Route 53 name as compared: `\052` octal escapes decoded (`*`), lower case, no trailing dot. */
export function r53Name(s: string): string {
  return s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))).replace(/\.$/, '').toLowerCase()
}

// ---- errors --------------------------------------------------------------------------------------

/**
 * Route 53's error codes (API reference, "Errors" of ListResourceRecordSets and
 * ChangeResourceRecordSets, and "Common Errors"), tested on `<Code> <Message>`.
 */
const ROWS: readonly KindRow[] = [
  [/Signature expired|RequestExpired|RequestTimeTooSkewed/i, 'clock'],
  [/^(InvalidClientTokenId|SignatureDoesNotMatch|IncompleteSignature|MissingAuthenticationToken|ExpiredToken|UnrecognizedClient|InvalidSignature)/, 'auth'],
  [/^(AccessDenied|NotAuthorized|OptInRequired)/, 'forbidden'],
  [/^NoSuchHostedZone/, 'notfound'],
  [/^(Throttling|PriorRequestNotComplete)/, 'ratelimit'],
  [/^(InvalidChangeBatch|InvalidInput|InvalidDomainName|ValidationError)/, 'invalid'],
  [/^(InternalFailure|ServiceUnavailable)/, 'transient'],
]

const HINTS = {
  auth: 'check access_key_id, secret_access_key (and session_token)',
  forbidden: 'the IAM policy must allow route53:ListResourceRecordSets and ChangeResourceRecordSets',
  notfound: 'check hosted_zone_id',
}

// ---- the API -----------------------------------------------------------------------------------

class Route53Api implements ZoneApi {
  private readonly creds: AwsCredentials
  private readonly host: string
  private readonly path: string

  constructor(private readonly s: ZoneSettings) {
    const c = s.creds
    this.creds = { accessKeyId: c.access_key_id as string, secretAccessKey: c.secret_access_key as string, ...(c.session_token ? { sessionToken: c.session_token } : {}) }
    this.host = new URL(s.baseUrl).host
    this.path = `${new URL(s.baseUrl).pathname.replace(/\/$/, '')}/2013-04-01/hostedzone/${s.extra.hosted_zone_id}/rrset`
  }

  /** Sends one signed request; returns the XML of a 2xx answer, throws the service's error otherwise. */
  private async call(ctx: Ctx, method: string, path: string, query: Record<string, string>, body: string, root: string): Promise<string> {
    const headers = signV4({ method, host: this.host, path, query, body, ...(body ? { headers: { 'content-type': 'text/xml' } } : {}) }, this.creds, 'us-east-1', NAME, ctx.now())
    const q = canonicalQuery(query)
    const res = await send(ctx, NAME, `${method} ${root.replace(/Response$/, '')}`, {
      method,
      url: `${new URL(this.s.baseUrl).origin}${path}${q ? `?${q}` : ''}`,
      headers,
      ...(body ? { body } : {}),
    })
    if (res.status >= 200 && res.status < 300) {
      if (!res.body.includes(`<${root}`)) throw notTheApi(NAME, res)
      return res.body
    }
    throw this.error(ctx, res)
  }

  private error(ctx: Ctx, res: HttpResponse): EdgeError {
    // ChangeResourceRecordSets refuses a batch with its own root: <InvalidChangeBatch><Messages><Message>.
    if (res.body.includes('<InvalidChangeBatch')) {
      return serviceError(ctx, NAME, res, 'InvalidChangeBatch', xmlAll(res.body, 'Message').map((m) => unescapeXml(m.trim())).join('; '), ROWS, HINTS)
    }
    const err = xmlAll(res.body, 'Error')[0]
    if (err === undefined) return serviceError(ctx, NAME, res, '', res.contentType.includes('html') ? `unexpected ${res.contentType}` : res.body.trim().slice(0, 200), ROWS, HINTS)
    return serviceError(ctx, NAME, res, xmlText(err, 'Code') ?? '', xmlText(err, 'Message') ?? '', ROWS, HINTS)
  }

  async list(ctx: Ctx, ref: RecordRef): Promise<ZoneRecord[]> {
    const xml = await this.call(ctx, 'GET', this.path, { name: `${ref.fqdn}.`, type: ref.type, maxitems: '1' }, '', 'ListResourceRecordSetsResponse')
    const set = xmlAll(xml, 'ResourceRecordSet')[0]
    // The listing starts at (name, type): the first RRset may be the next name, or another type.
    if (set === undefined || r53Name(xmlText(set, 'Name') ?? '') !== ref.fqdn) return []
    const type = xmlText(set, 'Type')
    // The listing orders types alphabetically: from (name, A) or (name, AAAA) a CNAME at the name comes first.
    if (type === 'CNAME') throw cnameConflict(NAME, ref)
    if (type !== ref.type) return []
    const why = set.includes('<AliasTarget') ? 'an alias' : xmlText(set, 'SetIdentifier') !== undefined ? 'a routing-policy (SetIdentifier)' : ''
    if (why) throw new EdgeError('conflict', `${NAME}: ${ref.fqdn} ${ref.type} is ${why} record; edge-ddns only changes simple records`, { retryable: false })
    const ttl = Number(xmlText(set, 'TTL'))
    return [{ id: `${ref.fqdn}.`, values: xmlAll(set, 'Value').map((v) => unescapeXml(v.trim())), ...(Number.isInteger(ttl) ? { ttl } : {}) }]
  }

  private async change(ctx: Ctx, action: 'UPSERT' | 'CREATE', ref: RecordRef, value: string, ttl: number): Promise<void> {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch><Changes><Change>` +
      `<Action>${action}</Action><ResourceRecordSet><Name>${escapeXml(`${ref.fqdn}.`)}</Name><Type>${ref.type}</Type><TTL>${ttl}</TTL>` +
      `<ResourceRecords><ResourceRecord><Value>${escapeXml(value)}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
    await this.call(ctx, 'POST', `${this.path}/`, {}, body, 'ChangeResourceRecordSetsResponse')
  }

  async update(ctx: Ctx, ref: RecordRef, _rel: string, rec: ZoneRecord, value: string): Promise<boolean> {
    // A simple RRset always has a TTL (alias RRsets, which have none, are refused at read).
    await this.change(ctx, 'UPSERT', ref, value, rec.ttl ?? 300)
    return true
  }

  async create(ctx: Ctx, ref: RecordRef, _rel: string, value: string, ttl: number | undefined): Promise<boolean> {
    // CREATE, not UPSERT: it fails instead of overwriting an RRset made since it was read.
    await this.change(ctx, 'CREATE', ref, value, ttl ?? 300)
    return true
  }
}

/** The Route 53 provider definition (registry entry `route53`). */
export const route53: ProviderDef<ZoneSettings> = {
  name: NAME,
  summary: 'Amazon Route 53 through its REST API (SigV4-signed with an access key)',
  docs: 'https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html',
  keys: zoneKeyDocs(
    [
      ['access_key_id', 'IAM access key id'],
      ['secret_access_key', 'IAM secret access key'],
      ['session_token', 'of temporary credentials', true],
    ],
    ROUTE53_BASE_URL,
    [{ key: 'hosted_zone_id', required: true, doc: 'hosted zone id (Z...)' }],
  ),
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  ttl: { min: 0, max: 2147483647 },
  parse: (t, path, ctx) => {
    const p = parseZoneEntry(t, path, ctx, {
      type: NAME,
      baseUrl: ROUTE53_BASE_URL,
      creds: ['access_key_id', 'secret_access_key'],
      optCreds: ['session_token'],
      extra: ['hosted_zone_id'],
      headerIds: ['access_key_id'],
      // Route 53 allows five requests a second per account.
      minGapMs: 200,
    })
    const id = (p.settings.extra.hosted_zone_id as string).replace(/^\/?hostedzone\//, '')
    if (!/^[A-Z0-9]{1,32}$/i.test(id)) throw new ConfigError(`${path}.hosted_zone_id`, 'is not a hosted zone id such as "Z0123456789ABCDEFGHIJ"')
    p.settings.extra.hosted_zone_id = id
    return p
  },
  create: (s, o) => new ZoneProvider(s, new Route53Api(s), o.ttl),
}
