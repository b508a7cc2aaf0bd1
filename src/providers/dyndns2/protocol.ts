import { EdgeError, type ErrorKind } from '../../errors.js'
import { familyOfAddress } from '../push/outcome.js'

/**
 * The dyndns2 response parser: the one place that reads a dyndns2 answer, for every provider and
 * preset of the family (dyndns2, noip, dynu, he and the presets).
 *
 * Sources: Dyn's return codes (https://help.dyn.com/return-codes/), No-IP's
 * (https://www.noip.com/integrate/response), SPDyn's
 * (https://wiki.securepoint.de/SPDyn/R%C3%BCckgabecodes).
 *
 * - The body is read line by line; the first token of a line is the code, compared ignoring case.
 *   `good` and `nochg` are success (changed / not changed), optionally followed by the address the
 *   service recorded (No-IP echoes `v4,v6` for a dual-stack update). Transfer encodings are the
 *   HTTP client's business, never the parser's.
 * - `badauth`, `badagent`, `!donator`, `nohost`, `notfqdn`, `numhost`, `abuse`, `!yours` are
 *   permanent for that host: the same request would get the same answer until the user acts
 *   (retryable false, BC-02).
 * - `911` and `dnserr` are the service's own failure: retryable, but not before 30 minutes
 *   (No-IP: "Retry the update no sooner than 30 minutes").
 * - Anything else is a failure, never a success (an HTML page with status 200 included).
 * - Several hosts in one request: one code per line, in request order. Codes about the account or
 *   the system come once for the whole request (Dyn), so a single line answers every host.
 * - An echoed address that differs from the one sent is a warning; `good 127.0.0.1` when another
 *   address was sent is the legacy answer to a refused client, a `badagent` failure (BC-03).
 * - A preset may add its own words (`extraCodes`): regular expressions over the whole line, tried
 *   before the standard codes; a named group `ip` is the echoed address.
 */

/** Hold-off after `911` or `dnserr`, in seconds (No-IP's "no sooner than 30 minutes"). */
export const PROVIDER_FAILURE_HOLD_SEC = 1800

/** What one answer line means. */
export type Verdict =
  | {
      ok: true
      /** `good` (true) or `nochg` (false). */
      changed: boolean
      code: string
      /** Addresses the service echoed after the code. */
      echoed: string[]
      /** Remarks about the answer itself (not about one family), e.g. one line for several hosts. */
      warnings: string[]
    }
  | {
      ok: false
      code: string
      error: EdgeError
      /** The code is about the account or the service, not one host. */
      account: boolean
    }

/** The addresses one request sent. */
export interface Sent {
  v4?: string
  v6?: string
}

/** A preset's own answer word. */
export interface ExtraCode {
  /** Regular expression (case-insensitive) over the trimmed line; a group `ip` is the echoed address. */
  match: string
  /** `good`, `nochg`, or the error kind it means. */
  kind: 'good' | 'nochg' | ErrorKind
  /** What it means, for the error message. */
  meaning: string
  /** Seconds before the next try (for `ratelimit` and `provider`). */
  holdSec?: number
  /** About the account rather than one host. */
  account?: boolean
}

interface CodeInfo {
  kind: ErrorKind
  meaning: string
  hint?: string
  account?: boolean
  holdSec?: number
}

/** The standard dyndns2 error codes (help.dyn.com/return-codes, noip.com/integrate/response). */
export const DYNDNS2_CODES: Readonly<Record<string, CodeInfo>> = {
  badauth: { kind: 'auth', meaning: 'the user name or password is wrong', hint: 'check username and password (often a separate update password or key)', account: true },
  badagent: { kind: 'forbidden', meaning: 'the service refused this client (user agent or request)', hint: 'set user_agent to "Company Program/Version your-email"', account: true },
  '!donator': { kind: 'forbidden', meaning: 'the request uses a feature this account does not have', account: true },
  nohost: { kind: 'notfound', meaning: 'the host does not exist in this account', hint: 'create the host at the service, or fix the name' },
  notfqdn: { kind: 'invalid', meaning: 'the host name is not a fully qualified domain name' },
  numhost: { kind: 'invalid', meaning: 'too many hosts in one request' },
  abuse: { kind: 'forbidden', meaning: 'the host or account is blocked for abuse', hint: 'unblock it at the service; edge-ddns will not retry until the config changes' },
  '!yours': { kind: 'forbidden', meaning: 'the host belongs to another account' },
  '911': { kind: 'provider', meaning: 'the service failed on its side', account: true, holdSec: PROVIDER_FAILURE_HOLD_SEC },
  dnserr: { kind: 'provider', meaning: 'the service had a DNS error', account: true, holdSec: PROVIDER_FAILURE_HOLD_SEC },
}

