import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * The ClouDNS HTTP API as the fake answers it: POST form bodies only (a query string with the
 * credentials gets `Failed`), example.com's records from records-example.json, `host` and `type`
 * filters, mod-record and add-record that need every documented field. Credentials: `auth-id`,
 * `sub-auth-id` or `sub-auth-user`, with `auth-password`.
 */

export interface CloudnsRecord {
  id: string
  type: string
  host: string
  record: string
  ttl: string
  [k: string]: unknown
}

export type FakeCloudns = FakeApi & { records: CloudnsRecord[] }

export async function startCloudns(user: Record<string, string>, password: string): Promise<FakeCloudns> {
  const records: CloudnsRecord[] = structuredClone(Object.values(loadFixture('cloudns', 'records-example').body as Record<string, CloudnsRecord>))
  let next = 1100
  const failed = (d: string) => ({ status: 200, body: { status: 'Failed', statusDescription: d } })
  const fake = await startJsonApi('cloudns', (r) => {
    const f = (r.body ?? {}) as Record<string, string>
    if (r.method !== 'POST' || r.search) return failed('Use POST with a form body')
    const [k, v] = Object.entries(user)[0]!
    if (f[k] !== v || f['auth-password'] !== password) return loadFixture('cloudns', 'invalid-auth')
    if (f['domain-name'] !== 'example.com') return loadFixture('cloudns', 'missing-domain')
    switch (r.path) {
      case '/dns/records.json': {
        const list = records.filter((x) => (f.host === undefined || x.host === f.host) && (f.type === undefined || x.type === f.type))
        return { status: 200, body: list.length ? Object.fromEntries(list.map((x) => [x.id, x])) : [] }
      }
      case '/dns/mod-record.json': {
        const rec = records.find((x) => x.id === f['record-id'])
        if (!rec) return failed('Invalid record-id param.')
        if (f.host === undefined || !f.record || !f.ttl) return failed('Missing host, record or ttl')
        Object.assign(rec, { host: f.host, record: f.record, ttl: f.ttl })
        return loadFixture('cloudns', 'modified')
      }
      case '/dns/add-record.json':
        if (!['60', '300', '900', '1800', '3600', '86400'].includes(f.ttl ?? '')) return loadFixture('cloudns', 'invalid-ttl')
        records.push({ id: String(next++), type: f['record-type']!, host: f.host!, record: f.record!, ttl: f.ttl! })
        return loadFixture('cloudns', 'added')
    }
    return undefined
  })
  return track(Object.assign(fake, { records }))
}
