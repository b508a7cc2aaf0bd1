import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A tiny node:http server standing in for an IP echo (ipify, icanhazip, a Cloudflare trace):
 * it answers each request with what the responder returns, and records what it was asked.
 * Listens on 127.0.0.1 and, when the host has it, ::1 (one server each, same responder).
 */

/** One request as the server saw it. */
export interface EchoRequest {
  method: string
  path: string
  headers: IncomingMessage['headers']
  /** Family of the connection the request came over. */
  family: 4 | 6
  remoteAddress: string
}

/** An answer. */
export interface EchoAnswer {
  status?: number
  body: string
  /** Default `text/plain`. */
  contentType?: string
}

/** Decides the answer; gets the request and the address the client came from. */
export type Responder = (req: EchoRequest) => EchoAnswer

/** A running echo. */
export interface HttpEcho {
  /** `http://127.0.0.1:<port>` */
  url4: string
  /** `http://[::1]:<port>`, or undefined when the host has no IPv6 loopback. */
  url6: string | undefined
  requests: EchoRequest[]
  set(r: Responder | EchoAnswer): void
  close(): Promise<void>
}

function serverFor(getResponder: () => Responder, requests: EchoRequest[]): Server {
  const srv = createServer((req, res) => {
    const remote = req.socket.remoteAddress ?? ''
    const r: EchoRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      family: req.socket.remoteFamily === 'IPv6' ? 6 : 4,
      remoteAddress: remote,
    }
    requests.push(r)
    req.resume()
    const a = getResponder()(r)
    res.statusCode = a.status ?? 200
    res.setHeader('content-type', a.contentType ?? 'text/plain')
    res.end(a.body)
  })
  return srv
}

function listen(srv: Server, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, host, () => {
      srv.off('error', reject)
      resolve((srv.address() as AddressInfo).port)
    })
  })
}

/**
 * Starts the echo. `answer` is a fixed answer or a responder; the default answers the client's
 * own address as plain text, as an IP echo does.
 */
export async function startHttpEcho(answer?: Responder | EchoAnswer): Promise<HttpEcho> {
  const toResponder = (a: Responder | EchoAnswer | undefined): Responder =>
    typeof a === 'function' ? a : a ? () => a : (req) => ({ body: `${req.remoteAddress.replace(/^::ffff:/, '')}\n` })
  let responder = toResponder(answer)
  const requests: EchoRequest[] = []
  const s4 = serverFor(() => responder, requests)
  const port4 = await listen(s4, '127.0.0.1')
  let s6: Server | undefined = serverFor(() => responder, requests)
  let url6: string | undefined
  try {
    url6 = `http://[::1]:${await listen(s6, '::1')}`
  } catch {
    s6 = undefined
  }
  const close = (s: Server): Promise<void> =>
    new Promise((r) => {
      s.closeAllConnections()
      s.close(() => r())
    })
  return {
    url4: `http://127.0.0.1:${port4}`,
    url6,
    requests,
    set: (a) => {
      responder = toResponder(a)
    },
    close: async () => {
      await close(s4)
      if (s6) await close(s6)
    },
  }
}
