import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * DigitalOcean API v2 Domain Records as the fake answers them: the records of example.com from
 * the fixture records-example.json, `name` and `type` filters (name = the full name), pages of
 * `per_page` (default 20, at most 200) with `links.pages.next`, PATCH merging the given fields,
 * POST creating (TTL 1800 when none is given). `Authorization: Bearer <token>` or 401.
 */

export interface DoRecord {
  id: number
  type: string
  name: string
  data: string
  ttl: number
  [k: string]: unknown
}

export type FakeDo = FakeApi & { records: DoRecord[] }

const fqdnOf = (name: string): string => (name === '@' ? 'example.com' : `${name}.example.com`)

export async function startDo(token: string, seed?: DoRecord[]): Promise<FakeDo> {
  const records: DoRecord[] = structuredClone(seed ?? ((loadFixture('digitalocean', 'records-example').body as { domain_records: DoRecord[] }).domain_records))
  let next = 9000000
  const fake = await startJsonApi('digitalocean', (r) => {
    if (r.headers.authorization !== `Bearer ${token}`) return loadFixture('digitalocean', 'unauthorized')
    const [v2, domains, domain, recs, id] = r.segs
    if (v2 !== 'v2' || domains !== 'domains' || recs !== 'records') return undefined
    if (domain !== 'example.com') return loadFixture('digitalocean', 'not-found')
    if (r.method === 'GET' && id === undefined) {
      const all = records.filter((x) => (!r.query.name || fqdnOf(x.name) === r.query.name) && (!r.query.type || x.type === r.query.type))
      const per = Math.min(Number(r.query.per_page ?? 20), 200)
      const page = Number(r.query.page ?? 1)
      const more = page * per < all.length
      return {
        status: 200,
        body: {
          domain_records: all.slice((page - 1) * per, page * per),
          // DigitalOcean's page links drop the filters: a client must not follow them blindly.
          links: more ? { pages: { next: `${fake.url}/v2/domains/example.com/records?page=${page + 1}&per_page=${per}` } } : {},
          meta: { total: all.length },
        },
      }
    }
    if (r.method === 'PATCH' && id !== undefined) {
      const rec = records.find((x) => String(x.id) === id)
      if (!rec) return loadFixture('digitalocean', 'not-found')
      Object.assign(rec, r.body)
      return { status: 200, body: { domain_record: rec } }
    }
    if (r.method === 'POST' && id === undefined) {
      const rec: DoRecord = { id: next++, ttl: 1800, ...r.body }
      records.push(rec)
      return { status: 201, body: { domain_record: rec } }
    }
    return undefined
  })
  return track(Object.assign(fake, { records }))
}
