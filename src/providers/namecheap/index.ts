import { EdgeError, type ErrorKind } from '../../errors.js'
import { optUrl, rejectUnknown, type Table } from '../../config/fields.js'
import { snippet } from '../../net/http.js'
import { xmlAll, xmlDecode, xmlText } from '../xml.js'
import { ok, send, statusError } from '../push/http.js'
import { parseZone, parseResolver, relativeName, reqSecret, RESOLVER_KEY, baseUrlKey, type ServerAddress } from '../push/names.js'
import { familyOfChange, ipv4Only, pushProvider, pushWrite } from '../push/outcome.js'
import type { ReadbackDeps } from '../push/readback.js'
import type { ParseCtx, ParsedEntry, Provider, ProviderDef } from '../types.js'

/**
 * Namecheap dynamic DNS (`type = "namecheap"`), dness's keys: `domain`, `ddns_password` (the
 * Dynamic DNS password of the domain, not the account password), `records` (`@` for the domain,
 * `*` for the wildcard, `sub` for sub.domain), plus `base_url` (dness's, default
 * https://dynamicdns.park-your-domain.com) and `resolver`.
 *
 * One GET per record: `/update?host=<@|*|sub>&domain=<domain>&password=<ddns_password>&ip=<v4>`
 * (https://www.namecheap.com/support/knowledgebase/article.aspx/29/11/how-to-dynamically-update-the-hosts-ip-with-an-https-request/).
 * The answer is an `<interface-response>` XML document with HTTP 200 whether or not it worked:
 * success only when `ErrCount` is 0; otherwise `Err1` says why and is reported as an
 * authentication or validation error, never retried until the config changes (BC-01). The
 * document may declare `encoding="utf-16"` while it is UTF-8: the declaration is ignored, the
 * elements are read as text. IPv4 only (Namecheap's dynamic DNS has no AAAA): the definition says
 * `capabilities.ipv6 = false`, so `ip_types` with "6" is a config error.
 */

export const NAMECHEAP_BASE_URL = 'https://dynamicdns.park-your-domain.com'
const KEYS = ['domain', 'ddns_password', 'records', 'base_url', 'resolver'] as const

/** A validated Namecheap entry. */
export interface NamecheapSettings {
  domain: string
  password: string
  /** Full record names. */
  records: string[]
  /** Base URL without a trailing slash; `/update` is appended. */
  baseUrl: string
  resolver?: ServerAddress
}

/** What an `<interface-response>` says. */
export interface NamecheapAnswer {
  errCount: number
  /** `Err1`, `Err2`, ... texts in order. */
  errors: string[]
  /** `ResponseString` texts. */
  responses: string[]
  /** The `IP` element: the address Namecheap set. */
  ip?: string
}

/**
 * Reads an `<interface-response>`; undefined when the body is not one (or has no `ErrCount`).
 * Tolerant on purpose: the XML declaration (and its encoding) is ignored, and NUL bytes of a
 * UTF-16 body read as UTF-8 are dropped before reading (BC-01).
 */
export function parseNamecheapAnswer(body: string): NamecheapAnswer | undefined {
  const text = body.replace(/^\uFEFF/, '').replace(/\u0000/g, '')
  if (!/<interface-response[\s>]/i.test(text)) return undefined
  const count = /<ErrCount>\s*(\d+)\s*<\/ErrCount>/i.exec(text)
  if (!count) return undefined
  const errors = [...text.matchAll(/<Err(\d+)>([\s\S]*?)<\/Err\1>/gi)].sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => xmlDecode(m[2] as string))
  const ip = xmlText(text, 'IP')
  return { errCount: Number(count[1]), errors, responses: xmlAll(text, 'ResponseString').map(xmlDecode), ...(ip ? { ip } : {}) }
}

/** The error kind an `Err1` text means. */
function kindOf(text: string): ErrorKind {
  if (/password/i.test(text)) return 'auth'
  if (/not\s+found|no\s+records?\s+updated|does\s+not\s+exist/i.test(text)) return 'notfound'
  return 'invalid'
}

