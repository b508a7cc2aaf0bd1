import { ConfigError } from '../../../src/errors.js'
import { keyPath, optString, optStringArray, rejectUnknown, reqString, type Table } from '../../../src/config/fields.js'
import type { SectionDef } from '../../../src/config/sections.js'
import type { ParseCtx, ProviderDef } from '../../../src/providers/types.js'

/** Settings of the fake provider: what its parse saw. */
export interface FakeSettings {
  zone: string
  token: string
}

/**
 * A provider definition shaped like Cloudflare's (token, zone, FQDN records, TTL 1 or 60..86400),
 * so the config stage is tested without depending on a real provider.
 */
export const fakeProvider: ProviderDef<FakeSettings> = {
  name: 'fake',
  summary: 'a fake provider for config tests',
  docs: 'none',
  keys: [],
  capabilities: { read: 'api', ipv6: true, dualStackOneRequest: false },
  ttl: { min: 60, max: 86_400, auto: 1 },
  parse(t: Table, path: string, ctx: ParseCtx) {
    rejectUnknown(t, ['token', 'zone', 'records', 'user'], path)
    const token = reqString(t, 'token', path)
    ctx.secret(token)
    const zone = reqString(t, 'zone', path).toLowerCase()
    const records = optStringArray(t, 'records', path) ?? []
    records.forEach((name, i) => {
      const r = name.toLowerCase().replace(/\.$/, '')
      if (r !== zone && !r.endsWith(`.${zone}`)) throw new ConfigError(`${keyPath(path, 'records')}[${i}]`, `is not inside zone ${zone}`)
    })
    return { settings: { zone, token }, names: records, zone, account: `fake:${optString(t, 'user', path) ?? 'default'}` }
  },
  create() {
    throw new Error('the config stage must not create providers')
  },
}

/** A provider that takes no TTL. */
export const noTtlProvider: ProviderDef<{ host: string }> = {
  name: 'nottl',
  summary: 'a provider without TTL',
  docs: 'none',
  keys: [],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse(t, path) {
    rejectUnknown(t, ['host', 'password'], path)
    const host = reqString(t, 'host', path)
    return { settings: { host }, names: [host], account: `nottl:${host}` }
  },
  create() {
    throw new Error('not used')
  },
}

export const FAKE_PROVIDERS = { fake: fakeProvider as ProviderDef, nottl: noTtlProvider as ProviderDef }

/** A section like `[mqtt]`: `host` required, `port` optional, nothing else. */
export const fakeSection: SectionDef<{ host: string; port: number }> = {
  name: 'mqtt',
  parse(t, path, ctx) {
    rejectUnknown(t, ['host', 'port', 'password'], path)
    const pw = optString(t, 'password', path)
    if (pw) ctx.secret(pw)
    const port = t.port === undefined ? 1883 : Number(t.port)
    return { host: reqString(t, 'host', path), port }
  },
}
