import type { Ctx } from '../../context.js'
import { ConfigError, EdgeError } from '../../errors.js'
import type { Provider, ProviderDef, RecordRef } from '../types.js'
import { canonicalQuery } from '../sign/hmac.js'
import { fail, notTheApi, ok, signedSend, type KindRow } from '../api/call.js'
import { API_CAPS, MAX_TTL, rel, signedEntry, signedKeys, type SignedSettings } from '../api/entry.js'
import { apiProvider, beside, type ZoneRecord } from '../api/provider.js'
import { escapeXml, xmlAll, xmlDecode, xmlText } from '../xml.js'
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

// ---- names -------------------------------------------------------------------------------------

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

function driver(s: SignedSettings, ttl: number | undefined): Provider {
  const c = s.creds
  const creds: AwsCredentials = { accessKeyId: c.access_key_id as string, secretAccessKey: c.secret_access_key as string, ...(c.session_token ? { sessionToken: c.session_token } : {}) }
  const base = new URL(s.baseUrl)
  const rrset = `${base.pathname.replace(/\/$/, '')}/2013-04-01/hostedzone/${s.extra.hosted_zone_id}/rrset`

  /** Sends one signed request; returns the XML of a 2xx answer, throws the service's error otherwise. */
  const call = async (ctx: Ctx, method: string, path: string, query: Record<string, string>, body: string, root: string): Promise<string> => {
    const q = canonicalQuery(query)
    const res = await signedSend(ctx, NAME, s, `${method} ${root.replace(/Response$/, '')}`, () => ({
      method,
      url: `${base.origin}${path}${q ? `?${q}` : ''}`,
      headers: signV4({ method, host: base.host, path, query, body, ...(body ? { headers: { 'content-type': 'text/xml' } } : {}) }, creds, 'us-east-1', NAME, ctx.now()),
      ...(body ? { body } : {}),
    }))
    if (ok(res)) {
      if (!res.body.includes(`<${root}`)) throw notTheApi(NAME, res)
      return res.body
    }
    const err = xmlAll(res.body, 'Error')[0]
    // ChangeResourceRecordSets refuses a batch with its own root: <InvalidChangeBatch><Messages><Message>.
    const [code, text] = res.body.includes('<InvalidChangeBatch')
      ? ['InvalidChangeBatch', xmlAll(res.body, 'Message').map(xmlDecode).join('; ')]
      : err === undefined
        ? ['', res.contentType.includes('html') ? `unexpected ${res.contentType}` : res.body.trim().slice(0, 200)]
        : [xmlText(err, 'Code') ?? '', xmlText(err, 'Message') ?? '']
    throw fail(ctx, NAME, res, text, code, ROWS, HINTS)
  }

  const change = async (ctx: Ctx, action: 'UPSERT' | 'CREATE', ref: RecordRef, value: string, t: number): Promise<void> => {
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="${NS}"><ChangeBatch><Changes><Change>` +
      `<Action>${action}</Action><ResourceRecordSet><Name>${escapeXml(`${ref.fqdn}.`)}</Name><Type>${ref.type}</Type><TTL>${t}</TTL>` +
      `<ResourceRecords><ResourceRecord><Value>${escapeXml(value)}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>` +
      `</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
    await call(ctx, 'POST', `${rrset}/`, {}, body, 'ChangeResourceRecordSetsResponse')
  }

  return apiProvider<ZoneRecord>(NAME, {
    async get(ref, ctx) {
      rel(ref.fqdn, s.zone)
      const xml = await call(ctx, 'GET', rrset, { name: `${ref.fqdn}.`, type: ref.type, maxitems: '1' }, '', 'ListResourceRecordSetsResponse')
      const set = xmlAll(xml, 'ResourceRecordSet')[0]
      // The listing starts at (name, type): the first RRset may be the next name, or another type.
      if (set === undefined || r53Name(xmlText(set, 'Name') ?? '') !== ref.fqdn) return []
      const type = xmlText(set, 'Type')
      // The listing orders types alphabetically: from (name, A) or (name, AAAA) a CNAME at the name comes first.
      if (type === 'CNAME') throw beside(NAME, ref, 'has a CNAME record')
      if (type !== ref.type) return []
      const why = set.includes('<AliasTarget') ? 'an alias' : xmlText(set, 'SetIdentifier') !== undefined ? 'a routing-policy (SetIdentifier)' : ''
      if (why) throw new EdgeError('conflict', `${NAME}: ${ref.fqdn} ${ref.type} is ${why} record; edge-ddns only changes simple records`)
      const t = Number(xmlText(set, 'TTL'))
      return [{ id: `${ref.fqdn}.`, values: xmlAll(set, 'Value').map(xmlDecode), ...(Number.isInteger(t) ? { ttl: t } : {}) }]
    },
    value: (r) => r.values,
    // A simple RRset always has a TTL (alias RRsets, which have none, are refused at read).
    update: (ref, value, [r], ctx) => change(ctx, 'UPSERT', ref, value, r?.ttl ?? 300),
    // CREATE, not UPSERT: it fails instead of overwriting an RRset made since it was read.
    create: (ref, value, ctx) => change(ctx, 'CREATE', ref, value, ttl ?? 300),
  })
}

/** The Route 53 provider definition (registry entry `route53`). */
export const route53: ProviderDef<SignedSettings> = {
  name: NAME,
  summary: 'Amazon Route 53 through its REST API (SigV4-signed with an access key)',
  docs: 'https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html',
  keys: signedKeys(
    [
      ['access_key_id', 'IAM access key id'],
      ['secret_access_key', 'IAM secret access key'],
      ['session_token', 'of temporary credentials', true],
    ],
    ROUTE53_BASE_URL,
    [{ key: 'hosted_zone_id', required: true, doc: 'hosted zone id (Z...)' }],
  ),
  capabilities: API_CAPS,
  ttl: { min: 0, max: MAX_TTL },
  parse: (t, path, ctx) => {
    // Route 53 allows five requests a second per account.
    const p = signedEntry(t, path, ctx, route53, ROUTE53_BASE_URL, ['access_key_id'], 200)
    const id = (p.settings.extra.hosted_zone_id as string).replace(/^\/?hostedzone\//, '')
    if (!/^[A-Z0-9]{1,32}$/i.test(id)) throw new ConfigError(`${path}.hosted_zone_id`, 'is not a hosted zone id such as "Z0123456789ABCDEFGHIJ"')
    p.settings.extra.hosted_zone_id = id
    return p
  },
  create: (s, o) => driver(s, o.ttl),
}
