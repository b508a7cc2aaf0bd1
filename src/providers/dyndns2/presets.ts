import type { ExtraCode } from './protocol.js'

/**
 * dyndns2 presets: data, not code. Each row says where a service takes the dyndns2 update, how
 * it wants credentials and IPv6, whether v4 and v6 go in one request, how many hosts one request
 * may carry, and the service's own answer words. Adding a service is one row here plus its
 * fixtures (test/fixtures/dyndns2/), nothing else.
 *
 * Every row names the documentation page it follows; `verified` says what was checked there and
 * what was taken from other clients because the page does not say (the conservative choice is
 * then made: one request per family, one host per request).
 */

/**
 * How a service takes IPv6:
 * - `comma`: `myip=v4,v6` in one request (Dyn, No-IP, SPDyn);
 * - `param`: IPv4 in `myip`, IPv6 in another parameter (`v6Param`), one request (Dynu: `myipv6`);
 * - `separate`: `myip=<v6>` in a request of its own (HE, OVH: one family per request);
 * - `host`: a request of its own to another host (`v6Server`; nsupdate.info's ipv6.nsupdate.info);
 * - `none`: the service takes IPv4 only.
 */
export type Ipv6Style = 'comma' | 'param' | 'separate' | 'host' | 'none'

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
   * Authorization header (Hurricane Electric refuses Basic: BC-26).
   */
  auth: 'basic' | 'password-param'
  /** The user name is the host name when `username` is not set (nsupdate.info, SPDyn tokens). */
  userIsHost?: boolean
  ipv6: Ipv6Style
  /** With `param`: the IPv6 parameter name. */
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
  /** Host names one request may carry (comma-separated in `hostname`); 1 = one host per request. */
  maxHosts: number
  /** Parameters the service wants on every request, in order. */
  extraParams?: readonly (readonly [string, string])[]
  /** The service's own answer words, tried before the standard codes. */
  extraCodes?: readonly ExtraCode[]
  /** What was checked in the documentation, and what was not. */
  verified: string
  /** Traps worth knowing, for the README. */
  notes?: string
}

