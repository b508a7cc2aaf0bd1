import type { ErrorKind } from '../../errors.js'
import type { ExtraCode } from './protocol.js'

/**
 * dyndns2 presets: data, not code. Each row says where a service takes the dyndns2 update, how
 * it wants credentials and IPv6, whether v4 and v6 go in one request, how many hosts one request
 * may carry, and the service's own answer words. Adding a service is one row here plus its
 * fixtures (test/fixtures/dyndns2/<preset>/), nothing else.
 *
 * What was checked on each service's documentation page, what was taken from other clients
 * because the page does not say, and the traps worth knowing are in README.md here (the preset
 * table) and in each fixture folder's sources.md, not in runtime strings: where a page did not
 * say, the row takes the conservative choice (one request per family, one host per request).
 */

/**
 * How a service takes IPv6:
 * - `comma`: `myip=v4,v6` in one request (Dyn, No-IP, SPDyn);
 * - `param`: IPv4 in `myip`, IPv6 in another parameter (`v6Param`), one request (Dynu: `myipv6`);
 * - `separate`: one family per request; IPv6 in `myip` (HE, OVH), or in `v6Param` when set
 *   (All-Inkl's `myip6`, Gigahost's `myipv6`);
 * - `host`: a request of its own to another host (`v6Server`; nsupdate.info's ipv6.nsupdate.info);
 * - `none`: the service takes IPv4 only.
 */
export type Ipv6Style = 'comma' | 'param' | 'separate' | 'host' | 'none'

/** An HTTP status that carries the answer by itself (selfhost.de): what it means. */
export type StatusCode = readonly [status: number, kind: 'good' | 'nochg' | ErrorKind, meaning: string]

/** One preset row. */
export interface Dyndns2Preset {
  /** The value of `preset = "..."`. */
  name: string
  /** Service name for messages and the README. */
  title: string
  /** The documentation page the row follows. */
  docs: string
  /** Default update URL (scheme, host, path) for IPv4 and, except with `host`, IPv6. */
  url: string
  /** With `host`: the IPv6 update URL. */
  url6?: string
  method: 'GET' | 'POST'
  /**
   * `basic`: `Authorization: Basic user:password` (RFC 7617);
   * `password-param`: the host's key as form/query parameter `password`, no username, no
   * Authorization header (Hurricane Electric refuses Basic: BC-26);
   * `query`: `username` and `password` as query (or form) parameters, no Authorization header
   * (MyOnlinePortal).
   */
  auth: 'basic' | 'password-param' | 'query'
  /** The user name is the host name when `username` is not set (nsupdate.info, SPDyn tokens). */
  userIsHost?: boolean
  ipv6: Ipv6Style
  /** With `param` (and optionally `separate`): the IPv6 parameter name. */
  v6Param?: string
  /**
   * With `param`: the value that tells the service to leave a family as it is (Dynu: `no`). Without
   * one, the family not updated is left out of the request.
   */
  keep?: string
  /**
   * The service removes the record of a family the request leaves out (Dyn, per
   * openwrt/packages#17875): the other family's current value is sent along.
   */
  omittedFamilyIsDeleted?: boolean
  /** An IPv6 update must carry the IPv4 address too (INWX): the current A value goes along. */
  v6NeedsV4?: boolean
  /** Host names one request may carry (comma-separated in `hostname`); 1 = one host per request. */
  maxHosts: number
  /** The name of the host parameter; default `hostname` (YDNS and All-Inkl: `host`). */
  hostParam?: string
  /**
   * The name of the address parameter; default `myip`. An empty string: the service takes no
   * address and records the address the request comes from (dy.fi).
   */
  ipParam?: string
  /** Parameters the service wants on every request, in order. */
  extraParams?: readonly (readonly [string, string])[]
  /** Parameters for requests of one family only (Core-Networks' `keepipv6=1` on IPv4 updates). */
  familyParams?: readonly (readonly [family: 4 | 6, name: string, value: string])[]
  /** The service's own answer words, tried before the standard codes. */
  extraCodes?: readonly ExtraCode[]
  /** HTTP statuses that are the answer whatever the body says (selfhost.de's 204, 409, 410 ...). */
  statusCodes?: readonly StatusCode[]
}

