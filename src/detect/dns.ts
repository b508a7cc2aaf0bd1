import type { Ctx } from '../context.js'
import { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'
import { familyOf, parseAddress } from './classify.js'
import { ipv, notServed, type SourceResult } from './source.js'
import type { DnsSourceSpec } from './types.js'

/**
 * The `dns` source: one query to a server that answers with the address the query came from
 * (OpenDNS `myip.opendns.com` A/AAAA, Google `o-o.myaddr.l.google.com` TXT, Cloudflare
 * `whoami.cloudflare` TXT CH, Akamai `whoami.akamai.net` A).
 *
 * The query goes over the family it asks about (BC-18): such a server only sees the packet's source
 * address, so an A question sent over IPv6 gets NXDOMAIN or the wrong family.
 */

/**
 * Asks `spec`'s server for this family's address through `ctx.dns`.
 * @returns the address as the answer gave it (not yet checked against the address policy).
 * @throws EdgeError kind `detect` when the answer holds no address for the family (NXDOMAIN,
 *   empty, TXT without an address) or two different ones; kind `transient` when the server answers
 *   SERVFAIL/REFUSED or another failure RCODE; whatever `ctx.dns` throws (timeouts, mismatches).
 */
export async function detectViaDns(spec: DnsSourceSpec, family: Family, ctx: Ctx): Promise<SourceResult> {
  const server = spec.server[family]
  if (server === undefined) throw notServed(family)
  const type = spec.type[family]
  const asked = `${spec.name} ${type}${spec.class === 'IN' ? '' : ` ${spec.class}`}`
  const ans = await ctx.dns.query(
    { server, port: spec.port, name: spec.name, type, class: spec.class, family },
    ctx.signal,
  )
  if (ans.rcode === 'NXDOMAIN') {
    // Name the server: a resolver that intercepts port 53 (a captive network, a sandbox) answers
    // NXDOMAIN for names only the real server knows, and the user must see who said it.
    throw new EdgeError('detect', `no address for ${ipv(family)}: ${asked} is NXDOMAIN (answered by ${at(server, spec.port)})`, { retryable: false, code: 'NXDOMAIN' })
  }
  if (ans.rcode !== 'NOERROR') {
    throw new EdgeError('transient', `${at(server, spec.port)} answered ${ans.rcode} to ${asked}`, { code: ans.rcode })
  }
  // Only records owned by the name asked (or by the end of a CNAME chain from it) answer the
  // question; anything else in the answer section is not about us (RFC 1034 4.3.2, RFC 5452 9.1).
  const owners = ownerNames(spec.name, ans.answers)
  const mine = ans.answers.filter((r) => owners.has(r.name.toLowerCase().replace(/\.$/, '')))
  if (type === 'TXT') {
    const texts = mine.filter((r) => r.type === 'TXT').map((r) => txtRecordText(r.data))
    return { address: pickTxtAddress(texts, family, asked) }
  }
  const found = mine.filter((r) => r.type === type && typeof r.data === 'string').map((r) => r.data as string)
  const valid = [...new Set(found.map((a) => parseAddress(a, family)).filter((a): a is string => a !== null))]
  if (valid.length === 0) {
    throw new EdgeError('detect', `no address for ${ipv(family)}: the answer to ${asked} is empty`, { retryable: false, code: 'NODATA' })
  }
  if (valid.length > 1) {
    throw new EdgeError('detect', `ambiguous answer to ${asked}: ${valid.join(', ')}`, { retryable: false, code: 'AMBIGUOUS' })
  }
  return { address: valid[0]! }
}

/** `host:port`, an IPv6 server in brackets. */
const at = (server: string, port: number): string => (server.includes(':') ? `[${server}]:${port}` : `${server}:${port}`)

/** The query name and every CNAME target reachable from it in the answer section (at most 8 hops). */
function ownerNames(qname: string, answers: ReadonlyArray<{ name: string; type: string; data: unknown }>): Set<string> {
  const norm = (n: string): string => n.toLowerCase().replace(/\.$/, '')
  const owners = new Set([norm(qname)])
  for (let hop = 0; hop < 8; hop++) {
    const next = answers.find((r) => r.type === 'CNAME' && owners.has(norm(r.name)) && typeof r.data === 'string' && !owners.has(norm(r.data)))
    if (!next) break
    owners.add(norm(next.data as string))
  }
  return owners
}

/**
 * The text of one TXT record: its character-strings (RFC 1035 3.3.14) decoded as UTF-8 and
 * joined without separator, as RFC 7208 3.3 does for long strings split at 255 bytes.
 * Accepts dns-packet's shapes: an array of Buffers or strings, one Buffer, one string.
 */
export function txtRecordText(data: unknown): string {
  const parts = Array.isArray(data) ? data : [data]
  return parts.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : typeof p === 'string' ? p : '')).join('')
}

/**
 * Picks the address of `family` among the texts of a TXT RRset (BC-19).
 *
 * Each text is trimmed and, when it is in presentation form (`"192.0.2.10"`, as dig prints it), its
 * quotes are removed. Texts starting with `edns0-client-subnet` (Google's note of the ECS subnet a
 * resolver sent) are ignored. Texts that are exactly one address of `family` are candidates.
 *
 * @throws EdgeError kind `detect` when no text is an address of `family` (naming an address of
 *   the other family when that is what came), or when two different addresses came (ambiguous).
 */
export function pickTxtAddress(texts: string[], family: Family, asked = 'TXT'): string {
  const found = new Set<string>()
  let otherFamily: string | undefined
  for (const raw of texts) {
    const text = unquote(raw.trim())
    if (/^edns0-client-subnet\b/i.test(text)) continue
    const a = parseAddress(text, family)
    if (a !== null) found.add(a)
    else if (familyOf(text) !== 0) otherFamily ??= text
  }
  if (found.size > 1) {
    throw new EdgeError('detect', `ambiguous answer to ${asked}: ${[...found].join(', ')}`, { retryable: false, code: 'AMBIGUOUS' })
  }
  const [only] = found
  if (only !== undefined) return only
  if (otherFamily !== undefined) {
    throw new EdgeError('detect', `no address for ${ipv(family)}: the answer to ${asked} holds ${otherFamily}, an IPv${familyOf(otherFamily)} address`, {
      retryable: false,
      code: 'WRONG_FAMILY',
    })
  }
  throw new EdgeError('detect', `no address for ${ipv(family)} in the TXT answer to ${asked}`, { retryable: false, code: 'NODATA' })
}

/** Removes one pair of presentation-format quotes, and joins `"a" "b"` as RFC 1035 5.1 writes several strings. */
function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    return s
      .slice(1, -1)
      .split(/"\s+"/)
      .join('')
      .replace(/\\(.)/g, '$1')
      .trim()
  }
  return s
}