/** The preset table. */
export const PRESETS: readonly Dyndns2Preset[] = [
  {
    name: 'dyn',
    title: 'Dyn (Oracle Dyn Remote Access)',
    docs: 'https://help.dyn.com/remote-access-api/perform-update/',
    url: 'https://members.dyndns.org/v3/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'comma',
    omittedFamilyIsDeleted: true,
    maxHosts: 20,
    verified: 'v3 URL, Basic, myip comma list for v4 and v6, up to 20 hosts with one code per line (help.dyn.com return-codes). Deletion of an omitted family: openwrt/packages#17875, not in the docs.',
    notes: 'paid service; every failure is fatal until the user acts',
  },
  {
    name: 'noip',
    title: 'No-IP',
    docs: 'https://www.noip.com/integrate/request',
    url: 'https://dynupdate.no-ip.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'comma',
    maxHosts: 20,
    verified: 'URL, Basic, User-Agent format, codes one per line in request order, echo "v4,v6" for a dual-stack update (noip.com/integrate/response). myip=v4,v6 as ddclient sends it.',
    notes: 'needs a real User-Agent (badagent); free hosts expire unless confirmed every 30 days; excessive nochg gets the client blocked',
  },
  {
    name: 'dynu',
    title: 'Dynu',
    docs: 'https://www.dynu.com/DynamicDNS/IP-Update-Protocol',
    url: 'https://api.dynu.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'param',
    v6Param: 'myipv6',
    keep: 'no',
    maxHosts: 1,
    verified: 'URL, GET only, Basic (or query username/password), one-word return code. myipv6 for IPv6 and "no" to leave a family alone: ddclient#475, BC-27 and clients in the field; not visible in the stored page.',
    notes: 'IPv6 in myip is ignored (BC-27); an update without myip/myipv6 takes the connection address',
  },
  {
    name: 'he',
    title: 'Hurricane Electric (dns.he.net)',
    docs: 'https://dns.he.net/docs.html',
    url: 'https://dyn.dns.he.net/nic/update',
    method: 'POST',
    auth: 'password-param',
    ipv6: 'separate',
    maxHosts: 1,
    verified: 'POST form hostname, password (the record key), myip; dness and openwrt/packages PR #27921. Basic is refused with badauth (BC-26); one request per family (ddclient PR #682).',
    notes: 'the record must be flagged dynamic in the UI first; too-frequent updates answer abuse',
  },
  {
    name: 'ovh',
    title: 'OVH DynHost',
    docs: 'https://docs.ovh.com/ie/en/domains/hosting_dynhost/',
    url: 'https://www.ovh.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'separate',
    maxHosts: 1,
    extraParams: [['system', 'dyndns']],
    verified: 'URL with system=dyndns, Basic with the DynHost login. One address per request (ddclient#952); IPv6 per ovh/docs PR #6337.',
    notes: 'the DynHost record must exist before the first update',
  },
  {
    name: 'strato',
    title: 'Strato',
    docs: 'https://www.strato.de/faq/hosting/so-einfach-richten-sie-dyndns-fuer-ihre-domains-ein/',
    url: 'https://dyndns.strato.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'separate',
    maxHosts: 1,
    extraCodes: [{ match: '^badrequest\\b', kind: 'invalid', meaning: 'the service did not understand the request' }],
    verified: 'URL and Basic (user = a domain of the package). v4+v6 in one myip is not confirmed, so one request per family. badrequest from ddns-updater.',
    notes: 'answers abuse after too many updates (qdm12/ddns-updater#140)',
  },
  {
    name: 'nsupdate.info',
    title: 'nsupdate.info',
    docs: 'https://www.nsupdate.info/',
    url: 'https://ipv4.nsupdate.info/nic/update',
    url6: 'https://ipv6.nsupdate.info/nic/update',
    method: 'GET',
    auth: 'basic',
    userIsHost: true,
    ipv6: 'host',
    maxHosts: 1,
    verified: 'ipv4./ipv6. update hosts, Basic with user = host name and the host secret (catalogue, inadyn, OpenWrt).',
    notes: 'blocks accounts after repeated no-change updates (opnsense/plugins#1908)',
  },
  {
    name: 'dnsomatic',
    title: 'DNS-O-Matic',
    docs: 'https://www.dnsomatic.com/docs/api',
    url: 'https://updates.dnsomatic.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'none',
    maxHosts: 1,
    extraParams: [
      ['wildcard', 'NOCHG'],
      ['mx', 'NOCHG'],
      ['backmx', 'NOCHG'],
    ],
    verified: 'URL, Basic (OpenDNS account), dyndns2 codes, wildcard/mx/backmx NOCHG. The API page shows no IPv6.',
    notes: 'a relay: hostname all.dnsomatic.com updates every service of the account; read-back by DNS then checks that name only',
  },
  {
    name: 'changeip',
    title: 'ChangeIP',
    docs: 'https://www.changeip.com/',
    url: 'https://nic.changeip.com/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'none',
    maxHosts: 1,
    extraCodes: [{ match: '^(?:200\\s+)?successful', kind: 'good', meaning: 'updated' }],
    verified: 'URL and Basic (ddclient, ddupdate); the success text "Successful" from OpenWrt and ddupdate. IPv4 only.',
  },
  {
    name: 'freedns',
    title: 'FreeDNS (afraid.org), dyndns2 endpoint',
    docs: 'https://freedns.afraid.org/dynamic/',
    url: 'https://freedns.afraid.org/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'separate',
    maxHosts: 1,
    extraCodes: [
      { match: '^Updated\\s+\\S+\\s+to\\s+(?<ip>\\S+)', kind: 'good', meaning: 'updated' },
      { match: '^ERROR:\\s+Address\\s+(?<ip>\\S+)\\s+has not changed', kind: 'nochg', meaning: 'no change' },
      { match: '^ERROR:\\s+Unable to locate this record', kind: 'auth', meaning: 'wrong username or password, or no such record', account: true },
    ],
    verified: 'The /nic/update endpoint exists and takes Basic (clients in the field); its answers are afraid.org text, not dyndns2 codes. One family per request (its v2 API uses a separate v6 host).',
    notes: 'the v2 token URLs (sync.afraid.org) are a separate Group B provider',
  },
  {
    name: 'spdyn',
    title: 'Securepoint SPDyn',
    docs: 'https://wiki.securepoint.de/SPDyn/Parameter',
    url: 'https://update.spdyn.de/nic/update',
    method: 'GET',
    auth: 'basic',
    ipv6: 'comma',
    maxHosts: 20,
    extraCodes: [{ match: '^fatal\\b', kind: 'forbidden', meaning: 'the host was disabled by hand' }],
    verified: 'URL, Basic, myip "v4,v6" (exactly one of each), up to 20 hosts per request, return codes incl. !yours and fatal (SPDyn/Rückgabecodes).',
    notes: 'an update token updates exactly one host (user = the host name): use one hostname per entry then',
  },
  {
    name: 'easydns',
    title: 'easyDNS',
    docs: 'https://kb.easydns.com/knowledge/dynamic-dns/',
    url: 'https://api.cp.easydns.com/dyn/generic.php',
    method: 'GET',
    auth: 'basic',
    ipv6: 'separate',
    maxHosts: 1,
    extraCodes: [
      { match: '^NOERROR\\b', kind: 'good', meaning: 'updated' },
      { match: '^OK$', kind: 'good', meaning: 'updated' },
      { match: '^NOACCESS\\b', kind: 'auth', meaning: 'wrong user name or dynamic token', account: true },
      { match: '^NOSERVICE\\b', kind: 'forbidden', meaning: 'dynamic DNS is not enabled for this domain' },
      { match: '^ILLEGAL INPUT\\b', kind: 'invalid', meaning: 'the service refused the request parameters' },
      { match: '^TOOSOON\\b', kind: 'ratelimit', meaning: 'updates less than 10 minutes apart', holdSec: 600, account: true },
    ],
    verified: 'generic.php with hostname and myip, Basic with the dynamic token, the NOERROR/NOACCESS/NOSERVICE/ILLEGAL INPUT/TOOSOON words (easyDNS client spec, ddclient). No nochg word: an unchanged update answers NOERROR too.',
    notes: 'at least 10 minutes between updates (TOOSOON)',
  },
]

/** The preset named `name`, if any. */
export function presetByName(name: string): Dyndns2Preset | undefined {
  return PRESETS.find((p) => p.name === name.toLowerCase())
}

/**
 * The behaviour of a server given without a preset: the dyndns2 basics every service of the
 * family accepts (Basic auth, `/nic/update`, one host and one family per request).
 */
export const GENERIC: Dyndns2Preset = {
  name: 'generic',
  title: 'dyndns2',
  docs: 'https://help.dyn.com/remote-access-api/perform-update/',
  url: '',
  method: 'GET',
  auth: 'basic',
  ipv6: 'separate',
  maxHosts: 1,
  verified: 'the common subset of the dyndns2 protocol',
}
