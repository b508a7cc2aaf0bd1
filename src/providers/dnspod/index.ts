import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import type { ProviderDef, RecordRef } from '../types.js'
import { atName, jsonObject, notTheApi, parseZoneEntry, send, serviceError, zoneKeyDocs, ZoneProvider, type KindRow, type ZoneApi, type ZoneRecord, type ZoneSettings } from '../sign/zone.js'
import { tc3Authorization } from './tc3.js'

/**
 * DNSPod through Tencent Cloud API 3.0 (`type = "dnspod"`): keys `zone`, `records`, `secret_id`,
 * `secret_key`, optional `base_url` (default https://dnspod.tencentcloudapi.com; the international
 * site's is https://dnspod.intl.tencentcloudapi.com).
 *
 * Version 2021-03-23, POSTs of JSON signed with TC3-HMAC-SHA256 (./tc3.ts). Reads every record at
 * the name with DescribeRecordList (`Subdomain`, all pages; "no records" is the error
 * `ResourceNotFound.NoDataOfRecord`, which means absent), updates one with ModifyRecord sending
 * back its line, TTL, status and weight (an omitted TTL or status would be reset), creates with
 * CreateRecord on the default line. Errors come with HTTP 200 in `Response.Error`;
 * `InvalidParameter.DomainRecordExist` ("the record already exists") is "no change". See README.md.
 */

export const DNSPOD_BASE_URL = 'https://dnspod.tencentcloudapi.com'
const NAME = 'dnspod'
const CT = 'application/json; charset=utf-8'
const PAGE = 100

/** DNSPod's and Tencent Cloud's common error codes, tested on `<Code> <Message>`. */
const ROWS: readonly KindRow[] = [
  [/^AuthFailure\.SignatureExpire/, 'clock'],
  [/^(AuthFailure\.UnauthorizedOperation|UnauthorizedOperation|OperationDenied)/, 'forbidden'],
  [/^AuthFailure/, 'auth'],
  [/^(InvalidParameterValue\.DomainNotExists|ResourceNotFound\.NoDataOfDomain|FailedOperation\.NotDomainOwner|InvalidParameter\.DomainInvalid)/, 'notfound'],
  [/^(RequestLimitExceeded|LimitExceeded\.RequestLimitExceeded)/, 'ratelimit'],
  [/^(InternalError|FailedOperation\.UnknowError)/, 'transient'],
  [/^(InvalidParameter|LimitExceeded|MissingParameter)/, 'invalid'],
]

const HINTS = {
  auth: 'check secret_id and secret_key',
  forbidden: 'the CAM user needs the QcloudDNSPodFullAccess policy',
  notfound: 'check zone: a domain of this account',
}

type Json = Record<string, unknown>

class DnspodApi implements ZoneApi {
  private readonly url: URL

  constructor(private readonly s: ZoneSettings) {
    this.url = new URL(`${s.baseUrl}/`)
  }

  /** One signed POST of `action`; returns `Response`, or undefined for `undefinedOn` (a no-change or empty answer). */
  private async call(ctx: Ctx, action: string, params: Json, undefinedOn: string): Promise<Json | undefined> {
    const payload = JSON.stringify(params)
    const ts = Math.floor(ctx.now() / 1000)
    const authorization = tc3Authorization(this.s.creds.secret_id as string, this.s.creds.secret_key as string, NAME, { host: this.url.host, path: this.url.pathname, contentType: CT, payload }, ts)
    const res = await send(ctx, NAME, action, {
      method: 'POST',
      url: this.url.href,
      headers: { authorization, 'content-type': CT, 'x-tc-action': action, 'x-tc-timestamp': String(ts), 'x-tc-version': '2021-03-23', 'x-tc-language': 'en-US' },
      body: payload,
    })
    const v = jsonObject(res.body)?.Response
    const r = typeof v === 'object' && v !== null ? (v as Json) : undefined
    const err = r?.Error as Json | undefined
    const code = typeof err?.Code === 'string' ? err.Code : ''
    if (res.status >= 200 && res.status < 300 && r && !err) return r
    if (code && code === undefinedOn) return undefined
    if (!r && res.status < 300) throw notTheApi(NAME, res)
    throw serviceError(ctx, NAME, res, code, typeof err?.Message === 'string' ? err.Message : r ? '' : `unexpected ${res.contentType || 'answer'}`, ROWS, HINTS)
  }

