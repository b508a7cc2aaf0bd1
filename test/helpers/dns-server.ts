import dgram from 'node:dgram'
import net from 'node:net'
import dnsPacket from 'dns-packet'
import type { Answer, DecodedPacket, Question } from 'dns-packet'

/**
 * A real DNS server for tests: UDP (node:dgram) and TCP (node:net) on one port of 127.0.0.1 and,
 * when the host has it, ::1. Each query goes to a script that decides the reply; every query is
 * recorded with its transport and family.
 */

/** One query as the server saw it. */
export interface ReceivedQuery {
  id: number
  name: string
  type: string
  class: string
  transport: 'udp' | 'tcp'
  family: 4 | 6
  /** RD bit. */
  recursion: boolean
  /** Source port of the query (UDP) or connection (TCP). */
  sourcePort: number
}

/** What to answer. Fields left out take the value that makes a correct answer. */
export interface Reply {
  rcode?: 'NOERROR' | 'NXDOMAIN' | 'SERVFAIL' | 'REFUSED' | 'FORMERR' | 'NOTIMP'
  answers?: Answer[]
  authorities?: Answer[]
  /** Over UDP: set TC and leave out the answers (the script is asked again over TCP). */
  truncate?: boolean
  /** Replace the ID (a wrong-ID answer). */
  id?: number
  /** Replace the question section (a wrong-question answer). */
  question?: Question
  /** Clear the QR bit. */
  notResponse?: boolean
  /** Send these bytes as the whole answer instead. */
  raw?: Buffer
  /** Wait this many milliseconds before answering. */
  delayMs?: number
}

/** Decides the reply to one query; `null` means never answer. */
export type Script = (q: ReceivedQuery, packet: DecodedPacket) => Reply | null | Promise<Reply | null>

/** A running server. */
export interface TestDnsServer {
  port: number
  /** `127.0.0.1`. */
  host4: string
  /** `::1`, or undefined when the host has no IPv6 loopback. */
  host6: string | undefined
  /** Every query received, in order. */
  queries: ReceivedQuery[]
  /** Changes the script for the following queries. */
  setScript(s: Script): void
  close(): Promise<void>
}

/** An A, AAAA or TXT answer record. TXT `data`: one string per character-string. */
export function rr(name: string, type: 'A' | 'AAAA' | 'TXT', data: string | string[], klass: 'IN' | 'CH' = 'IN', ttl = 0): Answer {
  if (type === 'TXT') {
    const strings = Array.isArray(data) ? data : [data]
    return { name, type, class: klass, ttl, data: strings.map((s) => Buffer.from(s, 'utf8')) }
  }
  return { name, type, class: klass, ttl, data: String(data) }
}

function buildReply(packet: DecodedPacket, reply: Reply, transport: 'udp' | 'tcp'): Buffer {
  if (reply.raw) return reply.raw
  const q = packet.questions?.[0]
  const truncated = reply.truncate === true && transport === 'udp'
  let flags = (packet.flags ?? 0) & dnsPacket.RECURSION_DESIRED
  if (truncated) flags |= dnsPacket.TRUNCATED_RESPONSE
  const rcodes: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 }
  flags |= rcodes[reply.rcode ?? 'NOERROR'] ?? 0
  const out = dnsPacket.encode({
    type: reply.notResponse ? 'query' : 'response',
    id: reply.id ?? packet.id ?? 0,
    flags,
    questions: reply.question ? [reply.question] : q ? [q] : [],
    answers: truncated ? [] : (reply.answers ?? []),
    authorities: truncated ? [] : (reply.authorities ?? []),
  })
  // dns-packet's encode takes the QR bit from `type`; the RCODE lives in the low bits of `flags`.
  return out
}

/**
 * Starts a server on one free port (UDP and TCP, 127.0.0.1 and ::1 when available).
 * @param script decides each reply; default: NXDOMAIN for everything.
 */
