import { randomInt } from 'node:crypto'
import dnsPacket from 'dns-packet'
import type { DecodedPacket } from 'dns-packet'
import type { Ctx } from '../../context.js'
import { EdgeError, toEdgeError } from '../../errors.js'
import { exchange as realExchange } from '../../dns/transport.js'
import type { ExchangeOptions, ExchangeResult } from '../../dns/transport.js'
import { TSIG_ERROR_NAMES, TsigTimeError, badTimeError, signRequest, verifyResponse } from '../../dns/tsig.js'
import type { TsigKey } from '../../dns/tsig.js'
import {
  OPCODE_UPDATE,
  addRR,
  addressRdata,
  deleteRRset,
  encodeUpdate,
  prereqRRsetAbsent,
  prereqRRsetEquals,
  readHeader,
} from '../../dns/update.js'
import type { UpdateRR } from '../../dns/update.js'
import type { Change, Current, Outcome, Provider, RecordRef } from '../types.js'
import type { ServerAddress } from './names.js'

/**
 * The RFC 2136 provider: reads A/AAAA RRsets with plain DNS queries to the configured server and
 * writes them with one TSIG-signed UPDATE message per zone (RFC 2136 sections 2-3, RFC 8945).
 *
 * Safety of a write (RFC 2136 section 2.4, section 3.2):
 * - a record read as present is changed under the prerequisite "RRset exists (value dependent)"
 *   (2.4.2) with every value read, so an edit made by someone else since the read makes the whole
 *   UPDATE fail with NXRRSET instead of being overwritten blindly;
 * - a record read as absent is created under "RRset does not exist" (2.4.3), which fails with
 *   YXRRSET when it appeared meanwhile.
 * The update section deletes the RRset (class ANY, TTL 0, empty RDATA, 2.5.2) and adds the new RR
 * (2.5.1). All changes of one call go in one message, and the server applies it atomically (3.7):
 * when one prerequisite fails, nothing is written and every record of the message is reported
 * failed (transient: the next run reads again).
 */

/** TTL in seconds of a record created when the entry sets no `ttl` (nsupdate users expect a few minutes). */
export const DEFAULT_TTL = 300

/** Validated settings of one `rfc2136` entry. */
export interface Rfc2136Settings {
  server: ServerAddress
  /** Zone name, lower case, no trailing dot. */
  zone: string
  key: TsigKey
  /** TCP for every message; otherwise UDP, and TCP when an answer is truncated. */
  tcp: boolean
}

/** The transport function (src/dns/transport.ts `exchange`), replaceable to count or capture messages in tests. */
export type ExchangeFn = (message: Buffer, opts: ExchangeOptions) => Promise<ExchangeResult>

/** What `read` keeps in `Current.meta` of a present record. */
export interface Rfc2136Meta {
  /** TTL of the RRset as the server answered it, in seconds. */
  ttl: number
}

/**
 * Builds the provider for one entry; does no I/O.
 * @param opts.ttl the entry's `ttl` in seconds: used for created records and for updated ones;
 *   without it an updated record keeps the TTL it had and a created one gets `DEFAULT_TTL`.
 * @param deps.exchange replaces the transport (tests wrap it to count UPDATE messages).
 */
export function createRfc2136Provider(s: Rfc2136Settings, opts: { ttl?: number }, deps: { exchange?: ExchangeFn } = {}): Provider {
  const send = deps.exchange ?? realExchange
  return {
    read: (refs, ctx) => Promise.all(refs.map((r) => readOne(s, send, r, ctx))),
    write: (changes, ctx) => writeAll(s, send, opts.ttl, changes, ctx),
  }
}

// ---------------------------------------------------------------------------------------------
// Sending

/**
 * Sends one message: UDP unless `tcp`; again over TCP when the UDP answer is truncated
 * (RFC 1035 section 4.2.1); again after a timeout, `ctx.timeouts.dnsRetries` times. Over UDP the
 * transport skips stray datagrams (another sender, ID, opcode or question; `datagramFit` in
 * src/dns/transport.ts, the filter the DNS client uses too), so a forged answer to an unsigned
 * read is not taken and a stray datagram cannot end a signed UPDATE before the server's answer.
 *
 * Sending an UPDATE twice is safe because of its prerequisites: when the first copy was applied
 * and only its answer was lost, the second fails with NXRRSET/YXRRSET and writes nothing; the
 * record is then reported failed (transient) and the next run finds it already up to date.
 */
