// A tiny dyndns2 service for the side-by-side benchmark (bench/run.mjs), on loopback only:
//
// - HTTP `GET /nic/update?hostname=H&myip=IP` with Basic auth, answering as the dyndns2 protocol
//   says (https://help.dyn.com/remote-access-api/perform-update/ and .../return-codes/):
//   `badauth` for wrong credentials, `nohost` for an unknown host, `good IP` when the address
//   changed, `nochg IP` when it did not; one line per host for a comma-separated hostname list;
// - HTTP `GET /ip`: the client's "public" address as plain text (the WAN address the benchmark
//   pretends to have), the way an IP echo service answers;
// - DNS (UDP) on the same port number: the A record of each host as the service holds it, so a
//   client that reads the record back (edge-ddns' dyndns2 provider) sees the effect of updates.
//
// Every update request is counted, so the benchmark can check that each client did the same work.
import { createSocket } from 'node:dgram'
import { createServer } from 'node:http'
import dnsPacket from 'dns-packet'

/**
 * Starts the service on 127.0.0.1 (HTTP and DNS share one port number).
 * @param {{ user: string, password: string, hosts: Record<string, string>, wan: string }} o
 *   hosts: host name → address the service holds; wan: the address `/ip` answers
 * @returns {Promise<{ port: number, hosts: Map<string, string>, wan: string, updates: number, ipChecks: number, dnsQueries: number, close(): Promise<void> }>}
 *   `hosts`, `wan` may be changed between runs; the counters count requests since start
 */
export async function startDyndns2(o) {
  const state = { hosts: new Map(Object.entries(o.hosts)), wan: o.wan, updates: 0, ipChecks: 0, dnsQueries: 0 }
  const expected = `Basic ${Buffer.from(`${o.user}:${o.password}`).toString('base64')}`
  const http = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x')
    const text = (status, body) => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) })
      res.end(body)
    }
    if (u.pathname === '/ip') {
      state.ipChecks++
      return text(200, `${state.wan}\n`)
    }
    if (u.pathname !== '/nic/update') return text(404, 'not found\n')
    state.updates++
    if (req.headers.authorization !== expected) return text(200, 'badauth\n')
    const ip = u.searchParams.get('myip') ?? req.socket.remoteAddress ?? ''
    const lines = (u.searchParams.get('hostname') ?? '').split(',').map((h) => {
      const host = h.trim().toLowerCase()
      if (!state.hosts.has(host)) return 'nohost'
      if (state.hosts.get(host) === ip) return `nochg ${ip}`
      state.hosts.set(host, ip)
      return `good ${ip}`
    })
    text(200, `${lines.join('\n')}\n`)
  })
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve))
  const port = http.address().port

  const udp = createSocket('udp4')
  udp.on('message', (msg, rinfo) => {
    let q
    try {
      q = dnsPacket.decode(msg)
    } catch {
      return
    }
    state.dnsQueries++
    const question = q.questions?.[0]
    const name = question?.name?.toLowerCase() ?? ''
    const held = state.hosts.get(name)
    const answers = held && question.type === 'A' ? [{ type: 'A', name: question.name, ttl: 0, data: held }] : []
    const reply = dnsPacket.encode({
      id: q.id,
      type: 'response',
      flags: dnsPacket.AUTHORITATIVE_ANSWER | (q.flags & dnsPacket.RECURSION_DESIRED),
      rcode: held ? 'NOERROR' : 'NXDOMAIN',
      questions: q.questions,
      answers,
    })
    udp.send(reply, rinfo.port, rinfo.address)
  })
  await new Promise((resolve, reject) => {
    udp.once('error', reject)
    udp.bind(port, '127.0.0.1', resolve)
  })

  return {
    port,
    get hosts() {
      return state.hosts
    },
    get wan() {
      return state.wan
    },
    set wan(v) {
      state.wan = v
    },
    get updates() {
      return state.updates
    },
    get ipChecks() {
      return state.ipChecks
    },
    get dnsQueries() {
      return state.dnsQueries
    },
    close: () =>
      new Promise((resolve) => {
        udp.close()
        http.closeAllConnections?.()
        http.close(() => resolve())
      }),
  }
}