/** A row with the common defaults filled in: GET, Basic, one family and one host per request. */
type Row = Omit<Dyndns2Preset, 'method' | 'auth' | 'ipv6' | 'maxHosts'> & Partial<Pick<Dyndns2Preset, 'method' | 'auth' | 'ipv6' | 'maxHosts'>>

function row(r: Row): Dyndns2Preset {
  return { method: 'GET', auth: 'basic', ipv6: 'separate', maxHosts: 1, ...r }
}

/** `good`/`nochg` words some services use instead of the standard ones (`ip` = the echoed address). */
const word = (re: string, kind: ExtraCode['kind'], meaning: string): ExtraCode => ({ match: re, kind, meaning })

/** The preset table, one row per service, sorted by name after the first twelve. */
export const PRESETS: readonly Dyndns2Preset[] = [
  row({ name: 'dyn', title: 'Dyn Remote Access', docs: 'https://help.dyn.com/remote-access-api/perform-update/', url: 'https://members.dyndns.org/v3/update', ipv6: 'comma', omittedFamilyIsDeleted: true, maxHosts: 20 }),
  row({ name: 'noip', title: 'No-IP', docs: 'https://www.noip.com/integrate/request', url: 'https://dynupdate.no-ip.com/nic/update', ipv6: 'comma', maxHosts: 20 }),
  row({ name: 'dynu', title: 'Dynu', docs: 'https://www.dynu.com/DynamicDNS/IP-Update-Protocol', url: 'https://api.dynu.com/nic/update', ipv6: 'param', v6Param: 'myipv6', keep: 'no' }),
  row({ name: 'he', title: 'Hurricane Electric', docs: 'https://dns.he.net/docs.html', url: 'https://dyn.dns.he.net/nic/update', method: 'POST', auth: 'password-param' }),
  row({ name: 'ovh', title: 'OVH DynHost', docs: 'https://docs.ovh.com/ie/en/domains/hosting_dynhost/', url: 'https://www.ovh.com/nic/update', extraParams: [['system', 'dyndns']] }),
  row({
    name: 'strato',
    title: 'Strato',
    docs: 'https://www.strato.de/faq/hosting/so-einfach-richten-sie-dyndns-fuer-ihre-domains-ein/',
    url: 'https://dyndns.strato.com/nic/update',
    extraCodes: [word('^badrequest\\b', 'invalid', 'the service did not understand the request')],
  }),
  row({ name: 'nsupdate.info', title: 'nsupdate.info', docs: 'https://www.nsupdate.info/', url: 'https://ipv4.nsupdate.info/nic/update', url6: 'https://ipv6.nsupdate.info/nic/update', userIsHost: true, ipv6: 'host' }),
  row({
    name: 'dnsomatic',
    title: 'DNS-O-Matic',
    docs: 'https://www.dnsomatic.com/docs/api',
    url: 'https://updates.dnsomatic.com/nic/update',
    ipv6: 'none',
    extraParams: [
      ['wildcard', 'NOCHG'],
      ['mx', 'NOCHG'],
      ['backmx', 'NOCHG'],
    ],
  }),
  row({ name: 'changeip', title: 'ChangeIP', docs: 'https://www.changeip.com/', url: 'https://nic.changeip.com/nic/update', ipv6: 'none', extraCodes: [word('^(?:200\\s+)?successful', 'good', 'updated')] }),
  row({
    name: 'freedns',
    title: 'FreeDNS (afraid.org)',
    docs: 'https://freedns.afraid.org/dynamic/',
    url: 'https://freedns.afraid.org/nic/update',
    extraCodes: [
      word('^Updated\\s+\\S+\\s+to\\s+(?<ip>\\S+)', 'good', 'updated'),
      word('^ERROR:\\s+Address\\s+(?<ip>\\S+)\\s+has not changed', 'nochg', 'no change'),
      { match: '^ERROR:\\s+Unable to locate this record', kind: 'auth', meaning: 'wrong username or password, or no such record', account: true },
    ],
  }),
  row({ name: 'spdyn', title: 'Securepoint SPDyn', docs: 'https://wiki.securepoint.de/SPDyn/Parameter', url: 'https://update.spdyn.de/nic/update', ipv6: 'comma', maxHosts: 20, extraCodes: [word('^fatal\\b', 'forbidden', 'the host was disabled by hand')] }),
  row({
    name: 'easydns',
    title: 'easyDNS',
    docs: 'https://kb.easydns.com/knowledge/dynamic-dns/',
    url: 'https://api.cp.easydns.com/dyn/generic.php',
    extraCodes: [
      word('^NOERROR\\b', 'good', 'updated'),
      word('^OK$', 'good', 'updated'),
      { match: '^NOACCESS\\b', kind: 'auth', meaning: 'wrong user name or dynamic token', account: true },
      word('^NOSERVICE\\b', 'forbidden', 'dynamic DNS is not enabled for this domain'),
      word('^ILLEGAL INPUT\\b', 'invalid', 'the service refused the request parameters'),
      { match: '^TOOSOON\\b', kind: 'ratelimit', meaning: 'updates less than 10 minutes apart', holdSec: 600, account: true },
    ],
  }),
  // Issue 10: the rest of the catalogue's section A.
  row({ name: 'allinkl', title: 'ALL-INKL.COM', docs: 'https://all-inkl.com/wichtig/anleitungen/kas/tools/dyndns/', url: 'https://dyndns.kasserver.com/', hostParam: 'host', v6Param: 'myip6' }),
  row({ name: 'apertodns', title: 'ApertoDNS', docs: 'https://apertodns.com/docs', url: 'https://api.apertodns.com/nic/update' }),
  row({ name: 'corenetworks', title: 'Core-Networks', docs: 'https://www.core-networks.de/', url: 'https://dyndns.core-networks.de/', familyParams: [[4, 'keepipv6', '1'], [6, 'keepipv4', '1']] }),
  row({ name: 'dnshome', title: 'dnsHome.de', docs: 'https://www.dnshome.de/einrichtung.php', url: 'https://www.dnshome.de/dyndns.php', ipParam: 'ip', v6Param: 'ip6' }),
  row({ name: 'do.de', title: 'Domain-Offensive (do.de)', docs: 'https://www.do.de/wiki/FlexDNS_-_Entwickler', url: 'https://ddns.do.de/' }),
  row({ name: 'domeneshop', title: 'Domeneshop', docs: 'https://api.domeneshop.no/docs/', url: 'https://api.domeneshop.no/v0/dyndns/update', extraCodes: [word('^$', 'good', 'updated (204 No Content)')] }),
  row({ name: 'dy.fi', title: 'dy.fi', docs: 'https://www.dy.fi/page/specification?lang=en', url: 'https://www.dy.fi/nic/update', ipv6: 'none', ipParam: '', extraCodes: [word('^badip\\b', 'invalid', 'the address is not valid or not registered to a Finnish organisation')] }),
  row({ name: 'dyndns.it', title: 'DynDNS.it', docs: 'https://www.dyndns.it/', url: 'https://update.dyndns.it/nic/update', ipv6: 'none' }),
  row({ name: 'eurodns', title: 'EuroDNS', docs: 'https://www.eurodns.com/', url: 'https://update.eurodyndns.org/update/' }),
  row({ name: 'gigahost', title: 'Gigahost.no', docs: 'https://gigahost.no/en/api-dokumentasjon', url: 'https://api.gigahost.no/api/v0/dns/dyndns', v6Param: 'myipv6' }),
  row({ name: 'hosting.de', title: 'hosting.de', docs: 'https://www.hosting.de/', url: 'https://ddns.hosting.de/nic/update' }),
  row({
    name: 'infomaniak',
    title: 'Infomaniak',
    docs: 'https://faq.infomaniak.com/2376',
    url: 'https://infomaniak.com/nic/update',
    extraCodes: [word('^successfully_changed\\b(?:\\s+(?<ip>\\S+))?', 'good', 'updated'), word('^no_change\\b(?:\\s+(?<ip>\\S+))?', 'nochg', 'no change')],
  }),
  row({ name: 'inwx', title: 'INWX', docs: 'https://www.inwx.com/en/offer/dyndns', url: 'https://dyndns.inwx.com/nic/update', ipv6: 'param', v6Param: 'myipv6', v6NeedsV4: true }),
  row({ name: 'itsdns', title: "it's DNS", docs: 'https://www.itsdns.de/dynupdatehelp.htm', url: 'https://www.itsdns.de/update.php' }),
  row({ name: 'joker', title: 'Joker.com', docs: 'https://joker.com/faq/content/11/427/en/what-is-dynamic-dns-dyndns.html', url: 'https://svc.joker.com/nic/update' }),
  row({
    name: 'loopia',
    title: 'Loopia',
    docs: 'https://support.loopia.se/wiki/om-dyndns-stodet/',
    url: 'https://dyndns.loopia.se/',
    extraCodes: [word('^badrequest\\b', 'invalid', 'the service did not understand the request'), word('^911$', 'invalid', 'the request was refused (Loopia answers 911 for a bad address or request)')],
  }),
  row({ name: 'myonlineportal', title: 'MyOnlinePortal', docs: 'https://myonlineportal.net/howto_dyndns', url: 'https://myonlineportal.net/updateddns', auth: 'query', ipParam: 'ip', v6Param: 'ip6' }),
  row({ name: 'now-dns', title: 'Now-DNS', docs: 'https://now-dns.com/?m=api', url: 'https://now-dns.com/update' }),
  row({ name: 'oray', title: 'Oray (Peanut Hull)', docs: 'https://service.oray.com/question/3820.html', url: 'https://ddns.oray.com/ph/update', ipv6: 'none' }),
  row({ name: 'pubyun', title: '3322.org / pubyun', docs: 'https://www.pubyun.com/wiki/', url: 'https://members.3322.org/dyndns/update', ipv6: 'none', extraParams: [['system', 'dyndns']] }),
  row({ name: 'schokokeks', title: 'schokokeks.org', docs: 'https://wiki.schokokeks.org/DynDNS', url: 'https://dyndns.schokokeks.org/nic/update', ipv6: 'none' }),
  row({
    name: 'selfhost',
    title: 'selfhost.de',
    docs: 'https://selfhost.de/',
    url: 'https://carol.selfhost.de/nic/update',
    ipv6: 'none',
    statusCodes: [
      [204, 'nochg', 'no change'],
      [409, 'notfound', 'the zone does not exist'],
      [410, 'forbidden', 'the account is inactive'],
      [411, 'invalid', 'the address is malformed'],
      [412, 'invalid', 'the address is private'],
    ],
  }),
  row({ name: 'simply', title: 'Simply.com', docs: 'https://www.simply.com/en/docs/ddns/', url: 'https://api.simply.com/2/ddns/' }),
  row({ name: 'udmedia', title: 'udmedia.de', docs: 'https://www.udmedia.de/faq/content/47/288/de/wie-lege-ich-einen-dyndns_eintrag-an.html', url: 'https://www.udmedia.de/nic/update', ipv6: 'none' }),
  row({ name: 'updatedip', title: 'UpdatedIP', docs: 'https://www.updatedip.com/', url: 'https://updatedip.com/nic/update' }),
  row({ name: 'variomedia', title: 'Variomedia', docs: 'https://dyndns.variomedia.de/', url: 'https://dyndns.variomedia.de/nic/update', ipv6: 'comma' }),
  row({ name: 'websupport', title: 'WebSupport', docs: 'https://www.websupport.sk/', url: 'https://dyndns.websupport.sk/nic/update' }),
  row({ name: 'xlhost', title: 'XLhost', docs: 'https://xlhost.de/faq/index_html?topicId=CQA2ELIPO4SQ', url: 'https://nsupdate.xlhost.de/', ipv6: 'none' }),
  row({ name: 'ydns', title: 'YDNS', docs: 'https://ydns.io/api', url: 'https://ydns.io/api/v1/update/', hostParam: 'host', ipParam: 'ip' }),
]

/** The preset named `name`, if any. */
export function presetByName(name: string): Dyndns2Preset | undefined {
  return PRESETS.find((p) => p.name === name.toLowerCase())
}

/**
 * The behaviour of a server given without a preset: the dyndns2 basics every service of the
 * family accepts (Basic auth, `/nic/update`, one host and one family per request).
 */
export const GENERIC: Dyndns2Preset = row({ name: 'generic', title: 'dyndns2', docs: 'https://help.dyn.com/remote-access-api/perform-update/', url: '' })