function errorOf(where: string, code: string, info: CodeInfo): EdgeError {
  const permanent = info.kind !== 'provider' && info.kind !== 'ratelimit' && info.kind !== 'transient'
  return new EdgeError(info.kind, `${where} answered ${code}: ${info.meaning}`, {
    code,
    retryable: !permanent,
    ...(info.hint ? { hint: info.hint } : {}),
    ...(info.holdSec !== undefined ? { retryAfterSec: info.holdSec } : {}),
  })
}

/** Shortens an unknown line for a message. */
function shown(line: string): string {
  return line.length > 120 ? `${line.slice(0, 120)}…` : line
}

/** `127.0.0.1` echoed for another address: the legacy "client refused" answer. */
function refusedEcho(echoed: string[], sent: Sent): boolean {
  return sent.v4 !== undefined && sent.v4 !== '127.0.0.1' && echoed.includes('127.0.0.1')
}

/**
 * What one answer line means.
 * @param where `noip: dynupdate.no-ip.com`, for messages
 */
export function classifyLine(rawLine: string, sent: Sent, where: string, extra: readonly ExtraCode[] = []): Verdict {
  const line = rawLine.trim()
  for (const x of extra) {
    const m = new RegExp(x.match, 'i').exec(line)
    if (!m) continue
    const ip = m.groups?.ip
    const echoed = ip && familyOfAddress(ip) ? [ip] : []
    if (x.kind === 'good' || x.kind === 'nochg') return { ok: true, changed: x.kind === 'good', code: line, echoed, warnings: [] }
    return { ok: false, code: line, account: x.account === true, error: errorOf(where, `"${shown(line)}"`, { kind: x.kind, meaning: x.meaning, ...(x.holdSec !== undefined ? { holdSec: x.holdSec } : {}) }) }
  }
  const [first = '', ...rest] = line.split(/\s+/)
  const code = first.toLowerCase()
  if (code === 'good' || code === 'nochg') {
    const echoed = rest.flatMap((t) => t.split(',')).filter((t) => familyOfAddress(t) !== 0)
    if (code === 'good' && refusedEcho(echoed, sent)) {
      return {
        ok: false,
        code: 'badagent',
        account: true,
        error: new EdgeError('forbidden', `${where} answered "good 127.0.0.1" for ${sent.v4}: the service refused this client (legacy badagent)`, {
          code: 'badagent',
          hint: DYNDNS2_CODES.badagent?.hint ?? '',
        }),
      }
    }
    return { ok: true, changed: code === 'good', code, echoed, warnings: [] }
  }
  const info = Object.hasOwn(DYNDNS2_CODES, code) ? DYNDNS2_CODES[code] : undefined
  if (info) return { ok: false, code, account: info.account === true, error: errorOf(where, code, info) }
  const what = line === '' ? 'an empty answer' : `"${shown(line)}"`
  return {
    ok: false,
    code: 'unknown',
    account: true,
    error: new EdgeError('protocol', `${where} answered ${what}, which is no dyndns2 answer`, { code: 'unknown', retryable: true, retryAfterSec: PROVIDER_FAILURE_HOLD_SEC }),
  }
}

/**
 * One Verdict per host of a request, in request order.
 * @param hostCount how many host names the request carried
 */
export function parseResponse(body: string, hostCount: number, sent: Sent, where: string, extra: readonly ExtraCode[] = []): Verdict[] {
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '')
  if (lines.length === 0) return Array.from({ length: hostCount }, () => classifyLine('', sent, where, extra))
  if (hostCount <= 1) return [classifyLine(lines[0] as string, sent, where, extra)]
  if (lines.length === 1) {
    const v = classifyLine(lines[0] as string, sent, where, extra)
    if (v.ok) v.warnings.push(`one answer line for ${hostCount} hosts`)
    return Array.from({ length: hostCount }, () => v)
  }
  return Array.from({ length: hostCount }, (_, i): Verdict => {
    const l = lines[i]
    if (l !== undefined) return classifyLine(l, sent, where, extra)
    return {
      ok: false,
      code: 'missing',
      account: false,
      error: new EdgeError('protocol', `${where} answered ${lines.length} lines for ${hostCount} hosts; none for host ${i + 1}`, { code: 'missing', retryable: true }),
    }
  })
}


/** True when a body's first token is a code this parser knows (so a non-2xx status yields to it). */
export function knownAnswer(body: string, extra: readonly ExtraCode[] = []): boolean {
  const line = body.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? ''
  if (extra.some((x) => new RegExp(x.match, 'i').test(line))) return true
  const code = (line.split(/\s+/)[0] ?? '').toLowerCase()
  return code === 'good' || code === 'nochg' || Object.hasOwn(DYNDNS2_CODES, code)
}