async function sendMessage(s: Rfc2136Settings, send: ExchangeFn, message: Buffer, ctx: Ctx): Promise<ExchangeResult> {
  let tcp = s.tcp
  let attempt = 0
  for (;;) {
    let got: ExchangeResult
    try {
      got = await send(message, {
        server: s.server.host,
        port: s.server.port,
        tcp,
        timeoutMs: ctx.timeouts.dnsMs,
        signal: ctx.signal,
      })
    } catch (e) {
      const err = toEdgeError(e)
      if (err.code === 'ETIMEDOUT' && attempt < ctx.timeouts.dnsRetries && !ctx.signal.aborted) {
        attempt++
        continue
      }
      throw err
    }
    if (got.transport === 'udp' && !tcp && got.message.length >= 4 && (got.message.readUInt16BE(2) & 0x0200) !== 0) {
      tcp = true
      continue
    }
    return got
  }
}

// ---------------------------------------------------------------------------------------------
// Read

async function readOne(s: Rfc2136Settings, send: ExchangeFn, ref: RecordRef, ctx: Ctx): Promise<Current> {
  const via = `dns ${s.server.label}`
  const where = `rfc2136: ${ref.fqdn} ${ref.type} from ${s.server.label}`
  try {
    const id = randomInt(0, 0x10000)
    // RD clear: the answer must come from the server's own zone data, not from recursion.
    const query = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name: ref.fqdn, type: ref.type, class: 'IN' }] })
    const got = await sendMessage(s, send, query, ctx)
    let res: DecodedPacket
    try {
      res = dnsPacket.decode(got.message)
    } catch (e) {
      throw new EdgeError('protocol', `malformed answer (${(e as Error).message})`, { retryable: true })
    }
    const rcode = (res as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR'
    checkQueryAnswer(res, id, ref, rcode)
    if (rcode === 'NOERROR' || rcode === 'NXDOMAIN') {
      if (!res.flag_aa) {
        throw new EdgeError('invalid', `the answer is not authoritative (AA bit clear)`, {
          code: 'NOT_AUTHORITATIVE',
          hint: `set server to a primary of zone ${s.zone}, the server that accepts its updates`,
        })
      }
      if (rcode === 'NXDOMAIN') return { kind: 'absent', via }
      const own = (res.answers ?? []).filter((a) => a.name.replace(/\.$/, '').toLowerCase() === ref.fqdn)
      const cname = own.find((a) => a.type === 'CNAME')
      if (cname) {
        // RFC 2136 section 3.4.2.2: an A/AAAA added at a CNAME is silently ignored; say it instead.
        throw new EdgeError('conflict', `the name is a CNAME (to ${String((cname as { data?: unknown }).data)}); an ${ref.type} record cannot be added beside it`, {
          code: 'CNAME',
        })
      }
      const rrs = own.filter((a) => a.type === ref.type) as Array<{ data: string; ttl?: number }>
      if (rrs.length === 0) return { kind: 'absent', via }
      const meta: Rfc2136Meta = { ttl: Math.min(...rrs.map((r) => r.ttl ?? DEFAULT_TTL)) }
      return { kind: 'present', values: rrs.map((r) => r.data), via, meta }
    }
    throw rcodeError(rcode, 'query', s)
  } catch (e) {
    return { kind: 'failed', error: toEdgeError(e).withContext(where) }
  }
}

/**
 * Checks an answer against its query (RFC 1035 section 4.1.1, RFC 5452 section 4.1).
 * @throws EdgeError kind `protocol` naming what did not match.
 */
