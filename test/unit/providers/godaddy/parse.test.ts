import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ConfigError } from '../../../../src/errors.js'
import { godaddy, type GoDaddySettings } from '../../../../src/providers/godaddy/index.js'
import { configErrorOf, parseCollect } from './support.js'

const KEY = 'gd-FAKE-key-0123456789'
const SECRET = 'gd-FAKE-secret-abcdef'

function parse(keys: Record<string, unknown>) {
  const r = parseCollect(godaddy, { key: KEY, secret: SECRET, ...keys })
  return { ...r, settings: r.settings as GoDaddySettings }
}

const configError = (keys: Record<string, unknown>): ConfigError => configErrorOf(() => parse(keys))

describe('godaddy.parse', () => {
  it('accepts the dness entry unchanged: domain, key, secret, records relative with @ for the apex', () => {
    // dness README's GoDaddy example.
    const r = parse({ domain: 'example.com', records: ['@', 'a'] })
    expect(r.settings).toEqual({
      domain: 'example.com',
      key: KEY,
      secret: SECRET,
      records: ['example.com', 'a.example.com'],
      baseUrl: 'https://api.godaddy.com',
      account: r.account,
    })
    expect(r.names).toEqual(['example.com', 'a.example.com'])
    expect(r.zone).toBe('example.com')
    expect(r.secrets).toEqual([KEY, SECRET])
  })

  it('names the account by provider, host and a key fingerprint, never the key or secret', () => {
    const r = parse({ domain: 'example.com', records: ['@'] })
    const fp = createHash('sha256').update(KEY).digest('hex').slice(0, 8)
    expect(r.account).toBe(`godaddy:api.godaddy.com:${fp}`)
    expect(r.account).not.toContain(KEY)
    expect(r.account).not.toContain(SECRET)
    expect(parse({ domain: 'example.com', records: ['@'], base_url: 'http://127.0.0.1:8080/' }).account).toBe(`godaddy:127.0.0.1:8080:${fp}`)
  })

  it('takes base_url without its trailing slash (dness key)', () => {
    expect(parse({ domain: 'example.com', records: ['@'], base_url: 'http://127.0.0.1:8080/' }).settings.baseUrl).toBe('http://127.0.0.1:8080')
  })

  it.each([
    ['@', 'example.com'],
    ['', 'example.com'],
    ['example.com', 'example.com'],
    ['example.com.', 'example.com'],
    ['a', 'a.example.com'],
    ['a.b', 'a.b.example.com'],
    ['*', '*.example.com'],
    ['HOME', 'home.example.com'],
    ['home.example.com', 'home.example.com'],
    ['home.example.com.', 'home.example.com'],
  ])('BC-22: record %j is %s', (name, fqdn) => {
    expect(parse({ domain: 'Example.COM.', records: [name] }).names).toEqual([fqdn])
  })

  it('handles a name listed twice once, with a warning', () => {
    const r = parse({ domain: 'example.com', records: ['@', '', 'example.com'] })
    expect(r.names).toEqual(['example.com'])
    expect(r.warnings).toHaveLength(2)
  })

  it.each([
    [{ domain: 'example.com' }, 'domains[0].records', /at least one record name/],
    [{ domain: 'example.com', records: [] }, 'domains[0].records', /at least one record name/],
    [{ records: ['@'] }, 'domains[0].domain', /is required/],
    [{ domain: 'localhost', records: ['@'] }, 'domains[0].domain', /not a domain name/],
    [{ domain: 'example.com', records: ['home.other.org.'] }, 'domains[0].records[0]', /not inside domain example\.com/],
    [{ domain: 'example.com', records: ['bad name'] }, 'domains[0].records[0]', /not a valid record name/],
    [{ domain: 'example.com', records: ['@'], zone: 'example.com' }, 'domains[0].zone', /unknown key/],
    [{ domain: 'example.com', records: ['@'], base_url: 'ftp://example.com' }, 'domains[0].base_url', /http/],
  ])('config error for %j names %s', (keys, path, msg) => {
    const e = configError(keys)
    expect(e.path).toBe(path)
    expect(e.message).toMatch(msg)
  })

  it.each([
    [{ key: undefined }, 'domains[0].key', /is required/],
    [{ secret: undefined }, 'domains[0].secret', /is required/],
    [{ key: 'a:b-FAKE-key' }, 'domains[0].key', /":"/],
    [{ secret: 'se cret-FAKE' }, 'domains[0].secret', /spaces or control characters/],
  ])('credential error %# names the key and never the value', (keys, path, msg) => {
    const e = configError({ domain: 'example.com', records: ['@'], ...keys })
    expect(e.path).toBe(path)
    expect(e.message).toMatch(msg)
    for (const v of Object.values(keys)) if (typeof v === 'string') expect(e.message).not.toContain(v)
  })

  it('BC-28: a secret with & # $ % : + is accepted as is', () => {
    const r = parse({ domain: 'example.com', records: ['@'], secret: 'Ab&c#d$e%f:g+h' })
    expect(r.settings.secret).toBe('Ab&c#d$e%f:g+h')
    expect(r.secrets).toContain('Ab&c#d$e%f:g+h')
  })

  it('declares TTL bounds with the 600 s minimum GoDaddy enforces', () => {
    expect(godaddy.ttl).toEqual({ min: 600, max: 2147483647 })
    expect(godaddy.capabilities).toEqual({ read: 'api', ipv6: true, dualStackOneRequest: false })
    expect(godaddy.keys.filter((k) => k.secret).map((k) => k.key)).toEqual(['key', 'secret'])
  })
})
