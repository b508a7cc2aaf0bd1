import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * A PowerDNS Authoritative API as the fake answers it: one server id (`localhost` unless told),
 * example.com. from zone-example.json, PATCH with `changetype: REPLACE` replacing the whole RRset
 * (records and TTL; a REPLACE without ttl is a 422, as pdns answers; comments left as they are
 * when the RRset carries none), 204 on success. `X-API-Key` or 401.
 */

export interface PdnsRRset {
  name: string
  type: string
  ttl: number
  records: { content: string; disabled: boolean }[]
  comments?: unknown[]
}

export type FakePowerdns = FakeApi & { rrsets: PdnsRRset[] }

export async function startPowerdns(key: string, server = 'localhost'): Promise<FakePowerdns> {
  const rrsets: PdnsRRset[] = structuredClone((loadFixture('powerdns', 'zone-example').body as { rrsets: PdnsRRset[] }).rrsets)
  const fake = await startJsonApi('powerdns', (r) => {
    if (r.headers['x-api-key'] !== key) return loadFixture('powerdns', 'unauthorized')
    const [api, v1, servers, sid, zones, zone] = r.segs
    if (api !== 'api' || v1 !== 'v1' || servers !== 'servers' || sid !== server || zones !== 'zones') return undefined
    if (zone !== 'example.com.') return loadFixture('powerdns', 'zone-not-found')
    if (r.method === 'GET') return { status: 200, body: { id: 'example.com.', name: 'example.com.', kind: 'Native', rrsets } }
    if (r.method === 'PATCH') {
      for (const s of r.body.rrsets as (PdnsRRset & { changetype: string })[]) {
        if (s.changetype !== 'REPLACE' || typeof s.ttl !== 'number') return { status: 422, body: { error: 'TTL is required for REPLACE' } }
        const old = rrsets.find((x) => x.name === s.name && x.type === s.type)
        const next: PdnsRRset = { name: s.name, type: s.type, ttl: s.ttl, records: s.records, comments: s.comments ?? old?.comments ?? [] }
        if (old) Object.assign(old, next)
        else rrsets.push(next)
      }
      return { status: 204 }
    }
    return undefined
  })
  return track(Object.assign(fake, { rrsets }))
}