function checkQueryAnswer(res: DecodedPacket, id: number, ref: RecordRef, rcode: string): void {
  if (!res.flag_qr) throw new EdgeError('protocol', 'the answer is not a response (QR bit clear)', { retryable: true })
  if (res.id !== id) throw new EdgeError('protocol', `answer ID ${res.id} does not match query ID ${id}`, { retryable: true })
  const q = res.questions?.[0]
  // Only an error answer may leave the question out: a NOERROR or NXDOMAIN without it would read
  // as "absent" without saying about which name.
  if (!q && (rcode === 'NOERROR' || rcode === 'NXDOMAIN')) {
    throw new EdgeError('protocol', `the ${rcode} answer carries no question`, { retryable: true })
  }
  if (q && (q.name.replace(/\.$/, '').toLowerCase() !== ref.fqdn || q.type !== ref.type || (q.class ?? 'IN') !== 'IN')) {
    throw new EdgeError('protocol', `answer question ${q.name} ${q.type} does not match the query`, { retryable: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Write

interface Planned {
  index: number
  change: Change
  prerequisites: UpdateRR[]
  updates: UpdateRR[]
  status: 'updated' | 'created'
}

function sameRRset(type: 'A' | 'AAAA', values: string[], value: string): boolean {
  if (values.length !== 1) return false
  try {
    return addressRdata(type, values[0]!).equals(addressRdata(type, value))
  } catch {
    return false
  }
}

async function writeAll(s: Rfc2136Settings, send: ExchangeFn, ttl: number | undefined, changes: Change[], ctx: Ctx): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(changes.length)
  const planned: Planned[] = []
  changes.forEach((change, index) => {
    const { ref, value, current } = change
    const previous = current.kind === 'present' ? { previous: current.values } : {}
    if (current.kind === 'failed') {
      outcomes[index] = { ref, status: 'failed', value, error: current.error }
      return
    }
    if (current.kind === 'present' && sameRRset(ref.type, current.values, value)) {
      outcomes[index] = { ref, status: 'unchanged', value, ...previous }
      return
    }
    if (current.kind === 'absent' && !change.create) {
      outcomes[index] = { ref, status: 'missing', value }
      return
    }
    try {
      if (current.kind === 'present') {
        const kept = (current.meta as Rfc2136Meta | undefined)?.ttl
        planned.push({
          index,
          change,
          status: 'updated',
          prerequisites: prereqRRsetEquals(ref.fqdn, ref.type, current.values),
          updates: [deleteRRset(ref.fqdn, ref.type), addRR(ref.fqdn, ref.type, ttl ?? kept ?? DEFAULT_TTL, value)],
        })
      } else {
        planned.push({
          index,
          change,
          status: 'created',
          prerequisites: [prereqRRsetAbsent(ref.fqdn, ref.type)],
          updates: [addRR(ref.fqdn, ref.type, ttl ?? DEFAULT_TTL, value)],
        })
      }
    } catch (e) {
      outcomes[index] = { ref, status: 'failed', value, ...previous, error: toEdgeError(e).withContext('rfc2136') }
    }
  })
  if (planned.length > 0) {
    let error: EdgeError | undefined
    try {
      await sendUpdate(s, send, planned, ctx)
    } catch (e) {
      error = toEdgeError(e)
    }
    for (const p of planned) {
      const { ref, value, current } = p.change
      const previous = current.kind === 'present' ? { previous: current.values } : {}
      outcomes[p.index] = error ? { ref, status: 'failed', value, ...previous, error } : { ref, status: p.status, value, ...previous }
    }
  }
  return outcomes
}

/**
 * Sends one signed UPDATE with every planned change and checks the signed answer.
 * @throws EdgeError naming the RCODE or TSIG error (see `rcodeError` and `tsigError`).
 */
async function sendUpdate(s: Rfc2136Settings, send: ExchangeFn, planned: Planned[], ctx: Ctx): Promise<void> {
  const where = `rfc2136: UPDATE of zone ${s.zone} at ${s.server.label}`
  const id = randomInt(0, 0x10000)
  const body = encodeUpdate({
    id,
    zone: s.zone,
    prerequisites: planned.flatMap((p) => p.prerequisites),
    updates: planned.flatMap((p) => p.updates),
  })
  const timeSigned = Math.floor(ctx.now() / 1000)
  const signed = signRequest(body, s.key, timeSigned)
  ctx.log.debug(
    `${where}: ${planned.map((p) => `${p.change.ref.fqdn} ${p.change.ref.type} ${p.status === 'created' ? 'create' : 'update'}`).join(', ')} (${signed.message.length} bytes, TSIG key ${s.key.name})`,
  )
  try {
    const got = await sendMessage(s, send, signed.message, ctx)
    const h = readHeader(got.message)
    if (!h.qr || h.id !== id || h.opcode !== OPCODE_UPDATE) {
      throw new EdgeError('protocol', `the answer does not belong to the UPDATE (ID ${h.id}, opcode ${h.opcode})`, { retryable: true })
    }
    let v: ReturnType<typeof verifyResponse>
    try {
      v = verifyResponse(got.message, s.key, signed.mac, Math.floor(ctx.now() / 1000))
    } catch (e) {
      const err = toEdgeError(e)
      throw new EdgeError(err.kind, `${err.message} (answer RCODE ${h.rcodeName})`, { code: err.code, hint: err.hint, retryable: err.retryable, cause: err })
    }
    if (v.record.error !== 0) throw tsigError(v.record.error, h.rcodeName, s, v.verified, v.record, timeSigned)
    if (h.rcode !== 0) throw rcodeError(h.rcodeName, 'update', s, planned[0]!.change.ref.fqdn)
  } catch (e) {
    if (e instanceof TsigTimeError) throw new TsigTimeError(`${where}: ${e.message}`, e.serverTime, e.skewSec, e.hint ?? '')
    throw toEdgeError(e).withContext(where)
  }
}

/** The error for a non-zero TSIG error field (RFC 8945 section 5.3.2; codes in section 3). */
function tsigError(
  code: number,
  rcode: string,
  s: Rfc2136Settings,
  verified: boolean,
  record: Parameters<typeof badTimeError>[0],
  timeSigned: number,
): EdgeError {
  const name = TSIG_ERROR_NAMES[code] ?? `TSIG error ${code}`
  const tail = `(${rcode}, TSIG error ${name})`
  switch (code) {
    case 17:
      return new EdgeError('auth', `the server does not know TSIG key "${s.key.name}" with algorithm ${s.key.algorithm} ${tail}`, {
        code: name,
        hint: 'key_name and key_algorithm must match a key statement of the server (named.conf: key "NAME" { algorithm ...; secret ...; })',
      })
    case 16:
      return new EdgeError('auth', `the server rejected the signature of TSIG key "${s.key.name}": the secret differs ${tail}`, {
        code: name,
        hint: 'key_secret must be the secret of the same key in the server\'s key statement (base64, as tsig-keygen prints it)',
      })
    case 18:
      return badTimeError(record, timeSigned, s.server.label, verified)
    default:
      return new EdgeError('protocol', `the server reported ${tail}`, { code: name })
  }
}

/**
 * Maps the RCODE of an answer to an error (RFC 1035 section 4.1.1, RFC 2136 section 2.2).
 * @param op `query` for a read, `update` for an UPDATE.
 * @param name a record of the message, for the update-policy example in the REFUSED hint.
 */
function rcodeError(rcode: string, op: 'query' | 'update', s: Rfc2136Settings, name = `home.${s.zone}`): EdgeError {
  const zone = s.zone
  switch (rcode) {
    case 'REFUSED':
      return op === 'update'
        ? new EdgeError('forbidden', `the server refused the change (REFUSED): key "${s.key.name}" may not update these records of zone ${zone}`, {
            code: rcode,
            hint: `allow the key in the zone's update-policy, e.g. update-policy { grant ${s.key.name} name ${name}. A AAAA; };`,
          })
        : new EdgeError('forbidden', `the server refused the query (REFUSED)`, {
            code: rcode,
            hint: `let this host query zone ${zone} (allow-query), or point server at a server that serves it`,
          })
    case 'NOTAUTH':
      return new EdgeError('notfound', `the server is not authoritative for zone ${zone} (NOTAUTH)`, {
        code: rcode,
        hint: `set server to the primary of zone ${zone}`,
      })
    case 'NOTZONE':
      return new EdgeError('invalid', `a record is not inside zone ${zone} (NOTZONE)`, {
        code: rcode,
        hint: 'check zone and records: a name in a delegated child zone needs an entry for that zone',
      })
    case 'SERVFAIL':
      return new EdgeError('transient', `the server failed (SERVFAIL)`, { code: rcode })
    case 'NXRRSET':
    case 'YXRRSET':
    case 'NXDOMAIN':
    case 'YXDOMAIN':
      return new EdgeError('transient', `the record changed on the server since it was read (prerequisite failed: ${rcode}); nothing was written, the next run reads it again`, {
        code: rcode,
      })
    case 'NOTIMP':
      return new EdgeError('invalid', `the server does not implement ${op === 'update' ? 'dynamic update' : 'this query'} (NOTIMP)`, { code: rcode })
    case 'FORMERR':
      return new EdgeError('protocol', `the server could not parse the ${op === 'update' ? 'UPDATE' : 'query'} (FORMERR; this is a bug in edge-ddns, please report it)`, {
        code: rcode,
      })
    default:
      return new EdgeError('protocol', `unexpected answer ${rcode}`, { code: rcode })
  }
}