/** The EdgeError of an answer with `ErrCount` > 0 (BC-01: an auth or validation error, not retried). */
export function namecheapError(a: NamecheapAnswer, host: string): EdgeError {
  const text = a.errors[0] ?? a.responses[0] ?? `ErrCount ${a.errCount}`
  const kind = kindOf(text)
  const hint =
    kind === 'auth'
      ? 'ddns_password is the Dynamic DNS password shown under Advanced DNS of the domain, not the account password'
      : kind === 'notfound'
        ? 'create the record as an A + Dynamic DNS record at Namecheap first'
        : undefined
  return new EdgeError(kind, `namecheap: ${host} answered ErrCount ${a.errCount}: ${text}`, { code: 'ErrCount', hint })
}

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<NamecheapSettings> {
  rejectUnknown(t, KEYS, path)
  const password = reqSecret(t, 'ddns_password', path, (v) => ctx.secret(v), ctx.warn)
  const { domain, names: records } = parseZone(t, path, ctx.warn)
  const baseUrl = optUrl(t, 'base_url', path) ?? NAMECHEAP_BASE_URL
  const resolver = parseResolver(t, path)
  return {
    settings: { domain, password, records, baseUrl, ...(resolver ? { resolver } : {}) },
    names: records,
    zone: domain,
    account: `namecheap:${new URL(baseUrl).host}:${domain}`,
  }
}

/** Builds the provider for one entry; does no I/O. One GET per A change, in order; after refused credentials the rest are not sent. */
export function createNamecheapProvider(s: NamecheapSettings, deps: { readback?: ReadbackDeps } = {}): Provider {
  return pushProvider('namecheap', s.resolver, deps, (changes, ctx) =>
    pushWrite(
      'namecheap',
      changes,
      'domain',
      (ch) => (familyOfChange(ch) === 6 ? ipv4Only('namecheap: Namecheap dynamic DNS updates IPv4 (A) records') : undefined),
      (ok) => ok.map((ch) => ({ changes: [ch] })),
      async ({ changes: [ch] }) => {
        const q = new URLSearchParams([
          ['host', relativeName(ch!.ref.fqdn, s.domain)],
          ['domain', s.domain],
          ['password', s.password],
          ['ip', ch!.value],
        ])
        const res = await send(ctx, 'namecheap', { url: `${s.baseUrl}/update?${q.toString()}` })
        if (!ok(res)) throw statusError('namecheap', res, ctx.now())
        const a = parseNamecheapAnswer(res.body)
        if (!a) {
          throw new EdgeError('protocol', `namecheap: ${res.host} answered ${res.contentType || 'a body'} that is no <interface-response>: ${snippet(res.body)}`, { retryable: true })
        }
        if (a.errCount !== 0) throw namecheapError(a, res.host)
        return { ok: true, changed: true, ...(a.ip ? { recorded: [a.ip] } : {}) }
      },
    ),
  )
}

/** The Namecheap provider definition (registry entry `namecheap`). */
export const namecheap: ProviderDef<NamecheapSettings> = {
  name: 'namecheap',
  summary: 'Namecheap dynamic DNS (IPv4 only; success only when ErrCount is 0)',
  docs: 'https://www.namecheap.com/support/knowledgebase/article.aspx/29/11/how-to-dynamically-update-the-hosts-ip-with-an-https-request/',
  keys: [
    { key: 'domain', required: true, doc: 'the domain ("example.com")' },
    { key: 'ddns_password', required: true, secret: true, doc: 'the Dynamic DNS password (Advanced DNS page of the domain)' },
    { key: 'records', required: true, doc: 'hosts: "@" for the domain, "*" for the wildcard, "sub" for sub.<domain>' },
    baseUrlKey(NAMECHEAP_BASE_URL, '/update'),
    RESOLVER_KEY,
  ],
  capabilities: { read: 'dns', ipv6: false, dualStackOneRequest: false },
  parse,
  create: (settings) => createNamecheapProvider(settings),
}
