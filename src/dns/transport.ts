import dgram from 'node:dgram'
import net from 'node:net'
import { EdgeError } from '../errors.js'

/**
 * Raw DNS message exchange over UDP or TCP: the bytes go out and come back as they are.
 *
 * UDP (RFC 1035 4.2.1): a fresh socket per exchange, bound by the OS to a random source port, and
 * *connected* to the server. Every UDP exchange, whoever sends it (the DNS client, the RFC 2136
 * reads and UPDATEs), passes its datagrams through one filter (RFC 5452 section 4.1 and 9.1): a
 * datagram from another address or port, with another ID, not a response, or with another opcode
 * or question does not end the exchange; the wait goes on for the real answer. So one stray or
 * forged datagram can neither be taken for the answer (an unsigned query has nothing else to
 * catch it) nor make a signed exchange fail before the server's own answer arrives.
 * TCP (RFC 1035 4.2.2): one connection per exchange; the message is sent with a two-byte
 * big-endian length prefix and the answer read the same way.
 *
 * The caller still checks the answer it gets (ID, question, RCODE, TSIG): over TCP nothing is
 * filtered, and over UDP a datagram with our ID that fails the filter is handed over when nothing
 * better came before the timeout, so the caller can say what was wrong with it (see `exchange`).
 */

/** Where and how to send one message. */
export interface ExchangeOptions {
  /** Server address literal, or a host name resolved by the system resolver in the socket's family. */
  server: string
  port: number
  /** Socket family; default: the family of `server` when it is a literal, else 4. */
  family?: 4 | 6
  /** Use TCP (otherwise UDP). */
  tcp?: boolean
  /** Limit for the whole exchange in milliseconds (connect, send, full answer). */
  timeoutMs: number
  signal?: AbortSignal
}

/** The answer's bytes (without the TCP length prefix) and the transport that carried them. */
export interface ExchangeResult {
  message: Buffer
  transport: 'udp' | 'tcp'
}

/** Largest UDP answer read, in bytes: the largest datagram; EDNS0 answers stay far below. */
const UDP_MAX = 65_535

/** `203.0.113.1:53` or `[2001:db8::53]:53`, for messages. */
export function hostPort(server: string, port: number): string {
  return net.isIPv6(server) ? `[${server}]:${port}` : `${server}:${port}`
}

function fmtMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/**
 * How a datagram from the server relates to the query it may answer (see `datagramFit`):
 * - `answer`: a response with the query's ID, opcode and question: taken at once;
 * - `ours`: a response with the query's ID that fails another check (another question or opcode,
 *   a question section that cannot be read): ignored, but kept for the caller's error message;
 * - `stray`: shorter than a header, not a response, or another ID: ignored.
 */
export type DatagramFit = 'answer' | 'ours' | 'stray'

const OPCODE_UPDATE = 5

/**
 * The filter every UDP exchange applies to what arrives (RFC 5452 section 4.1: ID, question name,
 * type and class must match; names compare case-insensitively, RFC 4343). `query` is the message
 * as sent. An answer may leave the question section out when the server could not use it (an
 * error RCODE other than NXDOMAIN), and an UPDATE answer may leave its zone section out (RFC 2136
 * section 3.8); either is still an `answer`.
 */
