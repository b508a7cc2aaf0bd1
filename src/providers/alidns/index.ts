import { randomUUID } from 'node:crypto'
import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import type { Provider, ProviderDef, RecordRef } from '../types.js'
import { canonicalQuery } from '../sign/hmac.js'
import { fail, jsonObject, notTheApi, ok, signedSend, type KindRow } from '../api/call.js'
import { API_CAPS, signedEntry, signedKeys, rel, type SignedSettings } from '../api/entry.js'
import { apiProvider, atName, type ZoneRecord } from '../api/provider.js'
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

type Json = Record<string, any>

function driver(s: SignedSettings, ttl: number | undefined): Provider {
  /**
   * One signed GET of `Action`; returns the JSON answer. `DomainRecordDuplicate` returns false:
   * the record already is as asked.
   */
  const call = async (ctx: Ctx, action: string, params: Record<string, string>): Promise<Json | false> => {
    const res = await signedSend(ctx, NAME, s, action, () => {
      const q: Record<string, string> = {
        Action: action,
        Format: 'JSON',
        Version: '2015-01-09',
        AccessKeyId: s.creds.access_key_id as string,
        SignatureMethod: 'HMAC-SHA1',
        SignatureVersion: '1.0',
        SignatureNonce: randomUUID(),
        Timestamp: rpcTimestamp(ctx.now()),
        ...params,
      }
      q.Signature = rpcSignature('GET', q, s.creds.access_key_secret as string)
      return { url: `${s.baseUrl}/?${canonicalQuery(q)}`, headers: { accept: 'application/json' } }
    })
    const body = jsonObject(res.body)
    const code = typeof body?.Code === 'string' ? body.Code : ''
    if (ok(res) && body && !code) return body
    if (code === 'DomainRecordDuplicate') return false
    if (!body && res.status < 300) throw notTheApi(NAME, res)
    // A SignatureDoesNotMatch message goes on with "server string to sign is:<the whole request>".
    const msg = typeof body?.Message === 'string' ? body.Message.replace(/\s*server string to sign is:[\s\S]*$/i, '') : body ? '' : `unexpected ${res.contentType || 'answer'}`
    throw fail(ctx, NAME, res, msg, code, ROWS, HINTS)
  }
  const params = (ref: RecordRef, value: string, t: number | undefined, p: Record<string, unknown>): Record<string, string> => {
    const q: Record<string, unknown> = { ...p, RR: rel(ref.fqdn, s.zone) || '@', Type: ref.type, Value: value, ...(t !== undefined ? { TTL: t } : {}) }
    return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]))
  }

  return apiProvider<ZoneRecord>(NAME, {
    async get(ref, ctx) {
      const rr = rel(ref.fqdn, s.zone) || '@'
      const all: Json[] = []
      for (let page = 1; page <= 50; page++) {
        const body = (await call(ctx, 'DescribeSubDomainRecords', { SubDomain: ref.fqdn, DomainName: s.zone, PageSize: String(PAGE), PageNumber: String(page) })) || undefined
        const got = body?.DomainRecords?.Record
        if (!Array.isArray(got)) throw new EdgeError('protocol', `${NAME}: DescribeSubDomainRecords answer has no DomainRecords.Record list`)
        all.push(...got)
        if (got.length === 0 || all.length >= Number(body?.TotalCount ?? 0)) break
      }
      return atName(NAME, ref, all, rr, 'RR', 'Type').map((r) => ({
        id: String(r.RecordId),
        values: [String(r.Value)],
        ...(typeof r.TTL === 'number' ? { ttl: r.TTL } : {}),
        ...(typeof r.Line === 'string' ? { keep: { Line: r.Line } } : {}),
      }))
    },
    value: (r) => r.values,
    update: (ref, value, [r], ctx) => call(ctx, 'UpdateDomainRecord', params(ref, value, r!.ttl, { RecordId: r!.id, ...r!.keep })),
    create: (ref, value, ctx) => call(ctx, 'AddDomainRecord', params(ref, value, ttl, { DomainName: s.zone })),
  })
}

/** The Alibaba Cloud DNS provider definition (registry entry `alidns`). */
export const alidns: ProviderDef<SignedSettings> = {
  name: NAME,
  summary: 'Alibaba Cloud DNS (Aliyun) through its RPC API (AccessKey pair)',
  docs: 'https://help.aliyun.com/document_detail/29742.html',
  keys: signedKeys(
    [
      ['access_key_id', 'AccessKey ID'],
      ['access_key_secret', 'AccessKey secret'],
    ],
    ALIDNS_BASE_URL,
  ),
  capabilities: API_CAPS,
  // "TTL ... default 600"; the free edition's minimum is 600, paid editions go down to 1.
  ttl: { min: 1, max: 86400 },
  parse: (t, path, ctx) => signedEntry(t, path, ctx, alidns, ALIDNS_BASE_URL),
  create: (s, o) => driver(s, o.ttl),
}