export async function startDnsServer(script: Script = () => ({ rcode: 'NXDOMAIN' })): Promise<TestDnsServer> {
  let current = script
  const queries: ReceivedQuery[] = []
  const sockets: { close(): Promise<void> }[] = []
  const tcpConns = new Set<net.Socket>()

  const handle = async (buf: Buffer, transport: 'udp' | 'tcp', family: 4 | 6, sourcePort: number): Promise<Buffer | null> => {
    let packet: DecodedPacket
    try {
      packet = dnsPacket.decode(buf)
    } catch {
      return null
    }
    const q = packet.questions?.[0]
    const rec: ReceivedQuery = {
      id: packet.id ?? 0,
      name: q?.name ?? '',
      type: q?.type ?? '',
      class: String(q?.class ?? 'IN'),
      transport,
      family,
      recursion: packet.flag_rd,
      sourcePort,
    }
    queries.push(rec)
    const reply = await current(rec, packet)
    if (reply === null) return null
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
    return buildReply(packet, reply, transport)
  }

  const bindUdp = (host: string, family: 4 | 6, port: number): Promise<dgram.Socket> =>
    new Promise((resolve, reject) => {
      const s = dgram.createSocket(family === 6 ? 'udp6' : 'udp4')
      s.once('error', reject)
      s.on('message', (msg, rinfo) => {
        void handle(msg, 'udp', family, rinfo.port).then((out) => {
          if (out) s.send(out, rinfo.port, rinfo.address, () => {})
        })
      })
      s.bind(port, host, () => {
        s.off('error', reject)
        s.on('error', () => {})
        resolve(s)
      })
    })

  const bindTcp = (host: string, family: 4 | 6, port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const srv = net.createServer((c) => {
        tcpConns.add(c)
        c.on('close', () => tcpConns.delete(c))
        c.on('error', () => {})
        let buf = Buffer.alloc(0)
        c.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk])
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const len = buf.readUInt16BE(0)
            const msg = buf.subarray(2, 2 + len)
            buf = buf.subarray(2 + len)
            void handle(Buffer.from(msg), 'tcp', family, c.remotePort ?? 0).then((out) => {
              if (!out || c.destroyed) return
              const prefix = Buffer.alloc(2)
              prefix.writeUInt16BE(out.length)
              c.write(Buffer.concat([prefix, out]))
            })
          }
        })
      })
      srv.once('error', reject)
      srv.listen({ host, port, exclusive: true }, () => {
        srv.off('error', reject)
        resolve(srv)
      })
    })

  const closeUdp = (s: dgram.Socket) => ({ close: () => new Promise<void>((r) => s.close(() => r())) })
  const closeTcp = (s: net.Server) => ({
    close: () =>
      new Promise<void>((r) => {
        for (const c of tcpConns) c.destroy()
        s.close(() => r())
      }),
  })

  // UDP and TCP must share one port number: pick it with UDP, then try TCP (and ::1) on it.
  for (let tries = 0; tries < 20; tries++) {
    const opened: { close(): Promise<void> }[] = []
    try {
      const u4 = await bindUdp('127.0.0.1', 4, 0)
      opened.push(closeUdp(u4))
      const port = u4.address().port
      opened.push(closeTcp(await bindTcp('127.0.0.1', 4, port)))
      let host6: string | undefined
      try {
        const u6 = await bindUdp('::1', 6, port)
        opened.push(closeUdp(u6))
        opened.push(closeTcp(await bindTcp('::1', 6, port)))
        host6 = '::1'
      } catch (e) {
        const code = (e as { code?: string }).code
        // No IPv6 loopback on this host: serve IPv4 only. A port clash: try another port.
        if (code === 'EADDRINUSE') throw e
        for (const o of opened.splice(2)) await o.close()
      }
      sockets.push(...opened)
      return {
        port,
        host4: '127.0.0.1',
        host6,
        queries,
        setScript: (s) => {
          current = s
        },
        close: async () => {
          for (const s of sockets) await s.close()
        },
      }
    } catch (e) {
      for (const o of opened) await o.close()
      if ((e as { code?: string }).code !== 'EADDRINUSE') throw e
    }
  }
  throw new Error('could not find a free port for both UDP and TCP')
}

/**
 * A "what is my IP" server like the public ones: `myip.opendns.com` A/AAAA (OpenDNS),
 * `o-o.myaddr.l.google.com` TXT (Google), `whoami.cloudflare` TXT class CH (Cloudflare) and
 * `whoami.akamai.net` A answer `v4` / `v6`; anything else is NXDOMAIN, as is a family not given.
 * The e2e test points a custom source at it: `{ dns = "127.0.0.1:<port>", name = "myip.opendns.com", type = "A" }`.
 */
export function startMyIpServer(addr: { v4?: string; v6?: string }): Promise<TestDnsServer> {
  return startDnsServer((q) => {
    const name = q.name.toLowerCase()
    const v = q.type === 'AAAA' ? addr.v6 : q.type === 'A' ? addr.v4 : q.family === 6 ? addr.v6 : addr.v4
    if (!v) return { rcode: 'NXDOMAIN' }
    if (name === 'myip.opendns.com' && (q.type === 'A' || q.type === 'AAAA')) return { answers: [rr(q.name, q.type as 'A' | 'AAAA', v)] }
    if (name === 'whoami.akamai.net' && q.type === 'A') return { answers: [rr(q.name, 'A', v)] }
    if (name === 'o-o.myaddr.l.google.com' && q.type === 'TXT') return { answers: [rr(q.name, 'TXT', v)] }
    if (name === 'whoami.cloudflare' && q.type === 'TXT' && q.class === 'CH') return { answers: [rr(q.name, 'TXT', v, 'CH')] }
    return { rcode: 'NXDOMAIN' }
  })
}
