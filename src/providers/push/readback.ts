import dns from 'node:dns'
import { isIP } from 'node:net'
import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import type { DnsAnswer } from '../../dns/types.js'
import type { Current, RecordRef } from '../types.js'
import { parseServer, type ServerAddress } from '../../dns/names.js'

/**
 * The read-back of push-only providers: their update protocols (dyndns2, DuckDNS, deSEC's update
 * API, Namecheap's dynamic DNS GET) can write a record but not read it, so the current value is
 * read with a DNS query.
 *
 * Where the query goes, in order:
 * 1. the entry's `resolver` key, when set: every query goes there (recursion desired), and a
 *    failure there is the answer (no fallback: the user said where to look);
 * 2. the zone's authoritative servers: the zone is found by asking the system resolver for the NS
 *    RRset of the name, then of each parent (an SOA in the authority section names the zone at
 *    once, RFC 2308 section 3); the name servers' addresses come from the system resolver
 *    (`getaddrinfo`); the record is asked without recursion (RFC 1034 section 4.3.1), so no cache
 *    between the provider and edge-ddns can hide a change;
 * 3. the system resolver, when no authoritative server answered; the log says so.
 * `Current.via` names the server that answered (`dns ns1.example.net`,
 * `dns 127.0.0.53:53 (system resolver)`), and a debug line says what it held.
 *
 * Answers: NXDOMAIN, or NOERROR without a record of the type at the name (NODATA), is `absent`; a
 * CNAME at the name is a `conflict`; a timeout, SERVFAIL or REFUSED from every server is `failed`
 * (never `absent`, BC-34).
 */

/** Options of one provider entry. */
export interface ReadbackOptions {
  /** Provider type, for messages (`noip`). */
  provider: string
  /** The entry's `resolver` key: send every read-back query here. */
  resolver?: ServerAddress
}

/** What the read-back needs from the system, replaceable in tests. */
export interface ReadbackDeps {
  /** The system resolver's servers; default `node:dns` getServers() (from /etc/resolv.conf). */
  systemServers?: () => ServerAddress[]
  /** Addresses of a name server host, IPv4 first; default `node:dns` lookup (getaddrinfo). */
  lookupHost?: (name: string) => Promise<string[]>
  /** Port of the authoritative servers; default 53. */
  authPort?: number
}

/** A zone and the addresses of its name servers. */
export interface ZoneServers {
  zone: string
  servers: { name: string; addresses: string[] }[]
}

/** Authoritative addresses tried per record before the fallback: each costs up to a DNS timeout. */
const MAX_AUTH_TRIES = 3
/** Labels walked up at most while looking for the zone. */
const MAX_WALK = 10

function canonical(n: string): string {
  return n.replace(/\.$/, '').toLowerCase()
}

/** The system resolver's servers as `node:dns` knows them; [] when it knows none. */
export function defaultSystemServers(): ServerAddress[] {
  let list: string[] = []
  try {
    list = dns.getServers()
  } catch {
    return []
  }
  const out: ServerAddress[] = []
  for (const s of list) {
    try {
      out.push(parseServer(s, 'system resolver'))
    } catch {
      /* an entry node cannot parse is skipped */
    }
  }
  return out
}

async function defaultLookupHost(name: string): Promise<string[]> {
  const all = await dns.promises.lookup(name, { all: true, verbatim: true })
  return all.map((a) => a.address).sort((a, b) => isIP(a) - isIP(b))
}

const zoneCache = new WeakMap<object, Map<string, Promise<ZoneServers>>>()

function ask(ctx: Ctx, server: ServerAddress, name: string, type: string, recursion: boolean): Promise<DnsAnswer> {
  return ctx.dns.query({ server: server.host, port: server.port, name, type, recursion }, ctx.signal)
}

/** Asks the servers in turn until one answers (any RCODE); throws the last error when none does. */
async function askAny(ctx: Ctx, servers: ServerAddress[], name: string, type: string): Promise<DnsAnswer> {
  let last: EdgeError = new EdgeError('transient', 'no system resolver is configured (/etc/resolv.conf names no nameserver)')
  for (const s of servers) {
    try {
      const ans = await ask(ctx, s, name, type, true)
      if (ans.rcode === 'NOERROR' || ans.rcode === 'NXDOMAIN') return ans
      last = new EdgeError('transient', `${s.label} answered ${ans.rcode} to ${name} ${type}`)
    } catch (e) {
      last = toEdgeError(e)
    }
  }
  throw last
}

/**
 * Finds the zone of `fqdn` and its name servers' addresses through the system resolver.
 * @throws EdgeError `transient` when the system resolver does not answer, `notfound` when no zone
 *   is found, `transient` when no name server address resolves.
 */
export async function findZoneServers(fqdn: string, ctx: Ctx, deps: ReadbackDeps = {}): Promise<ZoneServers> {
  const sys = (deps.systemServers ?? defaultSystemServers)()
  const lookupHost = deps.lookupHost ?? defaultLookupHost
  let name = canonical(fqdn).replace(/^\*\./, '')
  for (let i = 0; i < MAX_WALK && name.includes('.'); i++) {
    const ans = await askAny(ctx, sys, name, 'NS')
    const ns = ans.answers.filter((a) => a.type === 'NS' && canonical(a.name) === name).map((a) => canonical(String(a.data)))
    if (ns.length > 0) {
      const found = await Promise.allSettled(ns.slice(0, 4).map(async (n) => ({ name: n, addresses: await lookupHost(n) })))
      const servers = found.flatMap((r) => (r.status === 'fulfilled' && r.value.addresses.length > 0 ? [r.value] : []))
      if (servers.length === 0) throw new EdgeError('transient', `no address found for the name servers of ${name} (${ns.join(', ')})`)
      return { zone: name, servers }
    }
    const soa = ans.authorities.find((a) => a.type === 'SOA')
    const soaName = soa ? canonical(soa.name) : ''
    if (soaName && soaName !== name && name.endsWith(`.${soaName}`) && soaName.includes('.')) {
      name = soaName
      continue
    }
    name = name.slice(name.indexOf('.') + 1)
  }
  throw new EdgeError('notfound', `no zone found above ${fqdn} (no NS records)`, { retryable: true })
}

