import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * A local stand-in for DNSPod's Tencent Cloud API 3.0, version 2021-03-23 (node:http on 127.0.0.1,
 * port 0), that checks every request's TC3-HMAC-SHA256 signature as Tencent Cloud does ("签名方法
 * v3"): it rebuilds the canonical request from what it received (method, path, the headers named
 * in SignedHeaders with their values lower-cased, the SHA-256 of the body), derives the key from
 * the shared SecretKey (`TC3`+key, date, service, `tc3_request`) and compares. Every answer is
 * HTTP 200 with `{"Response": {...}}`; a failure carries `Response.Error {Code, Message}`:
 * AuthFailure.SecretIdNotFound for an unknown SecretId, AuthFailure.SignatureFailure for a wrong
 * signature, UnknownParameter for a parameter the action does not take (DescribeRecordList spells
 * `Subdomain`, ModifyRecord and CreateRecord `SubDomain`).
 *
 * Actions: DescribeRecordList (pages of at most `pageCap`; no match is
 * ResourceNotFound.NoDataOfRecord), ModifyRecord (TTL back to 600 and Status to ENABLE when not
 * sent; a record identical to one that exists is InvalidParameter.DomainRecordExist),
 * CreateRecord (RecordLine required). Error answers come from test/fixtures/dnspod/.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/dnspod/', import.meta.url))

export interface DpFixture {
  status: number
  headers?: Record<string, string>
  body?: unknown
  raw?: string
}

/** Reads `test/fixtures/dnspod/<name>.json`. */
export function loadDnspodFixture(name: string): DpFixture {
  const f = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as DpFixture & { _doc?: string }
  delete f._doc
  return f
}

/** A record as DescribeRecordList lists it. */
export interface DpRecord {
  RecordId?: number
  Name: string
  Type: string
  Value: string
  TTL?: number
  Line?: string
  LineId?: string
  Status?: string
  Weight?: number | null
  MX?: number
  Remark?: string
}

export interface DpRequest {
  headers: http.IncomingHttpHeaders
  action: string
  /** The body, parsed. */
  params: Record<string, unknown>
  body: string
  signature?: string
}

export interface DpInjection {
  action?: string
  fixture?: string
  times?: number
}

export interface FakeDnspod {
  url: string
  host: string
  requests: DpRequest[]
  writes(): DpRequest[]
  records(domain: string): DpRecord[]
  inject(i: DpInjection): void
  close(): Promise<void>
}

const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex')
const mac = (k: string | Buffer, s: string): Buffer => createHmac('sha256', k).update(s, 'utf8').digest()
const PARAMS: Record<string, string[]> = {
  DescribeRecordList: ['Domain', 'DomainId', 'Subdomain', 'RecordType', 'RecordLine', 'RecordLineId', 'GroupId', 'Keyword', 'SortField', 'SortType', 'Offset', 'Limit', 'ErrorOnEmpty'],
  ModifyRecord: ['Domain', 'RecordType', 'RecordLine', 'Value', 'RecordId', 'DomainId', 'SubDomain', 'RecordLineId', 'MX', 'TTL', 'Weight', 'Status', 'Remark'],
  CreateRecord: ['Domain', 'RecordType', 'RecordLine', 'Value', 'DomainId', 'SubDomain', 'RecordLineId', 'MX', 'TTL', 'Weight', 'Status', 'Remark'],
}

