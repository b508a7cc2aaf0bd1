import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * The Hetzner Cloud API's zone RRSets as the fake answers them: the RRSets of example.com from
 * rrsets-example.json; `GET /v1/zones/{zone}/rrsets` with exact `name` and repeatable `type`
 * filters; `set_records` replacing an RRSet's records (TTL and labels kept) and answering a
 * running action; `POST /v1/zones/{zone}/rrsets` creating. `Authorization: Bearer` or 401.
 */

export interface HzRRSet {
  name: string
  type: string
  ttl: number | null
  records: { value: string; comment?: string }[]
  [k: string]: unknown
}

export type FakeHetzner = FakeApi & { rrsets: HzRRSet[] }

export async function startHetzner(token: string): Promise<FakeHetzner> {
  const rrsets: HzRRSet[] = structuredClone((loadFixture('hetzner', 'rrsets-example').body as { rrsets: HzRRSet[] }).rrsets)
  const fake = await startJsonApi('hetzner', (r) => {
    if (r.headers.authorization !== `Bearer ${token}`) return loadFixture('hetzner', 'unauthorized')
    const [v1, zones, zone, rr, name, type, actions, action] = r.segs
    if (v1 !== 'v1' || zones !== 'zones' || rr !== 'rrsets') return undefined
    if (zone !== 'example.com') return loadFixture('hetzner', 'zone-not-found')
    if (r.method === 'GET' && name === undefined) {
      const types = new URLSearchParams(r.search).getAll('type')
      const list = rrsets.filter((s) => (!r.query.name || s.name === r.query.name) && (!types.length || types.includes(s.type)))
      return { status: 200, body: { rrsets: list, meta: { pagination: { page: 1, per_page: 50, previous_page: null, next_page: null, last_page: 1, total_entries: list.length } } } }
    }
    if (r.method === 'POST' && actions === 'actions' && action === 'set_records') {
      const set = rrsets.find((s) => s.name === name && s.type === type)
      if (!set) return { status: 404, body: { error: { code: 'not_found', message: 'rrset not found' } } }
      set.records = r.body.records
      return loadFixture('hetzner', 'action-running')
    }
    if (r.method === 'POST' && name === undefined) {
      const set: HzRRSet = { ttl: null, ...r.body, id: `${r.body.name}/${r.body.type}` }
      rrsets.push(set)
      return { status: 201, body: { rrset: set, action: (loadFixture('hetzner', 'action-running').body as { action: unknown }).action } }
    }
    return undefined
  })
  return track(Object.assign(fake, { rrsets }))
}