function zoneServers(fqdn: string, ctx: Ctx, deps: ReadbackDeps): Promise<ZoneServers> {
  let m = zoneCache.get(ctx)
  if (!m) {
    m = new Map()
    zoneCache.set(ctx, m)
  }
  const key = canonical(fqdn).replace(/^\*\./, '')
  let p = m.get(key)
  if (!p) {
    p = findZoneServers(fqdn, ctx, deps)
    // A failed discovery is not kept: the next entry of the run may try again.
    p.catch(() => m?.delete(key))
    m.set(key, p)
  }
  return p
}

/**
 * What a DNS answer says about `ref`.
 * Exported for tests; `via` names the server that answered.
 */
export function interpret(ans: DnsAnswer, ref: RecordRef, via: string, provider: string): Current {
  if (ans.rcode === 'NXDOMAIN') return { kind: 'absent', via }
  if (ans.rcode !== 'NOERROR') {
    return { kind: 'failed', error: new EdgeError('transient', `${provider}: ${via.replace(/^dns /, '')} answered ${ans.rcode} for ${ref.fqdn} ${ref.type}`) }
  }
  const name = canonical(ref.fqdn)
  const own = ans.answers.filter((a) => canonical(a.name) === name)
  const values = own.filter((a) => a.type === ref.type).map((a) => String(a.data))
  if (values.length > 0) return { kind: 'present', values, via }
  const cname = own.find((a) => a.type === 'CNAME')
  if (cname) {
    return {
      kind: 'failed',
      error: new EdgeError('conflict', `${provider}: ${ref.fqdn} is a CNAME (to ${canonical(String(cname.data))}); a dynamic DNS update sets A/AAAA records`, {
        hint: `point ${provider} at the name the CNAME leads to, or remove the CNAME`,
      }),
    }
  }
  return { kind: 'absent', via }
}

function describe(c: Current): string {
  if (c.kind === 'present') return c.values.join(', ')
  if (c.kind === 'absent') return 'no record'
  return `failed: ${c.error.message}`
}

async function readOne(ref: RecordRef, ctx: Ctx, opts: ReadbackOptions, deps: ReadbackDeps): Promise<Current> {
  const label = `${ref.fqdn} ${ref.type}`
  const done = (c: Current, via: string): Current => {
    ctx.log.debug(`${label}: read through ${via}: ${describe(c)}`)
    return c
  }
  if (opts.resolver) {
    const via = `dns ${opts.resolver.label}`
    try {
      return done(interpret(await ask(ctx, opts.resolver, ref.fqdn, ref.type, true), ref, via, opts.provider), via)
    } catch (e) {
      return done({ kind: 'failed', error: toEdgeError(e).withContext(`${opts.provider}: read-back from resolver ${opts.resolver.label}`) }, via)
    }
  }

  let why: EdgeError
  let zone = ''
  try {
    const zs = await zoneServers(ref.fqdn, ctx, deps)
    zone = zs.zone
    const port = deps.authPort ?? 53
    const tries = zs.servers.flatMap((s) => s.addresses.map((a) => ({ name: s.name, server: { host: a, port, label: a } as ServerAddress }))).slice(0, MAX_AUTH_TRIES)
    why = new EdgeError('transient', `no name server of ${zone} could be asked`)
    for (const t of tries) {
      try {
        const ans = await ask(ctx, t.server, ref.fqdn, ref.type, false)
        if (ans.rcode === 'NOERROR' || ans.rcode === 'NXDOMAIN') {
          const via = `dns ${t.name}`
          return done(interpret(ans, ref, via, opts.provider), via)
        }
        why = new EdgeError('transient', `${t.name} (${t.server.host}) answered ${ans.rcode}`)
      } catch (e) {
        why = toEdgeError(e)
      }
    }
  } catch (e) {
    why = toEdgeError(e)
  }

  const sys = (deps.systemServers ?? defaultSystemServers)()
  ctx.log.info(`${label}: ${opts.provider}: authoritative servers${zone ? ` of ${zone}` : ''} not usable (${why.message}); reading through the system resolver`)
  for (const s of sys) {
    try {
      const ans = await ask(ctx, s, ref.fqdn, ref.type, true)
      if (ans.rcode === 'NOERROR' || ans.rcode === 'NXDOMAIN') {
        const via = `dns ${s.label} (system resolver)`
        return done(interpret(ans, ref, via, opts.provider), via)
      }
      why = new EdgeError('transient', `${why.message}; system resolver ${s.label} answered ${ans.rcode}`)
    } catch (e) {
      why = new EdgeError('transient', `${why.message}; system resolver ${s.label}: ${toEdgeError(e).message}`)
    }
  }
  return { kind: 'failed', error: new EdgeError('transient', `${opts.provider}: cannot read ${ref.fqdn} ${ref.type} from DNS: ${why.message}`) }
}

/**
 * Reads the current value of each ref with DNS queries (see the module comment for where they go).
 * Never throws; a ref whose value cannot be known is `failed`. Results are in the order of `refs`.
 */
export function readBack(refs: RecordRef[], ctx: Ctx, opts: ReadbackOptions, deps: ReadbackDeps = {}): Promise<Current[]> {
  return Promise.all(refs.map((r) => readOne(r, ctx, opts, deps)))
}
