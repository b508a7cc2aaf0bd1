import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * A local stand-in for Alibaba Cloud DNS's RPC API, version 2015-01-09 (node:http on 127.0.0.1,
 * port 0), that checks every request's signature as the service does
 * (https://help.aliyun.com/document_detail/29747.html): it takes the parameters it received but
 * `Signature`, sorts and percent-encodes them, builds `GET&%2F&<encoded query>`, signs it with
 * HMAC-SHA1 keyed by the shared AccessKey secret plus `&`, and compares. An unknown AccessKeyId is
 * 404 InvalidAccessKeyId.NotFound; a wrong signature 400 SignatureDoesNotMatch whose message, like
 * the real one, goes on with "server string to sign is:" and the whole string; a reused
 * SignatureNonce 400 SignatureNonceUsed. A `+` in the query is read as a space, as servers do.
 *
 * Actions: DescribeSubDomainRecords (pages of at most `pageCap` records, whatever PageSize asks),
 * UpdateDomainRecord (TTL back to 600 and Line back to "default" when not sent; the same RR, Type,
 * Value and Line as a record already has is DomainRecordDuplicate), AddDomainRecord (duplicate or
 * next to a CNAME refused). Error answers come from test/fixtures/alidns/ (each names its page).
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/alidns/', import.meta.url))

export interface AliFixture {
  status: number
  headers?: Record<string, string>
  body?: unknown
  raw?: string
}

/** Reads `test/fixtures/alidns/<name>.json`. */
export function loadAlidnsFixture(name: string): AliFixture {
  const f = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as AliFixture & { _doc?: string }
  delete f._doc
  return f
}

/** A record as the service lists it. */
export interface AliRecord {
  RecordId?: string
  RR: string
  Type: string
  Value: string
  TTL?: number
  Line?: string
  Status?: string
  Locked?: boolean
}

export interface AliRequest {
  /** Every query parameter, decoded, `Signature` included. */
  query: Record<string, string>
  /** The raw query string as sent. */
  rawQuery: string
  headers: http.IncomingHttpHeaders
}

export interface AliInjection {
  action?: string
  fixture?: string
  times?: number
}

export interface FakeAlidns {
  url: string
  host: string
  requests: AliRequest[]
  /** Update and Add requests. */
  writes(): AliRequest[]
  records(domain: string): AliRecord[]
  inject(i: AliInjection): void
  close(): Promise<void>
}

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
const dec = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '))

export async function startAlidns(opts: { accessKeyId: string; accessKeySecret: string; domains: Record<string, AliRecord[]>; pageCap?: number }): Promise<FakeAlidns> {
  let nextId = 1000000000
  const domains = new Map(
    Object.entries(opts.domains).map(([d, recs]) => [d, recs.map((r) => ({ TTL: 600, Line: 'default', Status: 'ENABLE', Locked: false, ...r, RecordId: r.RecordId ?? String(nextId++) }))]),
  )
  const requests: AliRequest[] = []
  const injections: (AliInjection & { left: number })[] = []
  const nonces = new Set<string>()

  const fail = (fixture: string, message?: string): AliFixture => {
    const f = loadAlidnsFixture(fixture)
    return message === undefined ? f : { ...f, body: { ...(f.body as object), Message: message } }
  }
  const ok = (body: object): AliFixture => ({ status: 200, body: { RequestId: '536E9CAD-DB30-4647-AC87-AA5CC38C5382', ...body } })
  const listed = (d: string, r: Required<AliRecord>): object => ({ ...r, DomainName: d })

  const handle = (q: Record<string, string>): AliFixture => {
    for (const p of ['Action', 'Version', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp', 'Signature']) {
      if (!q[p]) return { status: 400, body: { Code: 'MissingParameter', Message: `The input parameter "${p}" that is mandatory for processing this request is not supplied.` } }
    }
    if (q.AccessKeyId !== opts.accessKeyId) return fail('invalid-access-key-id-not-found')
    const rest = Object.entries(q)
      .filter(([k]) => k !== 'Signature')
      .map(([k, v]) => [enc(k), enc(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${v}`)
      .join('&')
    const toSign = `GET&${enc('/')}&${enc(rest)}`
    const want = createHmac('sha1', `${opts.accessKeySecret}&`).update(toSign, 'utf8').digest('base64')
    if (want !== q.Signature || q.SignatureMethod !== 'HMAC-SHA1' || q.SignatureVersion !== '1.0') {
      return fail('signature-does-not-match', `Specified signature is not matched with our calculation. server string to sign is:${toSign}`)
    }
    if (nonces.has(q.SignatureNonce as string)) return fail('signature-nonce-used')
    nonces.add(q.SignatureNonce as string)
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(q.Timestamp as string) || q.Version !== '2015-01-09' || q.Format !== 'JSON') {
      return { status: 400, body: { Code: 'InvalidParameter', Message: 'The specified parameter "Timestamp, Version or Format" is not valid.' } }
    }
    const all = (): [string, Required<AliRecord>][] => [...domains].flatMap(([d, rs]) => rs.map((r) => [d, r as Required<AliRecord>] as [string, Required<AliRecord>]))
    const same = (a: AliRecord, b: AliRecord): boolean => a.RR.toLowerCase() === b.RR.toLowerCase() && a.Type === b.Type && a.Value === b.Value && a.Line === b.Line
    switch (q.Action) {
      case 'DescribeSubDomainRecords': {
        const sub = (q.SubDomain ?? '').toLowerCase()
        const d = q.DomainName ?? sub.split('.').slice(-2).join('.')
        const recs = domains.get(d)
        if (!recs) return fail('invalid-domain-name-no-exist')
        const rr = sub === d ? '@' : sub.endsWith(`.${d}`) ? sub.slice(0, -d.length - 1) : undefined
        const hits = recs.filter((r) => r.RR.toLowerCase() === rr && (!q.Type || r.Type === q.Type.toUpperCase())) as Required<AliRecord>[]
        const size = Math.min(Number(q.PageSize ?? 20), 500, opts.pageCap ?? 500)
        const page = Number(q.PageNumber ?? 1)
        const slice = hits.slice((page - 1) * size, page * size)
        return ok({ TotalCount: hits.length, PageSize: slice.length, PageNumber: page, DomainRecords: { Record: slice.map((r) => listed(d, r)) } })
      }
      case 'UpdateDomainRecord': {
        const hit = all().find(([, r]) => r.RecordId === q.RecordId)
        if (!hit) return fail('domain-record-not-belong-to-user')
        const [d, r] = hit
        if (r.Locked) return { status: 400, body: { Code: 'DomainRecordLocked', Message: 'The DNS record is locked.' } }
        const next = { ...r, RR: q.RR as string, Type: q.Type as string, Value: q.Value as string, TTL: Number(q.TTL ?? 600), Line: q.Line ?? 'default' }
        if ((domains.get(d) ?? []).some((x) => same(x, next))) return fail('domain-record-duplicate')
        Object.assign(r, next)
        return ok({ RecordId: r.RecordId })
      }
      case 'AddDomainRecord': {
        const recs = domains.get(q.DomainName ?? '')
        if (!recs) return fail('incorrect-domain-user')
        const rec = { RecordId: String(nextId++), RR: q.RR as string, Type: q.Type as string, Value: q.Value as string, TTL: Number(q.TTL ?? 600), Line: q.Line ?? 'default', Status: 'ENABLE', Locked: false }
        if (recs.some((x) => same(x, rec))) return fail('domain-record-duplicate')
        if (recs.some((x) => x.RR.toLowerCase() === rec.RR.toLowerCase() && (x.Type === 'CNAME') !== (rec.Type === 'CNAME'))) return fail('domain-record-conflict')
        recs.push(rec)
        return ok({ RecordId: rec.RecordId })
      }
      default:
        return { status: 404, body: { Code: 'InvalidAction.NotFound', Message: 'Specified api is not found, please check your url and method.' } }
    }
  }

  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const rawQuery = String(req.url).split('?')[1] ?? ''
      const query: Record<string, string> = {}
      for (const p of rawQuery.split('&').filter(Boolean)) {
        const [k = '', v = ''] = p.split('=')
        query[dec(k)] = dec(v)
      }
      requests.push({ query, rawQuery, headers: req.headers })
      const inj = injections.find((i) => i.left > 0 && (!i.action || i.action === query.Action))
      let a: AliFixture
      if (inj) {
        inj.left--
        a = loadAlidnsFixture(inj.fixture as string)
      } else a = req.method === 'GET' && String(req.url).startsWith('/?') ? handle(query) : { status: 404, body: { Code: 'InvalidAction.NotFound', Message: 'Specified api is not found.' } }
      const body = a.raw ?? JSON.stringify(a.body && a.status >= 400 ? { RequestId: '7A4A78A8-FEA6-57F0-9ABC-F34866CA740C', HostId: 'alidns.aliyuncs.com', ...(a.body as object) } : a.body)
      res.writeHead(a.status, { 'content-type': 'application/json;charset=utf-8', ...a.headers })
      res.end(body)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.query.Action === 'UpdateDomainRecord' || r.query.Action === 'AddDomainRecord'),
    records: (d) => (domains.get(d) ?? []).map((r) => ({ ...r })),
    inject: (i) => injections.push({ ...i, left: i.times ?? 1 }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