export function datagramFit(query: Buffer, answer: Buffer): DatagramFit {
  if (query.length < 12 || answer.length < 12) return 'stray'
  const flags = answer.readUInt16BE(2)
  if (answer.readUInt16BE(0) !== query.readUInt16BE(0) || (flags & 0x8000) === 0) return 'stray'
  const opcode = (flags >> 11) & 0x0f
  if (opcode !== ((query.readUInt16BE(2) >> 11) & 0x0f)) return 'ours'
  const count = query.readUInt16BE(4)
  const answered = answer.readUInt16BE(4)
  if (answered === 0 && count > 0) {
    const rcode = flags & 0x0f
    return opcode === OPCODE_UPDATE || (rcode !== 0 && rcode !== 3) ? 'answer' : 'ours'
  }
  if (answered !== count) return 'ours'
  // Our own query's question section guides the walk: its names are uncompressed, so every
  // length byte must be equal and every label equal but for ASCII case; a compression pointer in
  // the answer's question cannot match.
  let pos = 12
  for (let q = 0; q < count; q++) {
    for (;;) {
      if (pos >= query.length || pos >= answer.length) return 'ours'
      const len = query[pos]!
      if (answer[pos] !== len || len > 63) return 'ours'
      pos++
      if (len === 0) break
      if (pos + len > query.length || pos + len > answer.length) return 'ours'
      for (let i = pos; i < pos + len; i++) if (lowerAscii(query[i]!) !== lowerAscii(answer[i]!)) return 'ours'
      pos += len
    }
    // QTYPE and QCLASS, byte for byte.
    if (pos + 4 > query.length || pos + 4 > answer.length || !query.subarray(pos, pos + 4).equals(answer.subarray(pos, pos + 4))) return 'ours'
    pos += 4
  }
  return 'answer'
}

function lowerAscii(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 0x20 : b
}

/**
 * Sends one DNS message and returns its answer.
 *
 * Over UDP the answer is the first datagram from the server's address and port that
 * `datagramFit` calls an `answer`; everything else is ignored. When none came before the timeout
 * but a datagram with our ID did (`ours`: an answer to another question, a malformed one), that
 * datagram is returned instead of a timeout, so the caller's own checks name what the server got
 * wrong; it is never taken while the real answer can still come.
 *
 * @throws EdgeError kind `transient` naming `server:port` and the transport: on timeout (code
 *   `ETIMEDOUT`), on a socket error (code as Node gives it: `ECONNREFUSED`, `ENETUNREACH`, …), when
 *   the TCP connection closes before a whole answer, or when `signal` aborts (code `ABORT_ERR`).
 */
export function exchange(message: Buffer, opts: ExchangeOptions): Promise<ExchangeResult> {
  const lit = net.isIP(opts.server)
  const family = opts.family ?? (lit === 6 ? 6 : 4)
  const proto = opts.tcp ? 'TCP' : 'UDP'
  const what = `DNS over ${proto}/IPv${family} to ${hostPort(opts.server, opts.port)}`
  if (lit !== 0 && lit !== family) {
    return Promise.reject(new EdgeError('internal', `${what}: server is an IPv${lit} address (this is a bug in edge-ddns, please report it)`))
  }
  if (opts.signal?.aborted) {
    return Promise.reject(new EdgeError('transient', `${what}: aborted (run deadline reached)`, { code: 'ABORT_ERR' }))
  }
  return opts.tcp ? overTcp(message, opts, family, what) : overUdp(message, opts, family, what)
}

/**
 * Wires timeout, abort and cleanup around one exchange; `start` gets `finish`, returns its cleanup.
 * `onTimeout` may give a result or a better error than the plain timeout (UDP: see `overUdp`).
 */
function guarded(
  opts: ExchangeOptions,
  what: string,
  start: (finish: (err: EdgeError | null, res?: ExchangeResult) => void) => () => void,
  onTimeout: (timeout: EdgeError) => { err: EdgeError | null; res?: ExchangeResult } = (timeout) => ({ err: timeout }),
): Promise<ExchangeResult> {
  return new Promise<ExchangeResult>((resolve, reject) => {
    let done = false
    let cleanup: () => void = () => {}
    const finish = (err: EdgeError | null, res?: ExchangeResult): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      try {
        cleanup()
      } catch {
        /* a socket already closed cannot be closed again */
      }
      if (err) reject(err)
      else resolve(res as ExchangeResult)
    }
    const timer = setTimeout(() => {
      const r = onTimeout(new EdgeError('transient', `${what}: no answer within ${fmtMs(opts.timeoutMs)}`, { code: 'ETIMEDOUT' }))
      finish(r.err, r.res)
    }, opts.timeoutMs)
    const onAbort = (): void => finish(new EdgeError('transient', `${what}: aborted (run deadline reached)`, { code: 'ABORT_ERR' }))
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    cleanup = start(finish)
    if (done) cleanup()
  })
}

