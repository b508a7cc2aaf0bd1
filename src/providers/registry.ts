import type { ProviderDef } from './types.js'
import { alidns } from './alidns/index.js'
import { azure } from './azure/index.js'
import { cloudns } from './cloudns/index.js'
import { digitalocean } from './digitalocean/index.js'
import { gandi } from './gandi/index.js'
import { hetzner } from './hetzner/index.js'
import { ionos } from './ionos/index.js'
import { powerdns } from './powerdns/index.js'
import { transip } from './transip/index.js'
import { cloudflare } from './cloudflare/index.js'
import { dnspod } from './dnspod/index.js'
import { route53 } from './route53/index.js'
import { godaddy } from './godaddy/index.js'
import { porkbun } from './porkbun/index.js'
import { desec } from './desec/index.js'
import { duckdns } from './duckdns/index.js'
import { dyndns2 } from './dyndns2/index.js'
import { dynu } from './dynu/index.js'
import { he } from './he/index.js'
import { namecheap } from './namecheap/index.js'
import { noip } from './noip/index.js'
import { TOKENURL_PROVIDERS } from './tokenurl/index.js'
import { rfc2136 } from './rfc2136/index.js'

/**
 * Every provider type, one line each. Importing a definition must not do I/O or build anything
 * heavy: the definitions are plain objects, and a provider's client is created only for a config
 * that uses it.
 */
export const providers: Readonly<Record<string, ProviderDef>> = {
  cloudflare: cloudflare as ProviderDef,
  rfc2136: rfc2136 as ProviderDef,
  godaddy: godaddy as ProviderDef,
  porkbun: porkbun as ProviderDef,
  namecheap: namecheap as ProviderDef,
  he: he as ProviderDef,
  noip: noip as ProviderDef,
  dynu: dynu as ProviderDef,
  dyndns2: dyndns2 as ProviderDef,
  duckdns: duckdns as ProviderDef,
  desec: desec as ProviderDef,
  ...TOKENURL_PROVIDERS,
  route53: route53 as ProviderDef,
  alidns: alidns as ProviderDef,
  dnspod: dnspod as ProviderDef,
  digitalocean: digitalocean as ProviderDef,
  hetzner: hetzner as ProviderDef,
  gandi: gandi as ProviderDef,
  ionos: ionos as ProviderDef,
  cloudns: cloudns as ProviderDef,
  powerdns: powerdns as ProviderDef,
  transip: transip as ProviderDef,
  azure: azure as ProviderDef,
}

/**
 * dness provider types not built yet: a dness.conf naming one gets a clear config error, never a
 * crash. Every dness type is built now; the list stays for types a future dness adds.
 */
export const PLANNED_DNESS_TYPES: readonly string[] = []
