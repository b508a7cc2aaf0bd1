import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

/**
 * A local stand-in for Amazon Route 53's REST API (node:http on 127.0.0.1, port 0) that checks
 * every request's SigV4 signature the way AWS does: it rebuilds the canonical request from what it
 * received (method, raw path, the query decoded and re-encoded, the headers named in
 * SignedHeaders, the SHA-256 of the body), derives the key from the shared secret and compares.
 * An unknown key id answers 403 InvalidClientTokenId, a wrong signature 403 SignatureDoesNotMatch,
 * a missing or wrong session token 403 InvalidClientTokenId, as Route 53 does.
 *
 * - `GET /2013-04-01/hostedzone/{id}/rrset?name=&type=&maxitems=`: the RRsets in Route 53's order
 *   (names by their labels read right to left, then type), starting at the first one at or after
 *   (name, type) — a start point, not a filter — with IsTruncated/NextRecordName/NextRecordType;
 *   `*` is listed as `\052`.
 * - `POST /2013-04-01/hostedzone/{id}/rrset/` with a ChangeResourceRecordSetsRequest: CREATE,
 *   UPSERT, DELETE of simple RRsets; the elements must come in the schema's order (Name, Type, TTL,
 *   ResourceRecords); a CREATE of an existing RRset is InvalidChangeBatch.
 * An unknown zone is 404 NoSuchHostedZone. Error answers come from test/fixtures/route53/ (each
 * names its documentation). Every request is recorded.
 */

const FIXTURES = fileURLToPath(new URL('../fixtures/route53/', import.meta.url))

/** A fixture file: `{ _doc, status, headers?, raw }`. */
export interface R53Fixture {
  status: number
  headers?: Record<string, string>
  raw: string
}

/** Reads `test/fixtures/route53/<name>.json`. */
export function loadRoute53Fixture(name: string): R53Fixture {
  const f = JSON.parse(readFileSync(`${FIXTURES}${name}.json`, 'utf8')) as R53Fixture & { _doc?: string }
  delete f._doc
  return f
}

/** One RRset in the fake's store. `name` is the full name, with or without the trailing dot. */
export interface R53Rrset {
  name: string
  type: string
  ttl?: number
  values?: string[]
  setIdentifier?: string
  weight?: number
  /** An alias RRset (no TTL, no values). */
  alias?: string
}

/** One request as received. */
export interface R53Request {
  method: string
  path: string
  /** The query, decoded. */
  query: Record<string, string>
  headers: http.IncomingHttpHeaders
  body: string
  /** The signature the request carried (tests assert it never reaches a log). */
  signature?: string
}

/** A scripted answer taking precedence over the fake's behaviour. */
export interface R53Injection {
  method?: string
  fixture?: string
  raw?: string
  status?: number
  times?: number
}

export interface FakeRoute53 {
  url: string
  host: string
  requests: R53Request[]
  /** The POSTs (changes). */
  writes(): R53Request[]
  rrsets(zoneId: string): R53Rrset[]
  inject(i: R53Injection): void
  close(): Promise<void>
}

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
const sha = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex')
const mac = (k: string | Buffer, s: string): Buffer => createHmac('sha256', k).update(s, 'utf8').digest()
const bare = (n: string): string => n.replace(/\.$/, '').toLowerCase()
/** Route 53's listing order: labels right to left, then type. */
const order = (r: { name: string; type: string }): string => `${bare(r.name).split('.').reverse().join('\u0001')}\u0000${r.type}`
const xmlEsc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const xmlUn = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, d: string) => String.fromCharCode(Number(d))).replace(/&amp;/g, '&')
const NS = 'https://route53.amazonaws.com/doc/2013-04-01/'

function errorXml(code: string, message: string): string {
  return `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEsc(message)}</Message></Error><RequestId>00000000-0000-4000-8000-000000000001</RequestId></ErrorResponse>`
}

