import { randomUUID } from 'node:crypto'
import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import type { ProviderDef, RecordRef } from '../types.js'
import { canonicalQuery } from '../sign/hmac.js'
import { atName, jsonObject, notTheApi, parseZoneEntry, send, serviceError, zoneKeyDocs, ZoneProvider, type KindRow, type ZoneApi, type ZoneRecord, type ZoneSettings } from '../sign/zone.js'
import { rpcSignature, rpcTimestamp } from './sign.js'

/**
 * Alibaba Cloud DNS (`type = "alidns"`): keys `zone`, `records`, `access_key_id`,
 * `access_key_secret`, optional `base_url` (default https://alidns.aliyuncs.com).
 *
 * RPC API version 2015-01-09, signed GET requests (./sign.ts). Reads every record at the name with
 * DescribeSubDomainRecords (SubDomain = the full name, DomainName = the zone, all pages), so a CNAME
 * there is seen; updates one with UpdateDomainRecord sending back its TTL and Line (the service
 * resets an omitted TTL to 600 and Line to "default"); creates with AddDomainRecord. An update to
 * the value the record already has answers `DomainRecordDuplicate`: that is "no change".
 * See README.md.
 */

export const ALIDNS_BASE_URL = 'https://alidns.aliyuncs.com'
const NAME = 'alidns'
const PAGE = 100

/** Alibaba's error codes (Alibaba Cloud DNS API "Error codes" and the common ones), tested on `<Code> <Message>`. */
const ROWS: readonly KindRow[] = [
  [/^InvalidTimeStamp/, 'clock'],
  [/^(InvalidAccessKeyId|SignatureDoesNotMatch|IncompleteSignature|InvalidAccessKeySecret|MissingAccessKeyId|InvalidSecurityToken)/, 'auth'],
  [/^(Forbidden|NoPermission|InvalidUser|UserNotAuthorized)/, 'forbidden'],
  [/^(InvalidDomainName\.NoExist|IncorrectDomainUser|DomainRecordNotBelongToUser)/, 'notfound'],
  [/^Throttling/, 'ratelimit'],
  [/^DomainRecordConflict/, 'conflict'],
  [/^(InternalError|ServiceUnavailable|UnknownError|SignatureNonceUsed)/i, 'transient'],
]

const HINTS = {
  auth: 'check access_key_id and access_key_secret',
  forbidden: 'the RAM user needs the AliyunDNSFullAccess policy',
  notfound: 'check zone: a domain of this account',
}

type Json = Record<string, unknown>

class AlidnsApi implements ZoneApi {
  constructor(private readonly s: ZoneSettings) {}

  /**
   * One signed GET of `Action`; returns the JSON answer. `DomainRecordDuplicate` returns undefined:
   * the record already is as asked.
   */
  private async call(ctx: Ctx, action: string, params: Record<string, string>): Promise<Json | undefined> {
    const q: Record<string, string> = {
      Action: action,
      Format: 'JSON',
      Version: '2015-01-09',
      AccessKeyId: this.s.creds.access_key_id as string,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: randomUUID(),
      Timestamp: rpcTimestamp(ctx.now()),
      ...params,
    }
    q.Signature = rpcSignature('GET', q, this.s.creds.access_key_secret as string)
    const res = await send(ctx, NAME, action, { url: `${this.s.baseUrl}/?${canonicalQuery(q)}`, headers: { accept: 'application/json' } })
    const body = jsonObject(res.body)
    const code = typeof body?.Code === 'string' ? body.Code : ''
    if (res.status >= 200 && res.status < 300 && body && !code) return body
    if (code === 'DomainRecordDuplicate') return undefined
    if (!body && res.status < 300) throw notTheApi(NAME, res)
    // A SignatureDoesNotMatch message goes on with "server string to sign is:<the whole request>".
    const msg = typeof body?.Message === 'string' ? body.Message.replace(/\s*server string to sign is:[\s\S]*$/i, '') : body ? '' : `unexpected ${res.contentType || 'answer'}`
    throw serviceError(ctx, NAME, res, code, msg, ROWS, HINTS)
  }

  async list(ctx: Ctx, ref: RecordRef, rel: string): Promise<ZoneRecord[]> {
    const rr = rel || '@'
    const all: Json[] = []
    for (let page = 1; page <= 50; page++) {
      const body = await this.call(ctx, 'DescribeSubDomainRecords', { SubDomain: ref.fqdn, DomainName: this.s.zone, PageSize: String(PAGE), PageNumber: String(page) })
      const got = (body?.DomainRecords as Json | undefined)?.Record
      if (!Array.isArray(got)) throw new EdgeError('protocol', `${NAME}: DescribeSubDomainRecords answer has no DomainRecords.Record list`)
      all.push(...(got as Json[]))
      if (got.length === 0 || all.length >= Number(body?.TotalCount ?? 0)) break
    }
    return atName(NAME, ref, all, rr, 'RR', 'Type')
      .map((r): ZoneRecord => ({
        id: String(r.RecordId),
        values: [String(r.Value)],
        ...(typeof r.TTL === 'number' ? { ttl: r.TTL } : {}),
        ...(typeof r.Line === 'string' ? { keep: { Line: r.Line } } : {}),
      }))
  }

  async update(ctx: Ctx, ref: RecordRef, rel: string, rec: ZoneRecord, value: string): Promise<boolean> {
    const p: Record<string, string> = { RecordId: rec.id, RR: rel || '@', Type: ref.type, Value: value }
    if (rec.ttl !== undefined) p.TTL = String(rec.ttl)
    for (const [k, v] of Object.entries(rec.keep ?? {})) p[k] = String(v)
    return (await this.call(ctx, 'UpdateDomainRecord', p)) !== undefined
  }

  async create(ctx: Ctx, ref: RecordRef, rel: string, value: string, ttl: number | undefined): Promise<boolean> {
    const p: Record<string, string> = { DomainName: this.s.zone, RR: rel || '@', Type: ref.type, Value: value }
    if (ttl !== undefined) p.TTL = String(ttl)
    return (await this.call(ctx, 'AddDomainRecord', p)) !== undefined
  }
}

/** The Alibaba Cloud DNS provider definition (registry entry `alidns`). */
export const alidns: ProviderDef<ZoneSettings> = {
  name: NAME,
  summary: 'Alibaba Cloud DNS (Aliyun) through its RPC API (AccessKey pair)',
  docs: 'https://help.aliyun.com/document_detail/29742.html',
  keys: zoneKeyDocs(
    [
      ['access_key_id', 'AccessKey ID'],
      ['access_key_secret', 'AccessKey secret'],
    ],
    ALIDNS_BASE_URL,
  ),
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  // "TTL ... default 600"; the free edition's minimum is 600, paid editions go down to 1.
  ttl: { min: 1, max: 86400 },
  parse: (t, path, ctx) => parseZoneEntry(t, path, ctx, { type: NAME, baseUrl: ALIDNS_BASE_URL, creds: ['access_key_id', 'access_key_secret'] }),
  create: (s, o) => new ZoneProvider(s, new AlidnsApi(s), o.ttl),
}
