import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/errors.js'
import { rfc2136 } from '../../../../src/providers/rfc2136/index.js'
import { parseServer } from '../../../../src/providers/rfc2136/names.js'
import { parseEntry } from './support.js'

const SECRET = 'NcUOuXDRfwH68VOT+DePQY1gp1sgDeGWMwtwQAxRPMQ='

const base = {
  server: '192.0.2.53',
  zone: 'Example.COM.',
  records: ['home'],
  key_name: 'edge-ddns-key',
  key_secret: SECRET,
}

function configError(entry: Record<string, unknown>): ConfigError {
  try {
    parseEntry(entry)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('rfc2136 entry parsing', () => {
  it('normalises the entry: settings, FQDN names, zone, account without the secret', () => {
    const { parsed, secrets } = parseEntry(base)
    expect(parsed.settings).toMatchObject({
      server: { host: '192.0.2.53', port: 53, label: '192.0.2.53:53' },
      zone: 'example.com',
      key: { name: 'edge-ddns-key', algorithm: 'hmac-sha256' },
      tcp: false,
    })
    expect(parsed.settings.key.secret).toEqual(Buffer.from(SECRET, 'base64'))
    expect(parsed.names).toEqual(['home.example.com'])
    expect(parsed.zone).toBe('example.com')
    expect(parsed.account).toBe('rfc2136:192.0.2.53:53:edge-ddns-key')
    expect(parsed.account).not.toContain(SECRET)
    expect(secrets).toContain(SECRET)
  })

  it.each([
    ['home', 'home.example.com'],
    ['HOME', 'home.example.com'],
    ['home.lab', 'home.lab.example.com'],
    ['home.example.com', 'home.example.com'],
    ['home.example.com.', 'home.example.com'],
    ['@', 'example.com'],
    ['', 'example.com'],
    ['example.com', 'example.com'],
    ['*', '*.example.com'],
    ['_acme', '_acme.example.com'],
  ])('record %j is %s', (raw, fqdn) => {
    expect(parseEntry({ ...base, records: [raw] }).parsed.names).toEqual([fqdn])
  })

  it('a name listed twice is kept once, with a warning', () => {
    const { parsed, warnings } = parseEntry({ ...base, records: ['home', 'home.example.com.'] })
    expect(parsed.names).toEqual(['home.example.com'])
    expect(warnings).toEqual(['domains[0].records[1]: home.example.com is listed twice; once is enough'])
  })

  it.each([
    ['hmac-sha256', 'hmac-sha256'],
    ['HMAC-SHA512', 'hmac-sha512'],
    ['hmac-sha1', 'hmac-sha1'],
  ])('key_algorithm %s is accepted', (raw, alg) => {
    expect(parseEntry({ ...base, key_algorithm: raw }).parsed.settings.key.algorithm).toBe(alg)
  })

  it.each([
    ['192.0.2.53', '192.0.2.53', 53, '192.0.2.53:53'],
    ['192.0.2.53:5353', '192.0.2.53', 5353, '192.0.2.53:5353'],
    ['ns1.example.com', 'ns1.example.com', 53, 'ns1.example.com:53'],
    ['ns1.example.com:5300', 'ns1.example.com', 5300, 'ns1.example.com:5300'],
    ['[2001:db8::53]:5353', '2001:db8::53', 5353, '[2001:db8::53]:5353'],
    ['[2001:db8::53]', '2001:db8::53', 53, '[2001:db8::53]:53'],
    ['2001:db8::53', '2001:db8::53', 53, '[2001:db8::53]:53'],
  ])('server %s → host %s port %i', (raw, host, port, label) => {
    expect(parseServer(raw, 'p')).toEqual({ host, port, label })
  })

  it.each([
    [{ records: ['home.other.org.'] }, 'domains[0].records[0]', /not inside zone example\.com/],
    [{ records: ['bad name'] }, 'domains[0].records[0]', /not a valid record name/],
    [{ records: [] }, 'domains[0].records', /is required/],
    [{ records: undefined }, 'domains[0].records', /is required/],
    [{ zone: 'not a zone' }, 'domains[0].zone', /not a valid domain name/],
    [{ zone: undefined }, 'domains[0].zone', /is required/],
    [{ server: undefined }, 'domains[0].server', /is required/],
    [{ server: '192.0.2.53:0' }, 'domains[0].server', /port must be a number from 1 to 65535/],
    [{ server: '192.0.2.53:dns' }, 'domains[0].server', /port must be/],
    [{ server: '2001:db8::53:x' }, 'domains[0].server', /\[2001:db8::53\]:53/],
    [{ server: '[ns1.example.com]:53' }, 'domains[0].server', /brackets are only for IPv6/],
    [{ server: 'bad host!' }, 'domains[0].server', /neither an IP address nor a host name/],
    [{ key_name: undefined }, 'domains[0].key_name', /is required/],
    [{ key_name: 'bad key' }, 'domains[0].key_name', /not a valid key name/],
    [{ key_algorithm: 'hmac-md5' }, 'domains[0].key_algorithm', /must be one of hmac-sha1, hmac-sha256, hmac-sha512/],
    [{ key_secret: undefined }, 'domains[0].key_secret', /is required/],
    [{ tcp: 'yes' }, 'domains[0].tcp', /expected true or false/],
    [{ token: 'x' }, 'domains[0].token', /unknown key/],
  ])('%j → ConfigError at %s', (patch, path, message) => {
    const err = configError({ ...base, ...patch })
    expect(err.path).toBe(path)
    expect(err.message).toMatch(message)
  })

  it.each([
    ['not base64 at all!'],
    ['NcUOuXDRfwH68VOT+DePQY1gp1sgDeGWMwtwQAxRPMQ'], // padding missing
    ['NcUOuXDRfwH68VOT+DePQY1gp1sgDeGWMwtwQAxRPMR='], // non-canonical last character
  ])('key_secret %j that is not base64 → ConfigError that does not print it', (secret) => {
    const err = configError({ ...base, key_secret: secret })
    expect(err.path).toBe('domains[0].key_secret')
    expect(err.message).toMatch(/not valid base64/)
    expect(err.message).not.toContain(secret)
  })

  it('declares the keys, capabilities and TTL bounds the README documents', () => {
    expect(rfc2136.name).toBe('rfc2136')
    expect(rfc2136.capabilities).toEqual({ read: 'dns', ipv6: true, dualStackOneRequest: true })
    expect(rfc2136.ttl).toEqual({ min: 1, max: 2147483647 })
    expect(rfc2136.keys.map((k) => k.key)).toEqual(['server', 'zone', 'records', 'key_name', 'key_algorithm', 'key_secret', 'tcp'])
    expect(rfc2136.keys.filter((k) => k.secret).map((k) => k.key)).toEqual(['key_secret'])
  })
})