/** Starts the fake. */
export async function startRoute53(opts: {
  accessKeyId: string
  secretAccessKey: string
  sessionToken?: string
  zones: Record<string, R53Rrset[]>
}): Promise<FakeRoute53> {
  const zones = new Map(Object.entries(opts.zones).map(([id, sets]) => [id, sets.map((s) => ({ ...s, name: `${bare(s.name)}.` }))]))
  const requests: R53Request[] = []
  const injections: (R53Injection & { left: number })[] = []

  /** The SigV4 check; undefined when the request is authentic, else the error answer. */
  const verify = (req: http.IncomingMessage, rawPath: string, rawQuery: string, body: string): { status: number; raw: string } | undefined => {
    const auth = String(req.headers.authorization ?? '')
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(auth)
    if (!m) return { status: 403, raw: errorXml('IncompleteSignature', 'Authorization header requires Credential, SignedHeaders and Signature.') }
    const [, id, day, region, service, signedList, sig] = m as unknown as string[]
    if (id !== opts.accessKeyId) return { status: 403, raw: errorXml('InvalidClientTokenId', 'The security token included in the request is invalid.') }
    if (opts.sessionToken !== undefined && req.headers['x-amz-security-token'] !== opts.sessionToken) {
      return { status: 403, raw: errorXml('InvalidClientTokenId', 'The security token included in the request is invalid.') }
    }
    const signed = (signedList as string).split(';')
    const date = String(req.headers['x-amz-date'] ?? '')
    if (!signed.includes('host') || !signed.includes('x-amz-date') || (opts.sessionToken !== undefined && !signed.includes('x-amz-security-token'))) {
      return { status: 403, raw: errorXml('SignatureDoesNotMatch', "'Host', 'X-Amz-Date' and 'X-Amz-Security-Token' must be signed.") }
    }
    const query = rawQuery
      ? rawQuery
          .split('&')
          .map((p) => p.split('=').map((x) => enc(decodeURIComponent(x))) as [string, string])
          .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < (y ?? '') ? -1 : 1))
          .map(([k, v]) => `${k}=${v ?? ''}`)
          .join('&')
      : ''
    const headers = signed.map((h) => `${h}:${String(req.headers[h] ?? '').trim().replace(/ +/g, ' ')}\n`).join('')
    const canonical = [req.method, rawPath, query, headers, signedList, sha(body)].join('\n')
    const scope = `${day}/${region}/${service}/aws4_request`
    const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${sha(canonical)}`
    let k: string | Buffer = `AWS4${opts.secretAccessKey}`
    for (const p of [day as string, region as string, service as string, 'aws4_request']) k = mac(k, p)
    const want = mac(k, toSign).toString('hex')
    if (want !== sig || region !== 'us-east-1' || service !== 'route53' || date.slice(0, 8) !== day) {
      return {
        status: 403,
        raw: errorXml('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.'),
      }
    }
    return undefined
  }

  const list = (sets: R53Rrset[], q: Record<string, string>): string => {
    const sorted = [...sets].sort((a, b) => (order(a) < order(b) ? -1 : 1))
    const from = q.name ? order({ name: q.name, type: q.type ?? '' }) : ''
    const start = sorted.findIndex((r) => order(r) >= from)
    const max = Number(q.maxitems ?? 300)
    const page = start < 0 ? [] : sorted.slice(start, start + max)
    const next = start < 0 ? undefined : sorted[start + max]
    const one = (r: R53Rrset): string =>
      `<ResourceRecordSet><Name>${xmlEsc(r.name.replace(/^\*/, '\\052'))}</Name><Type>${r.type}</Type>` +
      (r.setIdentifier ? `<SetIdentifier>${xmlEsc(r.setIdentifier)}</SetIdentifier><Weight>${r.weight ?? 1}</Weight>` : '') +
      (r.alias
        ? `<AliasTarget><HostedZoneId>Z2FDTNDATAQYW2</HostedZoneId><DNSName>${r.alias}</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget>`
        : `<TTL>${r.ttl ?? 300}</TTL><ResourceRecords>${(r.values ?? []).map((v) => `<ResourceRecord><Value>${xmlEsc(v)}</Value></ResourceRecord>`).join('')}</ResourceRecords>`) +
      `</ResourceRecordSet>`
    return (
      `<?xml version="1.0"?>\n<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${page.map(one).join('')}</ResourceRecordSets>` +
      `<IsTruncated>${next ? 'true' : 'false'}</IsTruncated>` +
      (next ? `<NextRecordName>${xmlEsc(next.name)}</NextRecordName><NextRecordType>${next.type}</NextRecordType>` : '') +
      `<MaxItems>${max}</MaxItems></ListResourceRecordSetsResponse>`
    )
  }

  const change = (sets: R53Rrset[], body: string): { status: number; raw: string } => {
    const bad = (msg: string): { status: number; raw: string } => ({
      status: 400,
      raw: `<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="${NS}"><Messages><Message>${xmlEsc(msg)}</Message></Messages><RequestId>00000000-0000-4000-8000-000000000002</RequestId></InvalidChangeBatch>`,
    })
    if (!new RegExp(`<ChangeResourceRecordSetsRequest xmlns="${NS}">`).test(body)) return { status: 400, raw: errorXml('InvalidInput', 'Invalid XML ; missing ChangeResourceRecordSetsRequest') }
    const changes = [...body.matchAll(/<Change>([\s\S]*?)<\/Change>/g)].map((m) => m[1] as string)
    if (changes.length === 0) return { status: 400, raw: errorXml('InvalidInput', 'Invalid XML ; no Change') }
    const next = sets.map((s) => ({ ...s }))
    for (const c of changes) {
      const m = /^<Action>(CREATE|UPSERT|DELETE)<\/Action><ResourceRecordSet><Name>([^<]+)<\/Name><Type>([A-Z]+)<\/Type><TTL>(\d+)<\/TTL><ResourceRecords>((?:<ResourceRecord><Value>[^<]+<\/Value><\/ResourceRecord>)+)<\/ResourceRecords><\/ResourceRecordSet>$/.exec(c)
      if (!m) return { status: 400, raw: errorXml('InvalidInput', 'Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found') }
      const [, action, rawName, type, ttl, rrs] = m as unknown as string[]
      const name = `${bare(xmlUn(rawName as string))}.`
      const values = [...(rrs as string).matchAll(/<Value>([^<]+)<\/Value>/g)].map((v) => xmlUn(v[1] as string))
      const i = next.findIndex((s) => s.name === name && s.type === type)
      if (action === 'CREATE' && i >= 0) return bad(`Tried to create resource record set [name='${name}', type='${type}'] but it already exists`)
      if (action === 'DELETE') {
        if (i < 0) return bad(`Tried to delete resource record set [name='${name}', type='${type}'] but it was not found`)
        next.splice(i, 1)
        continue
      }
      const set: R53Rrset = { name, type: type as string, ttl: Number(ttl), values }
      if (i >= 0) next[i] = set
      else next.push(set)
    }
    sets.splice(0, sets.length, ...next)
    return {
      status: 200,
      raw: `<?xml version="1.0"?>\n<ChangeResourceRecordSetsResponse xmlns="${NS}"><ChangeInfo><Id>/change/C2682N5HXP0BZ4</Id><Status>PENDING</Status><SubmittedAt>2024-06-01T00:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>`,
    }
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const [rawPath = '', rawQuery = ''] = String(req.url).split('?')
      const query: Record<string, string> = {}
      if (rawQuery) for (const p of rawQuery.split('&')) query[decodeURIComponent(p.split('=')[0] ?? '')] = decodeURIComponent(p.split('=')[1] ?? '')
      const sig = /Signature=([0-9a-f]+)/.exec(String(req.headers.authorization ?? ''))?.[1]
      requests.push({ method: String(req.method), path: rawPath, query, headers: req.headers, body, ...(sig ? { signature: sig } : {}) })
      const send = (a: { status: number; raw: string; headers?: Record<string, string> }): void => {
        res.writeHead(a.status, { 'content-type': 'text/xml', ...a.headers })
        res.end(a.raw)
      }
      const inj = injections.find((i) => i.left > 0 && (!i.method || i.method === req.method))
      if (inj) {
        inj.left--
        const f = inj.fixture ? loadRoute53Fixture(inj.fixture) : { status: inj.status ?? 200, raw: inj.raw ?? '' }
        send(f)
        return
      }
      const denied = verify(req, rawPath, rawQuery, body)
      if (denied) return send(denied)
      const m = /^\/2013-04-01\/hostedzone\/([A-Za-z0-9]+)\/rrset(\/?)$/.exec(rawPath)
      if (!m) return send({ status: 404, raw: errorXml('UnknownOperationException', 'Unknown operation') })
      const sets = zones.get(m[1] as string)
      if (!sets) return send({ status: 404, raw: errorXml('NoSuchHostedZone', `No hosted zone found with ID: ${m[1]}`) })
      if (req.method === 'GET' && m[2] === '') return send({ status: 200, raw: list(sets, query) })
      if (req.method === 'POST' && m[2] === '/') return send(change(sets, body))
      send({ status: 405, raw: errorXml('UnknownOperationException', 'Unknown operation') })
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method === 'POST'),
    rrsets: (id) => (zones.get(id) ?? []).map((s) => ({ ...s })),
    inject: (i) => injections.push({ ...i, left: i.times ?? 1 }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
