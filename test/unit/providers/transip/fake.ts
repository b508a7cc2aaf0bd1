import { randomBytes, verify, type KeyObject } from 'node:crypto'
import { loadFixture, startJsonApi, type FakeApi } from '../../../helpers/json-api-server.js'
import { track } from '../api/support.js'

/**
 * TransIP API v6 as the fake answers it: `POST /v6/auth` verifies the `Signature` header (base64
 * of an RSA-SHA512 PKCS#1 v1.5 signature of the exact body bytes) with the account's public key
 * and answers a fresh token; `/v6/domains/example.com/dns` lists (dns-example.json), PATCHes one
 * entry found by name, type and expire (404 when none matches, as TransIP does), POSTs one new
 * entry. Every DNS call needs `Authorization: Bearer <the token>`.
 */

export interface DnsEntry {
  name: string
  expire: number
  type: string
  content: string
}

export type FakeTransip = FakeApi & { entries: DnsEntry[]; tokens: string[] }

export async function startTransip(login: string, publicKey: KeyObject): Promise<FakeTransip> {
  const entries: DnsEntry[] = structuredClone((loadFixture('transip', 'dns-example').body as { dnsEntries: DnsEntry[] }).dnsEntries)
  const tokens: string[] = []
  const fake = await startJsonApi('transip', (r) => {
    const [v6, a, domain, dns] = r.segs
    if (v6 !== 'v6') return undefined
    if (a === 'auth' && r.method === 'POST') {
      const sig = String(r.headers.signature ?? '')
      const ok = sig !== '' && verify('sha512', Buffer.from(r.text), publicKey, Buffer.from(sig, 'base64'))
      if (!ok || r.body?.login !== login) return loadFixture('transip', 'auth-bad-signature')
      const token = `tok-${randomBytes(6).toString('hex')}`
      tokens.push(token)
      return { status: 201, body: { token } }
    }
    if (a !== 'domains' || dns !== 'dns') return undefined
    if (!tokens.length || r.headers.authorization !== `Bearer ${tokens.at(-1)}`) return { status: 401, body: { error: 'Your access token has been revoked.' } }
    if (domain !== 'example.com') return loadFixture('transip', 'domain-not-found')
    if (r.method === 'GET') return { status: 200, body: { dnsEntries: entries } }
    const e = r.body?.dnsEntry as DnsEntry
    if (r.method === 'PATCH') {
      const hit = entries.filter((x) => x.name === e.name && x.type === e.type && x.expire === e.expire)
      if (hit.length !== 1) return { status: 404, body: { error: 'Dns entry not found' } }
      hit[0]!.content = e.content
      return { status: 204 }
    }
    if (r.method === 'POST') {
      entries.push(e)
      return { status: 201 }
    }
    return undefined
  })
  return track(Object.assign(fake, { entries, tokens }))
}