  async list(ctx: Ctx, ref: RecordRef, rel: string): Promise<ZoneRecord[]> {
    const sub = rel || '@'
    const all: Json[] = []
    for (let offset = 0; offset < 50 * PAGE; ) {
      // `Subdomain` here; ModifyRecord and CreateRecord spell it `SubDomain`.
      const r = await this.call(ctx, 'DescribeRecordList', { Domain: this.s.zone, Subdomain: sub, Limit: PAGE, Offset: offset }, 'ResourceNotFound.NoDataOfRecord')
      if (!r) break
      if (!Array.isArray(r.RecordList)) throw new EdgeError('protocol', `${NAME}: DescribeRecordList answer has no RecordList`)
      all.push(...(r.RecordList as Json[]))
      offset += r.RecordList.length
      if (r.RecordList.length === 0 || offset >= Number((r.RecordCountInfo as Json | undefined)?.TotalCount ?? 0)) break
    }
    return atName(NAME, ref, all, sub, 'Name', 'Type')
      .map((x) => {
        // Listed as Line/LineId, sent back as RecordLine/RecordLineId; ModifyRecord resets an omitted Status to ENABLE.
        const keep: Record<string, string | number> = {}
        for (const [from, to] of [['Line', 'RecordLine'], ['LineId', 'RecordLineId'], ['Status', 'Status'], ['Weight', 'Weight']]) {
          const v = x[from as string]
          if (typeof v === 'string' || typeof v === 'number') keep[to as string] = v
        }
        return { id: String(x.RecordId), values: [String(x.Value)], ...(typeof x.TTL === 'number' ? { ttl: x.TTL } : {}), keep }
      })
  }

  async update(ctx: Ctx, ref: RecordRef, rel: string, rec: ZoneRecord, value: string): Promise<boolean> {
    const p: Json = { Domain: this.s.zone, RecordId: Number(rec.id), SubDomain: rel || '@', RecordType: ref.type, Value: value, ...rec.keep }
    if (rec.ttl !== undefined) p.TTL = rec.ttl
    return (await this.call(ctx, 'ModifyRecord', p, 'InvalidParameter.DomainRecordExist')) !== undefined
  }

  async create(ctx: Ctx, ref: RecordRef, rel: string, value: string, ttl: number | undefined): Promise<boolean> {
    // Line "默认" (default) by id "0", which takes precedence and is the same on both sites.
    const p: Json = { Domain: this.s.zone, SubDomain: rel || '@', RecordType: ref.type, RecordLine: '默认', RecordLineId: '0', Value: value }
    if (ttl !== undefined) p.TTL = ttl
    return (await this.call(ctx, 'CreateRecord', p, 'InvalidParameter.DomainRecordExist')) !== undefined
  }
}

/** The DNSPod provider definition (registry entry `dnspod`). */
export const dnspod: ProviderDef<ZoneSettings> = {
  name: NAME,
  summary: 'DNSPod (Tencent Cloud) through API 3.0 (TC3-HMAC-SHA256, SecretId + SecretKey)',
  docs: 'https://www.tencentcloud.com/document/api/1157/51290',
  keys: zoneKeyDocs(
    [
      ['secret_id', 'API SecretId (AKID...)'],
      ['secret_key', 'API SecretKey'],
    ],
    DNSPOD_BASE_URL,
  ),
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  // "TTL. Value range: 1–604800. The minimum value varies by domain level" (600 on the free plan).
  ttl: { min: 1, max: 604800 },
  parse: (t, path, ctx) => parseZoneEntry(t, path, ctx, { type: NAME, baseUrl: DNSPOD_BASE_URL, creds: ['secret_id', 'secret_key'], headerIds: ['secret_id'] }),
  create: (s, o) => new ZoneProvider(s, new DnspodApi(s), o.ttl),
}
