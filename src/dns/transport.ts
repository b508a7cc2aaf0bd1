import dgram from 'node:dgram'
import net from 'node:net'
import { EdgeError } from '../errors.js'

/**
 * Raw DNS message exchange over UDP or TCP, without looking inside the message.
 *
 * UDP (RFC 1035 4.2.1): a fresh socket per exchange, bound by the OS to a random source port, and
 * *connected* to the server, so the kernel drops datagrams from any other address or port.
 * TCP (RFC 1035 4.2.2): one connection per exchange; the message is sent with a two-byte
 * big-endian length prefix and the answer read the same way.
 *
 * The caller checks the answer (ID, question, TSIG): the RFC 2136 code sends signed UPDATE
 * messages through here and needs the bytes exactly as they came.
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
  /**
   * UDP only: a datagram for which this returns false is ignored and the wait goes on (RFC 5452
   * section 9.1: an answer with the wrong ID is not ours, and must not end the query).
   */
  accept?: (message: Buffer) => boolean
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
 * Sends one DNS message and returns the first answer.
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

/** Wires timeout, abort and cleanup around one exchange; `start` gets `finish`, returns its cleanup. */
function guarded(
  opts: ExchangeOptions,
  what: string,
  start: (finish: (err: EdgeError | null, res?: ExchangeResult) => void) => () => void,
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
      finish(new EdgeError('transient', `${what}: no answer within ${fmtMs(opts.timeoutMs)}`, { code: 'ETIMEDOUT' }))
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
  return guarded(opts, what, (finish) => {
    const sock = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' })
    sock.on('error', (e) => finish(sockError(what, e)))
    sock.on('message', (msg) => {
      if (msg.length > UDP_MAX) return
      if (opts.accept && !opts.accept(msg)) return
      finish(null, { message: Buffer.from(msg), transport: 'udp' })
    })
    // connect() binds an OS-chosen ephemeral port and makes the kernel filter the peer.
    sock.connect(opts.port, opts.server, () => {
      sock.send(message, (err) => {
        if (err) finish(sockError(what, err))
      })
    })
    return () => sock.close()
  })
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
