import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import type { Provider, ProviderDef, RecordRef } from '../types.js'
import { fail, jsonObject, notTheApi, ok, signedSend, type KindRow } from '../api/call.js'
import { API_CAPS, rel, signedEntry, signedKeys, type SignedSettings } from '../api/entry.js'
import { apiProvider, atName, type ZoneRecord } from '../api/provider.js'
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

type Json = Record<string, any>

function driver(s: SignedSettings, ttl: number | undefined): Provider {
  const url = new URL(`${s.baseUrl}/`)
  /** One signed POST of `action`; returns `Response`, or false for `falseOn` (a no-change or empty answer). */
  const call = async (ctx: Ctx, action: string, params: Json, falseOn: string): Promise<Json | false> => {
    const payload = JSON.stringify(params)
    const res = await signedSend(ctx, NAME, s, action, () => {
      const ts = Math.floor(ctx.now() / 1000)
      const authorization = tc3Authorization(s.creds.secret_id as string, s.creds.secret_key as string, NAME, { host: url.host, path: url.pathname, contentType: CT, payload }, ts)
      return {
        method: 'POST',
        url: url.href,
        headers: { authorization, 'content-type': CT, 'x-tc-action': action, 'x-tc-timestamp': String(ts), 'x-tc-version': '2021-03-23', 'x-tc-language': 'en-US' },
        body: payload,
      }
    })
    const v = jsonObject(res.body)?.Response
    const r: Json | undefined = typeof v === 'object' && v !== null ? v : undefined
    const err = r?.Error
    const code = typeof err?.Code === 'string' ? err.Code : ''
    if (ok(res) && r && !err) return r
    if (code && code === falseOn) return false
    if (!r && res.status < 300) throw notTheApi(NAME, res)
    throw fail(ctx, NAME, res, typeof err?.Message === 'string' ? err.Message : r ? '' : `unexpected ${res.contentType || 'answer'}`, code, ROWS, HINTS)
  }
  const sub = (ref: RecordRef): string => rel(ref.fqdn, s.zone) || '@'

  return apiProvider<ZoneRecord>(NAME, {
    async get(ref, ctx) {
      const all: Json[] = []
      for (let offset = 0; offset < 50 * PAGE; ) {
        // `Subdomain` here; ModifyRecord and CreateRecord spell it `SubDomain`.
        const r = await call(ctx, 'DescribeRecordList', { Domain: s.zone, Subdomain: sub(ref), Limit: PAGE, Offset: offset }, 'ResourceNotFound.NoDataOfRecord')
        if (!r) break
        if (!Array.isArray(r.RecordList)) throw new EdgeError('protocol', `${NAME}: DescribeRecordList answer has no RecordList`)
        all.push(...r.RecordList)
        offset += r.RecordList.length
        if (r.RecordList.length === 0 || offset >= Number(r.RecordCountInfo?.TotalCount ?? 0)) break
      }
      return atName(NAME, ref, all, sub(ref), 'Name', 'Type').map((x) => {
        // Listed as Line/LineId, sent back as RecordLine/RecordLineId; ModifyRecord resets an omitted Status to ENABLE.
        const keep: Record<string, string | number> = {}
        for (const [from, to] of [['Line', 'RecordLine'], ['LineId', 'RecordLineId'], ['Status', 'Status'], ['Weight', 'Weight']] as const) {
          const v = x[from]
          if (typeof v === 'string' || typeof v === 'number') keep[to] = v
        }
        return { id: String(x.RecordId), values: [String(x.Value)], ...(typeof x.TTL === 'number' ? { ttl: x.TTL } : {}), keep }
      })
    },
    value: (r) => r.values,
    update: (ref, value, [r], ctx) =>
      call(ctx, 'ModifyRecord', { Domain: s.zone, RecordId: Number(r!.id), SubDomain: sub(ref), RecordType: ref.type, Value: value, ...r!.keep, ...(r!.ttl !== undefined ? { TTL: r!.ttl } : {}) }, DUP),
    // Line "默认" (default) by id "0", which takes precedence and is the same on both sites.
    create: (ref, value, ctx) =>
      call(ctx, 'CreateRecord', { Domain: s.zone, SubDomain: sub(ref), RecordType: ref.type, RecordLine: '默认', RecordLineId: '0', Value: value, ...(ttl !== undefined ? { TTL: ttl } : {}) }, DUP),
  })
}

/** "The record already exists": the service holds the value already. */
const DUP = 'InvalidParameter.DomainRecordExist'

/** The DNSPod provider definition (registry entry `dnspod`). */
export const dnspod: ProviderDef<SignedSettings> = {
  name: NAME,
  summary: 'DNSPod (Tencent Cloud) through API 3.0 (TC3-HMAC-SHA256, SecretId + SecretKey)',
  docs: 'https://www.tencentcloud.com/document/api/1157/51290',
  keys: signedKeys(
    [
      ['secret_id', 'API SecretId (AKID...)'],
      ['secret_key', 'API SecretKey'],
    ],
    DNSPOD_BASE_URL,
  ),
  capabilities: API_CAPS,
  // "TTL. Value range: 1–604800. The minimum value varies by domain level" (600 on the free plan).
  ttl: { min: 1, max: 604800 },
  parse: (t, path, ctx) => signedEntry(t, path, ctx, dnspod, DNSPOD_BASE_URL, ['secret_id']),
  create: (s, o) => driver(s, o.ttl),
}