function sockError(what: string, e: Error & { code?: string }): EdgeError {
  const code = e.code
  const text = code && e.message.includes(code) ? e.message.replace(/^\w+\s+/, '').trim() : e.message
  const msg = code ? `${what}: ${code}${text && text !== code ? ` (${text})` : ''}` : `${what}: ${e.message}`
  const hint =
    code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'EADDRNOTAVAIL'
      ? 'this host has no route for this address family'
      : code === 'EAFNOSUPPORT' || code === 'EPERM'
        ? 'the sandbox may forbid this socket family (systemd RestrictAddressFamilies=)'
        : undefined
  return new EdgeError('transient', msg, { code, hint, cause: e })
}

function overUdp(message: Buffer, opts: ExchangeOptions, family: 4 | 6, what: string): Promise<ExchangeResult> {
  // Why datagrams were ignored, for the timeout message; and the first one that carried our ID.
  const ignored = { sender: 0, stray: 0 }
  let ours: Buffer | undefined
  return guarded(
    opts,
    what,
    (finish) => {
      const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' })
      // The server's address and port once connected; a datagram before that cannot be an answer.
      let peer: { address?: string; port: number } | undefined
      sock.on('error', (e) => finish(sockError(what, e)))
      sock.on('message', (msg, rinfo) => {
        // The kernel already drops other senders on a connected socket; checked again so the
        // rule holds on every runtime and before the connect completes.
        if (!peer || rinfo.port !== peer.port || (peer.address !== undefined && rinfo.address !== peer.address)) {
          ignored.sender++
          return
        }
        const fit = msg.length > UDP_MAX ? 'stray' : datagramFit(message, msg)
        if (fit === 'answer') finish(null, { message: Buffer.from(msg), transport: 'udp' })
        else if (fit === 'ours') ours ??= Buffer.from(msg)
        else ignored.stray++
      })
      // connect() binds an OS-chosen ephemeral port (RFC 5452 section 9.2) and fixes the peer.
      sock.connect(opts.port, opts.server, () => {
        try {
          const remote = sock.remoteAddress()
          peer = { address: remote.address, port: remote.port }
        } catch {
          // A runtime without remoteAddress(): the port asked for, and the address when it is a literal.
          peer = net.isIP(opts.server) ? { address: opts.server, port: opts.port } : { port: opts.port }
        }
        sock.send(message, (err) => {
          if (err) finish(sockError(what, err))
        })
      })
      return () => sock.close()
    },
    (timeout) => {
      if (ours) return { err: null, res: { message: ours, transport: 'udp' } }
      const n = ignored.sender + ignored.stray
      if (n === 0) return { err: timeout }
      const why = [
        ...(ignored.stray ? ['another ID or not a response'] : []),
        ...(ignored.sender ? ['from another address or port'] : []),
      ].join('; ')
      const note = `${n} stray datagram${n === 1 ? '' : 's'} ignored: ${why}`
      return { err: new EdgeError('transient', `${timeout.message} (${note})`, { code: timeout.code }) }
    },
  )
}

function overTcp(message: Buffer, opts: ExchangeOptions, family: 4 | 6, what: string): Promise<ExchangeResult> {
  return guarded(opts, what, (finish) => {
    if (message.length > 0xffff) {
      finish(new EdgeError('internal', `${what}: message of ${message.length} bytes does not fit a TCP length prefix`))
      return () => {}
    }
    const sock = net.connect({ host: opts.server, port: opts.port, family })
    let buf = Buffer.alloc(0)
    sock.on('connect', () => {
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16BE(message.length)
      sock.write(Buffer.concat([prefix, message]))
    })
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (buf.length < 2) return
      const len = buf.readUInt16BE(0)
      if (buf.length >= 2 + len) finish(null, { message: Buffer.from(buf.subarray(2, 2 + len)), transport: 'tcp' })
    })
    sock.on('error', (e) => finish(sockError(what, e)))
    sock.on('close', () => {
      finish(new EdgeError('transient', `${what}: connection closed after ${buf.length} bytes, before a whole answer`))
    })
    return () => sock.destroy()
  })
}
