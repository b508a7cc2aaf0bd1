import type { ErrorKind } from '../../errors.js'

/**
 * Token-URL services: dynamic DNS updates by one GET (or form POST) to a service's own URL, with
 * its own parameter names and answer words. Each service is a row of data here, interpreted by
 * the one engine in engine.ts; two services that differ only in data share all the code.
 *
 * Templates (`url`, `params`, `basic`) take `{name}` placeholders:
 * - config values: `{token}`, `{username}`, `{password}`, `{record_id}`, `{url}`, `{domain}`; an
 *   IPv6 request uses `{token6}` / `{url6}` in place of `{token}` / `{url}` when the entry has one
 *   (a record with its own secret per family: afraid.org v2, Directnic);
 * - the request: `{host}` (full name), `{sub}` (name below `domain`, `@` for the apex), `{sub0}`
 *   (the same, empty for the apex), `{root}` (`true` for the apex), `{ip}` (the one address of a
 *   one-family request), `{ip4}`, `{ip6}`, `{type}` (`A` or `AAAA`).
 * A parameter whose placeholder has no value (`{ip6}` in a request without IPv6) is left out.
 *
 * The documentation page, what it shows, and what was taken from other clients are in
 * README.md here and in each fixture folder's sources.md (test/fixtures/<service>/).
 */

/**
 * One answer rule: a case-insensitive, multi-line regular expression over the body (empty: any
 * body), what it means, optionally only at one HTTP status, and a hold-off in seconds.
 * `good` and `nochg` count only with a 2xx status. Rules are tried in order.
 */
export type AnswerRule = readonly [match: string, kind: 'good' | 'nochg' | ErrorKind, status?: number, holdSec?: number]

/** One service. */
export interface TokenService {
  /** The provider `type`. */
  name: string
  /** One line for `edge-ddns providers`. */
  summary: string
  /** The documentation page the row follows. */
  docs: string
  /** Update URL template. */
  url: string
  /** IPv6 update URL template (another host); implies one request per family. */
  url6?: string
  /** Send the parameters as an `application/x-www-form-urlencoded` POST body. */
  post?: boolean
  /**
   * Config keys besides `hostname`, `base_url` and `resolver`, in order; `?` marks an optional
   * one. `token`, `token6`, `password`, `url`, `url6` are secrets.
   */
  keys: readonly string[]
  /** Query (or form) parameters in order: name and template. */
  params: readonly (readonly [string, string])[]
  /**
   * `both`: v4 and v6 of a host in one request; `each`: one request per family; `v4`: IPv4 only.
   */
  family: 'both' | 'each' | 'v4'
  /** Basic credentials: user and password templates. */
  basic?: readonly [string, string]
  /** The secret belongs to one record: `hostname` takes one name. */
  single?: boolean
  answers: readonly AnswerRule[]
  /** After the rules, read the first line as a dyndns2 answer (`good`, `nochg`, `badauth` ...). */
  codes?: boolean
}

