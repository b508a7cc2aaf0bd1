import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * The IONOS hosting DNS API v1 as the fake answers it: zones from zones.json, example.com's
 * records from zone-example.json, the `recordType` filter (a comma list), PUT replacing content,
 * TTL, prio and disabled (an omitted `disabled` becomes false, as the API documents), POST
 * creating a list of records. `X-API-Key` or 401.
 */

export interface IonosRecord {
  id: string
  name: string
  type: string
  content: string
  ttl: number
  prio: number
  disabled: boolean
  [k: string]: unknown
}

export type FakeIonos = FakeApi & { records: IonosRecord[] }

const ZONE_ID = '11af3414-ebba-11e9-8df5-66fbe8a334b4'

export async function startIonos(key: string): Promise<FakeIonos> {
  const records: IonosRecord[] = structuredClone((loadFixture('ionos', 'zone-example').body as { records: IonosRecord[] }).records)
  let next = 100
  const fake = await startJsonApi('ionos', (r) => {
    if (r.headers['x-api-key'] !== key) return loadFixture('ionos', 'unauthorized')
    const [dns, v1, zones, id, recs, rid] = r.segs
    if (dns !== 'dns' || v1 !== 'v1' || zones !== 'zones') return undefined
    if (id === undefined) return r.method === 'GET' ? loadFixture('ionos', 'zones') : undefined
    if (id !== ZONE_ID) return { status: 404, body: [{ code: 'NOT_FOUND', message: 'Zone not found.' }] }
    if (r.method === 'GET' && recs === undefined) {
      const types = r.query.recordType?.split(',')
      return { status: 200, body: { name: 'example.com', id: ZONE_ID, type: 'NATIVE', records: records.filter((x) => !types || types.includes(x.type)) } }
    }
    if (r.method === 'PUT' && recs === 'records') {
      const rec = records.find((x) => x.id === rid)
      if (!rec) return loadFixture('ionos', 'record-not-found')
      Object.assign(rec, { disabled: false, ...r.body })
      return { status: 200, body: rec }
    }
    if (r.method === 'POST' && recs === 'records' && rid === undefined) {
      const made = (r.body as Omit<IonosRecord, 'id'>[]).map((x) => ({ ...x, id: `n${next++}` }) as IonosRecord)
      records.push(...made)
      return { status: 201, body: made }
    }
    return undefined
  })
  return track(Object.assign(fake, { records }))
}
