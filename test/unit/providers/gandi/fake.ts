import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * Gandi LiveDNS v5 as the fake answers it: the RRsets of example.com (home from
 * records-home.json, plus @ A, www A, shop CNAME), the by-name listing, PUT replacing an RRset
 * (TTL default 10800 when none is sent, as LiveDNS does), POST creating (409 when it exists).
 * `Authorization: Bearer <token>` or 401.
 */

export interface GandiRRset {
  rrset_name: string
  rrset_type: string
  rrset_ttl: number
  rrset_values: string[]
}

export type FakeGandi = FakeApi & { sets: GandiRRset[] }

export async function startGandi(token: string): Promise<FakeGandi> {
  const sets: GandiRRset[] = [
    ...(loadFixture('gandi', 'records-home').body as GandiRRset[]).map(({ rrset_name, rrset_type, rrset_ttl, rrset_values }) => ({ rrset_name, rrset_type, rrset_ttl, rrset_values })),
    { rrset_name: '@', rrset_type: 'A', rrset_ttl: 7200, rrset_values: ['192.0.2.20'] },
    { rrset_name: 'www', rrset_type: 'A', rrset_ttl: 600, rrset_values: ['192.0.2.10'] },
    { rrset_name: 'shop', rrset_type: 'CNAME', rrset_ttl: 10800, rrset_values: ['shops.example.net.'] },
  ]
  const fake = await startJsonApi('gandi', (r) => {
    if (r.headers.authorization !== `Bearer ${token}`) return loadFixture('gandi', 'unauthorized')
    const [v5, livedns, domains, domain, records, name, type] = r.segs
    if (v5 !== 'v5' || livedns !== 'livedns' || domains !== 'domains' || records !== 'records' || name === undefined) return undefined
    if (domain !== 'example.com') return loadFixture('gandi', 'not-found')
    const at = sets.filter((s) => s.rrset_name === name)
    if (r.method === 'GET' && type === undefined) return { status: 200, body: at }
    if (type === undefined) return undefined
    const set = at.find((s) => s.rrset_type === type)
    if (r.method === 'PUT') {
      const next = { rrset_name: name, rrset_type: type, rrset_ttl: r.body.rrset_ttl ?? 10800, rrset_values: r.body.rrset_values }
      if (set) Object.assign(set, next)
      else sets.push(next)
      return loadFixture('gandi', 'created')
    }
    if (r.method === 'POST') {
      if (set) return { status: 409, body: { code: 409, message: 'A DNS record already exists with that name and type', object: 'HTTPConflict', cause: 'Conflict' } }
      sets.push({ rrset_name: name, rrset_type: type, rrset_ttl: r.body.rrset_ttl ?? 10800, rrset_values: r.body.rrset_values })
      return loadFixture('gandi', 'created')
    }
    return undefined
  })
  return track(Object.assign(fake, { sets }))
}
