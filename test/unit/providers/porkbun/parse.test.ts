import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ConfigError } from '../../../../src/errors.js'
import { porkbun, type PorkbunSettings } from '../../../../src/providers/porkbun/index.js'
import { configErrorOf, parseCollect } from '../godaddy/support.js'

const KEY = 'pk1_FAKE0123456789abcdef'
const SECRET = 'sk1_FAKEfedcba9876543210'

function parse(keys: Record<string, unknown>) {
  const r = parseCollect(porkbun, { key: KEY, secret: SECRET, ...keys })
  return { ...r, settings: r.settings as PorkbunSettings }
}

const configError = (keys: Record<string, unknown>): ConfigError => configErrorOf(() => parse(keys))

describe('porkbun.parse', () => {
  it('accepts the dness entry unchanged: domain, key, secret, records with @ for the apex', () => {
    const r = parse({ domain: 'example.com', records: ['@', 'sub'] })
    expect(r.settings).toEqual({
      domain: 'example.com',
      key: KEY,
      secret: SECRET,
      records: ['example.com', 'sub.example.com'],
      baseUrl: 'https://api.porkbun.com/api/json/v3',
      account: r.account,
      minGapMs: 250,
    })
    expect(r.names).toEqual(['example.com', 'sub.example.com'])
    expect(r.zone).toBe('example.com')
    expect(r.secrets).toEqual([KEY, SECRET])
  })

  it('BC-25: the default base URL is api.porkbun.com; base_url overrides it', () => {
    expect(parse({ domain: 'example.com', records: ['@'] }).settings.baseUrl).toBe('https://api.porkbun.com/api/json/v3')
    expect(parse({ domain: 'example.com', records: ['@'], base_url: 'https://porkbun.test/api/json/v3/' }).settings.baseUrl).toBe('https://porkbun.test/api/json/v3')
  })

  it('names the account by provider, host and a key fingerprint, never the key or secret', () => {
    const r = parse({ domain: 'example.com', records: ['@'] })
    const fp = createHash('sha256').update(KEY).digest('hex').slice(0, 8)
    expect(r.account).toBe(`porkbun:api.porkbun.com:${fp}`)
    expect(r.account).not.toContain(KEY)
  })

  it.each([
    ['@', 'example.com'],
    ['', 'example.com'],
    ['example.com', 'example.com'],
    ['sub', 'sub.example.com'],
    ['*', '*.example.com'],
    ['a.b', 'a.b.example.com'],
    ['sub.example.com.', 'sub.example.com'],
  ])('BC-22: record %j is %s', (name, fqdn) => {
    expect(parse({ domain: 'example.com', records: [name] }).names).toEqual([fqdn])
  })

  it.each([
    [{ domain: 'example.com' }, 'domains[0].records', /at least one record name/],
    [{ records: ['@'] }, 'domains[0].domain', /is required/],
    [{ domain: 'example.com', records: ['x.other.org.'] }, 'domains[0].records[0]', /not inside domain/],
    [{ domain: 'example.com', records: ['@'], apikey: 'x' }, 'domains[0].apikey', /unknown key/],
    [{ domain: 'example.com', records: ['@'], key: undefined }, 'domains[0].key', /is required/],
    [{ domain: 'example.com', records: ['@'], secret: '' }, 'domains[0].secret', /is required/],
  ])('config error for %j names %s', (keys, path, msg) => {
    const e = configError(keys)
    expect(e.path).toBe(path)
    expect(e.message).toMatch(msg)
  })

  it('BC-28: key and secret with & # $ % : + and spaces inside are taken as they are (they go in a JSON body)', () => {
    const r = parse({ domain: 'example.com', records: ['@'], key: 'pk1_Ab&c#d$e%f:g+h', secret: 'sk1 Ab&c#d$e%f:g+h' })
    expect(r.settings.key).toBe('pk1_Ab&c#d$e%f:g+h')
    expect(r.settings.secret).toBe('sk1 Ab&c#d$e%f:g+h')
  })

  it('declares the 600 s minimum TTL and IPv6 support', () => {
    expect(porkbun.ttl).toEqual({ min: 600, max: 2147483647 })
    expect(porkbun.capabilities).toEqual({ read: 'api', ipv6: true, dualStackOneRequest: false })
  })
})
