import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import { cloudflare, type CloudflareSettings } from '../../../../src/providers/cloudflare/index.js'
import { configErrorOf, parseCollect } from '../godaddy/support.js'

const TOKEN = 'cf-FAKE-token-0123456789abcdef'

function parse(keys: Record<string, unknown>) {
  const r = parseCollect(cloudflare, keys)
  return { ...r, settings: r.settings as CloudflareSettings }
}

const configError = (keys: Record<string, unknown>): ConfigError => configErrorOf(() => parse(keys))

describe('cloudflare.parse', () => {
  it('accepts a dness entry: token, zone, records as full names', () => {
    const r = parse({ token: TOKEN, zone: 'example.com', records: ['home.example.com', 'www.example.com'] })
    expect(r.settings).toEqual({
      auth: { kind: 'token', token: TOKEN },
      zone: 'example.com',
      records: ['home.example.com', 'www.example.com'],
      baseUrl: 'https://api.cloudflare.com/client/v4',
    })
    expect(r.names).toEqual(['home.example.com', 'www.example.com'])
    expect(r.zone).toBe('example.com')
    expect(r.secrets).toEqual([TOKEN])
  })

  it('names the account by host and a token fingerprint, never the token', () => {
    const r = parse({ token: TOKEN, zone: 'example.com', records: ['home.example.com'] })
    const fp = createHash('sha256').update(TOKEN).digest('hex').slice(0, 8)
    expect(r.account).toBe(`cloudflare:api.cloudflare.com:token-${fp}`)
    expect(r.account).not.toContain(TOKEN)
  })

  it('accepts email + key (global API key) and registers the key as a secret', () => {
    const r = parse({ email: 'me@example.com', key: 'fake-global-key-123', zone: 'example.com', records: ['home.example.com'], base_url: 'http://127.0.0.1:8080/client/v4/' })
    expect(r.settings.auth).toEqual({ kind: 'key', email: 'me@example.com', key: 'fake-global-key-123' })
    expect(r.settings.baseUrl).toBe('http://127.0.0.1:8080/client/v4')
    expect(r.account).toBe('cloudflare:127.0.0.1:8080:me@example.com')
    expect(r.secrets).toEqual(['fake-global-key-123'])
  })

  it.each([
    ['@', 'example.com'],
    ['', 'example.com'],
    ['example.com', 'example.com'],
    ['example.com.', 'example.com'],
    ['home', 'home.example.com'],
    ['*', '*.example.com'],
    ['Home.Example.COM.', 'home.example.com'],
    ['*.lab.example.com', '*.lab.example.com'],
    ['_acme.example.com', '_acme.example.com'],
  ])('BC-22: record name %j is %s', (name, fqdn) => {
    expect(parse({ token: TOKEN, zone: 'Example.COM.', records: [name] }).names).toEqual([fqdn])
  })

  it('warns about a name listed twice and keeps it once', () => {
    const r = parse({ token: TOKEN, zone: 'example.com', records: ['home', 'home.example.com'] })
    expect(r.names).toEqual(['home.example.com'])
    expect(r.warnings).toEqual(['domains[0].records[1]: home.example.com is listed twice; it is handled once'])
  })

  it.each([
    [{ zone: 'example.com', records: ['a.example.com'] }, 'domains[0].token', /is required/],
    [{ token: TOKEN, email: 'me@example.com', zone: 'example.com', records: ['a'] }, 'domains[0].email', /cannot be combined with token/],
    [{ token: TOKEN, key: 'fake-key-1', zone: 'example.com', records: ['a'] }, 'domains[0].key', /cannot be combined with token/],
    [{ email: 'me@example.com', zone: 'example.com', records: ['a'] }, 'domains[0].key', /is required with email/],
    [{ key: 'fake-key-1', zone: 'example.com', records: ['a'] }, 'domains[0].email', /is required with key/],
    [{ token: TOKEN, records: ['a'] }, 'domains[0].zone', /is required/],
    [{ token: TOKEN, zone: 'exa mple.com', records: ['a'] }, 'domains[0].zone', /not a valid domain name/],
    [{ token: TOKEN, zone: 'example.com' }, 'domains[0].records', /at least one/],
    [{ token: TOKEN, zone: 'example.com', records: [] }, 'domains[0].records', /at least one/],
    [{ token: TOKEN, zone: 'example.com', records: ['home.other.org'] }, 'domains[0].records[0]', /not inside zone example.com/],
    [{ token: TOKEN, zone: 'example.com', records: ['a', 'home.other.org.'] }, 'domains[0].records[1]', /not inside zone example.com/],
    [{ token: TOKEN, zone: 'example.com', records: ['bad_-name!'] }, 'domains[0].records[0]', /not a valid record name/],
    [{ token: TOKEN, zone: 'example.com', records: ['a'], proxied: true }, 'domains[0].proxied', /unknown key/],
    [{ token: TOKEN, zone: 'example.com', records: ['a'], comment: 'x' }, 'domains[0].comment', /unknown key/],
    [{ token: TOKEN, zone: 'example.com', records: ['a'], base_url: 'ftp://x' }, 'domains[0].base_url', /http/],
  ])('refuses %j at %s', (keys, path, msg) => {
    const e = configError(keys)
    expect(e.path).toBe(path)
    expect(e.message).toMatch(msg)
  })

  it('refuses a token with a space inside without printing it', () => {
    const bad = 'abc def-secret-123'
    const e = configError({ token: bad, zone: 'example.com', records: ['a'] })
    expect(e.path).toBe('domains[0].token')
    expect(e.message).not.toContain('def-secret')
  })

  it('registers the token as a secret even when the entry is refused', () => {
    const secrets: string[] = []
    expect(() =>
      cloudflare.parse({ token: TOKEN, email: 'me@example.com', zone: 'example.com', records: ['a'] }, 'domains[0]', { secret: (s) => secrets.push(s), warn: () => {} }),
    ).toThrow(ConfigError)
    expect(secrets).toContain(TOKEN)
  })

  it('BC-09: declares the TTL bounds the config stage checks before any call', () => {
    expect(cloudflare.ttl).toEqual({ min: 60, max: 86400, auto: 1 })
  })
})
