import type { EdgeError } from '../errors.js'
import type { Family } from '../providers/types.js'

/**
 * One place to learn the WAN address from. In the TOML a source is a string (`"opendns"`,
 * `"ipify"`, `"interface:eth0"`, `"netifd:wan"`, `"https://…"`) or an inline table for a custom
 * DNS query (`{ dns = "127.0.0.1:5353", name = "myip.opendns.com", type = "A" }`).
 */
export type SourceSpec = DnsSourceSpec | HttpSourceSpec | InterfaceSourceSpec | NetifdSourceSpec

/** A raw DNS query whose answer is the asking host's address. */
export interface DnsSourceSpec {
  kind: 'dns'
  /** Preset name (`opendns`, `google`, `cloudflare`, `akamai`) or `custom`. */
  label: string
  /** Server per family; a family without a server is not served by this source. */
  server: { 4?: string; 6?: string }
  port: number
  /** Query name per family (OpenDNS asks the same name for A and AAAA). */
  name: string
  /** Query type per family; TXT answers carry the address as a character-string. */
  type: { 4: 'A' | 'TXT'; 6: 'AAAA' | 'TXT' }
  class: 'IN' | 'CH'
}

/** An HTTPS "what is my IP" echo: the body is exactly one address (or a Cloudflare trace). */
export interface HttpSourceSpec {
  kind: 'http'
  label: string
  /** URL per family; a family without a URL is not served by this source. */
  url: { 4?: string; 6?: string }
  /** `plain`: the trimmed body is the address; `trace`: a `key=value` body with `ip=`. */
  format: 'plain' | 'trace'
}

/** The addresses configured on a local network interface. */
export interface InterfaceSourceSpec {
  kind: 'interface'
  label: string
  /** Interface name, e.g. `eth0`, `pppoe-wan`. */
  name: string
}

/** OpenWrt's netifd, through `ubus call network.interface.<name> status`. */
export interface NetifdSourceSpec {
  kind: 'netifd'
  label: string
  /** Logical interface name, e.g. `wan`, `wan6`. */
  name: string
}

/** Which addresses are acceptable (BC-16, BC-17). */
export interface AddressPolicy {
  /** Accept private, CGNAT, link-local and other special IPv4 ranges / ULA IPv6 (LAN-only setups). */
  allowPrivate: boolean
  /** Accept documentation ranges (192.0.2.0/24, 2001:db8::/32, ...): for tests and demos. */
  allowDocumentation: boolean
  /** IPv6 from an interface: prefer temporary (privacy) addresses over stable ones. */
  preferTemporary: boolean
}

/** The `[detect]` part of the config. */
export interface DetectConfig {
  /** Ordered sources per family; the first valid answer wins. */
  sources: Record<Family, SourceSpec[]>
  policy: AddressPolicy
}

/** What one source said for one family. */
export interface SourceAttempt {
  /** The source's label, e.g. `dns:opendns`, `http:ipify`, `interface:eth0`. */
  source: string
  address?: string
  error?: EdgeError
  /** Extra facts for `detect` (e.g. the delegated IPv6 prefix from netifd). */
  notes?: string[]
}

/** The outcome of detection for one family. */
export interface FamilyResult {
  family: Family
  /** The chosen address, absent when every source failed or none is configured. */
  address?: string
  /** Label of the source that gave `address`. */
  source?: string
  attempts: SourceAttempt[]
}

/** Detection for every family asked. */
export type Addresses = Partial<Record<Family, FamilyResult>>