export async function startDnspod(opts: { secretId: string; secretKey: string; domains: Record<string, DpRecord[]>; pageCap?: number }): Promise<FakeDnspod> {
  let nextId = 556507778
  const domains = new Map(
    Object.entries(opts.domains).map(([d, rs]) => [d, rs.map((r) => ({ TTL: 600, Line: '默认', LineId: '0', Status: 'ENABLE', Weight: null, MX: 0, Remark: '', ...r, RecordId: r.RecordId ?? nextId++ }))]),
  )
  const requests: DpRequest[] = []
  const injections: (DpInjection & { left: number })[] = []
  const fail = (fixture: string): DpFixture => loadDnspodFixture(fixture)
  const err = (Code: string, Message: string): DpFixture => ({ status: 200, body: { Response: { Error: { Code, Message } } } })
  const ok = (r: object): DpFixture => ({ status: 200, body: { Response: r } })

  const verify = (req: http.IncomingMessage, body: string): DpFixture | undefined => {
    const m = /^TC3-HMAC-SHA256 Credential=([^/]+)\/(\d{4}-\d\d-\d\d)\/([a-z]+)\/tc3_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(String(req.headers.authorization ?? ''))
    if (!m) return err('AuthFailure.InvalidAuthorization', 'Authorization header is not in the TC3-HMAC-SHA256 form.')
    const [, id, date, service, signedList, sig] = m as unknown as string[]
    if (id !== opts.secretId) return fail('secret-id-not-found')
    const signed = (signedList as string).split(';')
    const ts = Number(req.headers['x-tc-timestamp'])
    const canonical = `${req.method}\n${String(req.url).split('?')[0]}\n\n${signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().toLowerCase()}\n`).join('')}\n${signedList}\n${sha(body)}`
    const toSign = `TC3-HMAC-SHA256\n${ts}\n${date}/${service}/tc3_request\n${sha(canonical)}`
    let k: string | Buffer = `TC3${opts.secretKey}`
    for (const p of [date as string, service as string, 'tc3_request']) k = mac(k, p)
    const dateOk = new Date(ts * 1000).toISOString().slice(0, 10) === date
    if (mac(k, toSign).toString('hex') !== sig || service !== 'dnspod' || !dateOk || !signed.includes('content-type') || !signed.includes('host')) return fail('signature-failure')
    return undefined
  }

  const handle = (action: string, p: Record<string, unknown>): DpFixture => {
    const allowed = PARAMS[action]
    if (!allowed) return err('InvalidAction', `The action \`${action}\` is not found.`)
    const unknown = Object.keys(p).find((k) => !allowed.includes(k))
    if (unknown) return err('UnknownParameter', `The parameter \`${unknown}\` is not recognized.`)
    const recs = domains.get(String(p.Domain ?? ''))
    if (!recs) return fail('domain-not-exists')
    const same = (a: DpRecord, b: DpRecord): boolean => a.Name === b.Name && a.Type === b.Type && a.Value === b.Value && a.Line === b.Line
    switch (action) {
      case 'DescribeRecordList': {
        const hits = recs.filter((r) => (p.Subdomain === undefined || r.Name === String(p.Subdomain).toLowerCase()) && (p.RecordType === undefined || r.Type === p.RecordType))
        if (hits.length === 0) return fail('no-data-of-record')
        const limit = Math.min(Number(p.Limit ?? 100), 3000, opts.pageCap ?? 3000)
        const offset = Number(p.Offset ?? 0)
        const page = hits.slice(offset, offset + limit)
        return ok({ RecordCountInfo: { SubdomainCount: new Set(hits.map((h) => h.Name)).size, ListCount: page.length, TotalCount: hits.length }, RecordList: page, RequestId: 'ab4f1426-ea15-42ea-8183-dc1b44151166' })
      }
      case 'ModifyRecord': {
        const r = recs.find((x) => x.RecordId === p.RecordId)
        if (!r) return err('InvalidParameter.RecordIdInvalid', 'Record ID is incorrect.')
        if (!p.RecordType || !p.Value || (!p.RecordLine && !p.RecordLineId)) return err('MissingParameter', 'RecordType, RecordLine and Value are required.')
        const line = p.RecordLine !== undefined ? String(p.RecordLine) : r.Line
        const next = { ...r, Name: String(p.SubDomain ?? '@').toLowerCase(), Type: String(p.RecordType), Value: String(p.Value), Line: line, LineId: String(p.RecordLineId ?? r.LineId), TTL: Number(p.TTL ?? 600), Status: String(p.Status ?? 'ENABLE'), Weight: typeof p.Weight === 'number' ? p.Weight : null }
        if (recs.some((x) => same(x, next))) return fail('domain-record-exist')
        Object.assign(r, next)
        return ok({ RecordId: r.RecordId, RequestId: 'ab4f1426-ea15-42ea-8183-dc1b44151166' })
      }
      default: {
        if (!p.RecordType || !p.Value || (!p.RecordLine && !p.RecordLineId)) return err('MissingParameter', 'RecordType, RecordLine and Value are required.')
        const rec = { RecordId: nextId++, Name: String(p.SubDomain ?? '@').toLowerCase(), Type: String(p.RecordType), Value: String(p.Value), Line: String(p.RecordLine ?? '默认'), LineId: String(p.RecordLineId ?? '0'), TTL: Number(p.TTL ?? 600), Status: 'ENABLE', Weight: null, MX: 0, Remark: '' }
        if (recs.some((x) => same(x, rec))) return fail('domain-record-exist')
        recs.push(rec)
        return ok({ RecordId: rec.RecordId, RequestId: 'ab4f1426-ea15-42ea-8183-dc1b44151166' })
      }
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const action = String(req.headers['x-tc-action'] ?? '')
      let params: Record<string, unknown> = {}
      try {
        params = JSON.parse(body) as Record<string, unknown>
      } catch {
        /* the request is answered below */
      }
      const sig = /Signature=([0-9a-f]+)/.exec(String(req.headers.authorization ?? ''))?.[1]
      requests.push({ headers: req.headers, action, params, body, ...(sig ? { signature: sig } : {}) })
      const inj = injections.find((i) => i.left > 0 && (!i.action || i.action === action))
      let a: DpFixture
      if (inj) {
        inj.left--
        a = loadDnspodFixture(inj.fixture as string)
      } else if (req.method !== 'POST' || req.headers['x-tc-version'] !== '2021-03-23' || !String(req.headers['content-type']).startsWith('application/json')) {
        a = err('InvalidParameter', 'POST with Content-Type application/json and X-TC-Version 2021-03-23 expected.')
      } else a = verify(req, body) ?? handle(action, params)
      const out = a.raw ?? JSON.stringify(a.body)
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers })
      res.end(out)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.action === 'ModifyRecord' || r.action === 'CreateRecord'),
    records: (d) => (domains.get(d) ?? []).map((r) => ({ ...r })),
    inject: (i) => injections.push({ ...i, left: i.times ?? 1 }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