/** The services, sorted by name. */
export const SERVICES: readonly TokenService[] = [
  {
    name: '1984hosting',
    summary: '1984 Hosting FreeDNS (API key URL, JSON answer)',
    docs: 'https://management.1984hosting.com/domains/freednsapi/',
    url: 'https://api.1984.is/1.0/freedns/',
    keys: ['token'],
    params: [['apikey', '{token}'], ['domain', '{host}'], ['ip', '{ip}']],
    family: 'v4',
    answers: [['"ok"\\s*:\\s*true', 'good'], ['"ok"\\s*:\\s*false', 'invalid']],
  },
  {
    name: 'ddnss',
    summary: 'DDNSS.de (update key URL)',
    docs: 'https://ddnss.de/info.php',
    url: 'https://www.ddnss.de/upd.php',
    keys: ['token'],
    params: [['key', '{token}'], ['host', '{host}'], ['ip', '{ip4}'], ['ip6', '{ip6}']],
    family: 'both',
    answers: [['Updated \\d+ hostname', 'good'], ['No change', 'nochg'], ['badysys', 'invalid'], ['badauth', 'auth'], ['notfqdn|nohost', 'notfound']],
  },
  {
    name: 'directnic',
    summary: 'Directnic (one secret update URL per record)',
    docs: 'https://directnic.com/knowledge/#/knowledge/article/3726',
    url: '{url}',
    keys: ['url?', 'url6?'],
    params: [['data', '{ip}']],
    family: 'each',
    single: true,
    answers: [['"result"\\s*:\\s*"success"', 'good'], ['', 'auth', 404]],
  },
  {
    name: 'dnsmadeeasy',
    summary: 'DNS Made Easy dynamic record (record id URL)',
    docs: 'https://dnsmadeeasy.com/technology/dynamic-dns/',
    url: 'https://cp.dnsmadeeasy.com/servlet/updateip',
    keys: ['username', 'password', 'record_id'],
    params: [['username', '{username}'], ['password', '{password}'], ['id', '{record_id}'], ['ip', '{ip}']],
    family: 'v4',
    single: true,
    answers: [
      ['^success', 'good'],
      ['error-record-ip-same', 'nochg'],
      ['error-auth-(?:suspend|voided)|error-record-auth', 'forbidden'],
      ['error-auth', 'auth'],
      ['error-record-invalid', 'notfound'],
      ['error-system', 'provider'],
    ],
  },
  {
    name: 'dondominio',
    summary: 'DonDominio DonDNS (user and password URL, JSON answer)',
    docs: 'https://dondominio.dev/en/dondns/docs/api/',
    url: 'https://dondns.dondominio.com/json/',
    keys: ['username', 'password'],
    params: [['user', '{username}'], ['password', '{password}'], ['host', '{host}'], ['ip', '{ip}'], ['lang', 'en']],
    family: 'v4',
    answers: [['"success"\\s*:\\s*true', 'good'], ['"success"\\s*:\\s*false', 'invalid']],
  },
  {
    name: 'dynadot',
    summary: 'Dynadot dynamic DNS (DDNS password URL, one type per request)',
    docs: 'https://www.dynadot.com/community/help/question/set-up-dynamic-dns',
    url: 'https://www.dynadot.com/set_ddns',
    keys: ['domain', 'password'],
    params: [['domain', '{domain}'], ['subDomain', '{sub0}'], ['containRoot', '{root}'], ['type', '{type}'], ['ip', '{ip}'], ['pwd', '{password}'], ['ttl', '600']],
    family: 'each',
    answers: [['"status"\\s*:\\s*"success"', 'good'], ['"status"\\s*:\\s*"error"', 'invalid']],
  },
  {
    name: 'dynv6',
    summary: 'dynv6 update API (zone token; v4 and v6 in one request)',
    docs: 'https://dynv6.com/docs/apis',
    url: 'https://dynv6.com/api/update',
    keys: ['token'],
    params: [['zone', '{host}'], ['token', '{token}'], ['ipv4', '{ip4}'], ['ipv6', '{ip6}']],
    family: 'both',
    answers: [['^addresses unchanged', 'nochg'], ['^addresses updated', 'good']],
  },
  {
    name: 'enom',
    summary: 'Enom dynamic DNS (domain password URL)',
    docs: 'https://www.enom.com/kb/kb/kb_0003_dynamic_dns.htm',
    url: 'https://dynamic.name-services.com/interface.asp',
    keys: ['domain', 'password'],
    params: [['Command', 'SetDNSHost'], ['HostName', '{sub}'], ['Zone', '{domain}'], ['DomainPassword', '{password}'], ['Address', '{ip}']],
    family: 'v4',
    answers: [['ErrCount[>=]\\s*0\\b', 'good'], ['304155', 'auth'], ['304153', 'notfound'], ['ErrCount[>=]\\s*[1-9]', 'invalid']],
  },
  {
    name: 'freedns',
    summary: 'FreeDNS (afraid.org) v2 token URLs; IPv6 on its own host',
    docs: 'https://freedns.afraid.org/dynamic/v2/',
    url: 'https://sync.afraid.org/u/{token}/',
    url6: 'https://v6.sync.afraid.org/u/{token}/',
    keys: ['token', 'token6?'],
    params: [['address', '{ip}']],
    family: 'each',
    single: true,
    answers: [['^Updated ', 'good'], ['^No IP change detected', 'nochg'], ['^ERROR: Unable to locate', 'auth'], ['^ERROR: .*invalid', 'invalid']],
  },
  {
    name: 'freemyip',
    summary: 'FreeMyIP (token URL)',
    docs: 'https://freemyip.com/help',
    url: 'https://freemyip.com/update',
    keys: ['token'],
    params: [['token', '{token}'], ['domain', '{host}'], ['myip', '{ip}']],
    family: 'v4',
    answers: [['^OK\\b', 'good'], ['^ERROR', 'auth']],
  },
  {
    name: 'goip',
    summary: 'GoIP.de (user and password URL)',
    docs: 'https://www.goip.de/update-url.html',
    url: 'https://www.goip.de/setip',
    keys: ['username', 'password'],
    params: [['username', '{username}'], ['password', '{password}'], ['subdomain', '{host}'], ['ip', '{ip4}'], ['ip6', '{ip6}'], ['shortResponse', 'true']],
    family: 'each',
    answers: [['^\\S+ \\([0-9a-f.:]+\\)', 'good'], ['zugriff verweigert', 'auth']],
  },
  {
    name: 'ipv64',
    summary: 'IPv64.net (domain update key; dyndns2 answers)',
    docs: 'https://ipv64.net/dyndns_updater_api',
    url: 'https://ipv64.net/nic/update',
    keys: ['token'],
    params: [['key', '{token}'], ['domain', '{host}'], ['ip', '{ip4}'], ['ip6', '{ip6}']],
    family: 'both',
    answers: [],
    codes: true,
  },
  {
    name: 'keysystems',
    summary: 'Key-Systems / DomainDiscount24 dynamic DNS (password URL)',
    docs: 'https://support.domaindiscount24.com/hc/en-gb/articles/4409759444625-Dynamic-DNS',
    url: 'https://dynamicdns.key-systems.net/update.php',
    keys: ['password'],
    params: [['hostname', '{host}'], ['password', '{password}'], ['ip', '{ip}']],
    family: 'v4',
    answers: [['code = 200|\\bsuccess\\b', 'good'], ['abuse prevention', 'ratelimit', undefined, 1800], ['invalid password|authorization failed', 'auth']],
  },
  {
    name: 'myaddr',
    summary: 'myaddr.tools (key POST; the key updates its one name)',
    docs: 'https://myaddr.tools/',
    url: 'https://myaddr.tools/update',
    post: true,
    keys: ['token'],
    params: [['key', '{token}'], ['ip', '{ip}']],
    family: 'each',
    single: true,
    answers: [['', 'auth', 404], ['', 'invalid', 400], ['', 'good', 200]],
  },
  {
    name: 'njalla',
    summary: 'Njalla dynamic record (record key URL, JSON answer)',
    docs: 'https://njal.la/docs/ddns/',
    url: 'https://njal.la/update/',
    keys: ['token'],
    params: [['h', '{host}'], ['k', '{token}'], ['a', '{ip4}'], ['aaaa', '{ip6}']],
    family: 'both',
    single: true,
    answers: [['"message"\\s*:\\s*"record updated"', 'good'], ['', 'auth', 401], ['', 'invalid', 500]],
  },
  {
    name: 'regfish',
    summary: 'regfish DynDNS (token URL; v4 and v6 in one request)',
    docs: 'https://www.regfish.de/domains/dyndns/dokumentation',
    url: 'https://dyndns.regfish.de/',
    keys: ['token'],
    params: [['fqdn', '{host}'], ['forcehost', '1'], ['authtype', 'secure'], ['token', '{token}'], ['ipv4', '{ip4}'], ['ipv6', '{ip6}']],
    family: 'both',
    answers: [
      ['(?:^|\\|)100(?:\\||$)', 'good'],
      ['(?:^|\\|)101(?:\\||$)', 'nochg'],
      ['(?:^|\\|)40[12](?:\\||$)', 'auth'],
      ['(?:^|\\|)412(?:\\||$)', 'notfound'],
      ['(?:^|\\|)4(?:08|09)(?:\\||$)', 'invalid'],
      ['(?:^|\\|)414(?:\\||$)', 'provider'],
    ],
  },
  {
    name: 'zoneedit',
    summary: 'ZoneEdit dynamic DNS (Basic with the dynamic token)',
    docs: 'https://support.zoneedit.com/en/knowledgebase/article/dynamic-dns',
    url: 'https://dynamic.zoneedit.com/auth/dynamic.html',
    keys: ['username', 'password'],
    params: [['host', '{host}'], ['dnsto', '{ip}']],
    family: 'v4',
    basic: ['{username}', '{password}'],
    answers: [['<SUCCESS\\b', 'good'], ['CODE="702"', 'ratelimit', undefined, 600], ['CODE="708"|invalid login', 'auth'], ['CODE="709"', 'notfound'], ['CODE="704"', 'invalid']],
  },
]
