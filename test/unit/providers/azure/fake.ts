import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * Microsoft Entra's token endpoint and Azure Resource Manager's DNS record sets on one fake:
 * `POST /{tenant}/oauth2/v2.0/token` (client-credentials form; token.json, or 401
 * token-invalid-client.json), and `.../dnsZones/example.com/{A|AAAA}/{name}?api-version=2018-05-01`
 * GET (404 NotFound when absent), PATCH (only the given properties change; If-Match must equal
 * the etag, else 412), PUT (If-None-Match: * refuses an existing set with 412). Resource group
 * `dns-rg`, subscription `sub-1`.
 */

export interface AzSet {
  TTL: number
  values: string[]
  etag: string
  metadata?: Record<string, string>
}

export type FakeAzure = FakeApi & { sets: Map<string, AzSet>; token: string }

export async function startAzure(tenant: string, client: string, secret: string): Promise<FakeAzure> {
  const token = (loadFixture('azure', 'token').body as { access_token: string }).access_token
  const sets = new Map<string, AzSet>([
    ['A/@', { TTL: 3600, values: ['192.0.2.20'], etag: 'e-apex' }],
    ['A/home', { TTL: 300, values: ['192.0.2.1'], etag: '00000000-0000-0000-0000-0000000000a1', metadata: { owner: 'edge' } }],
    ['AAAA/home', { TTL: 600, values: ['2001:db8::1'], etag: 'e-home6' }],
    ['A/www', { TTL: 60, values: ['192.0.2.10'], etag: 'e-www' }],
  ])
  let n = 0
  const view = (type: string, name: string, s: AzSet): unknown => ({
    name,
    type: `Microsoft.Network/dnszones/${type}`,
    etag: s.etag,
    properties: { metadata: s.metadata ?? {}, TTL: s.TTL, fqdn: `${name === '@' ? '' : `${name}.`}example.com.`, ...(type === 'A' ? { ARecords: s.values.map((v) => ({ ipv4Address: v })) } : { AAAARecords: s.values.map((v) => ({ ipv6Address: v })) }) },
  })
  const fake = await startJsonApi('azure', (r) => {
    if (r.segs[1] === 'oauth2') {
      const f = r.body ?? {}
      if (r.segs[0] !== tenant) return loadFixture('azure', 'token-tenant-not-found')
      if (f.grant_type !== 'client_credentials' || f.client_id !== client || f.client_secret !== secret) return loadFixture('azure', 'token-invalid-client')
      return loadFixture('azure', 'token')
    }
    if (r.headers.authorization !== `Bearer ${token}`) return { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' } } }
    const [s, sub, rgs, rg, prov, ns, zones, zone, type, name] = r.segs
    if (s !== 'subscriptions' || sub !== 'sub-1' || rgs !== 'resourceGroups' || prov !== 'providers' || ns !== 'Microsoft.Network' || zones !== 'dnsZones' || !type || !name) return undefined
    if (r.query['api-version'] !== '2018-05-01') return { status: 400, body: { error: { code: 'InvalidApiVersionParameter', message: 'bad api-version' } } }
    if (rg !== 'dns-rg') return loadFixture('azure', 'resource-group-not-found')
    if (zone !== 'example.com') return loadFixture('azure', 'parent-not-found')
    const key = `${type}/${name}`
    const set = sets.get(key)
    const recs = (b: any): string[] => (type === 'A' ? b?.properties?.ARecords?.map((x: any) => x.ipv4Address) : b?.properties?.AAAARecords?.map((x: any) => x.ipv6Address)) ?? []
    if (r.method === 'GET') return set ? { status: 200, body: view(type, name, set) } : { ...loadFixture('azure', 'recordset-not-found') }
    if (r.method === 'PATCH') {
      if (!set) return loadFixture('azure', 'recordset-not-found')
      if (r.headers['if-match'] !== undefined && r.headers['if-match'] !== set.etag) return loadFixture('azure', 'precondition-failed')
      if (r.body?.properties?.TTL !== undefined) set.TTL = r.body.properties.TTL
      set.values = recs(r.body)
      set.etag = `e${++n}`
      return { status: 200, body: view(type, name, set) }
    }
    if (r.method === 'PUT') {
      if (set && r.headers['if-none-match'] === '*') return loadFixture('azure', 'precondition-failed')
      const made: AzSet = { TTL: r.body?.properties?.TTL ?? 3600, values: recs(r.body), etag: `e${++n}` }
      sets.set(key, made)
      return { status: 201, body: view(type, name, made) }
    }
    return undefined
  })
  return track(Object.assign(fake, { sets, token }))
}
