import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { bindAvailable, generateKey, startBind } from '../helpers/bind.js'
import type { BindKey, BindServer } from '../helpers/bind.js'
import { providerFor, testCtx } from '../unit/providers/rfc2136/support.js'
import { TsigTimeError } from '../../src/dns/tsig.js'
import type { Change, Current, Outcome, Provider, RecordRef } from '../../src/providers/types.js'

/**
 * The rfc2136 provider against a real BIND 9 (Debian bind9 + bind9-utils), started per test on a
 * free loopback port with a pristine zone (see test/helpers/bind.ts). Without named the tests skip
 * with a loud warning, or fail when CI is set.
 */

const ZONE = 'example.test'
const OTHER = 'other.test'
const available = bindAvailable()

/** What the reconciler does: read, then hand every record with its desired value to write. */
async function apply(provider: Provider, wants: Array<[RecordRef, string]>, create = true): Promise<{ read: Current[]; out: Outcome[] }> {
  const ctx = testCtx()
  const read = await provider.read(
    wants.map(([r]) => r),
    ctx,
  )
  const changes: Change[] = wants.map(([ref, value], i) => ({ ref, value, current: read[i]!, create }))
  const out = await provider.write(changes, ctx)
  return { read, out }
}

const A = (fqdn: string): RecordRef => ({ fqdn, type: 'A', zone: ZONE })
const AAAA = (fqdn: string): RecordRef => ({ fqdn, type: 'AAAA', zone: ZONE })

/** The values and TTL of an RRset as the server now answers it. */
async function rrset(bind: BindServer, name: string, type: string): Promise<{ values: string[]; ttl?: number }> {
  const res = await bind.query(name, type)
  const own = res.answers.filter((a) => a.type === type && a.name.toLowerCase() === name)
  return { values: own.map((a) => String(a.data)).sort(), ...(own[0] ? { ttl: own[0].ttl } : {}) }
}

describe.skipIf(!available)('rfc2136 against BIND 9', () => {
  let keys: { good: BindKey; sha512: BindKey; sha1: BindKey; other: BindKey; stranger: BindKey; wrongSecret: BindKey }
  let bind: BindServer

  beforeAll(async () => {
    const [good, sha512, sha1, other, stranger, impostor] = await Promise.all([
      generateKey('edge-ddns-key', 'hmac-sha256'),
      generateKey('edge-ddns-sha512', 'hmac-sha512'),
      generateKey('edge-ddns-sha1', 'hmac-sha1'),
      generateKey('other-zone-key', 'hmac-sha256'),
      generateKey('unknown-key', 'hmac-sha256'),
      generateKey('edge-ddns-key', 'hmac-sha256'),
    ])
    // `impostor` has the good key's name but a different secret.
    keys = { good: good!, sha512: sha512!, sha1: sha1!, other: other!, stranger: stranger!, wrongSecret: impostor! }
  })

  beforeEach(async () => {
    bind = await startBind(
      [keys.good, keys.sha512, keys.sha1, keys.other],
      [
        {
          name: ZONE,
          records: [
            '@ 600 IN A 192.0.2.50',
            'home 600 IN A 192.0.2.1',
            'home 600 IN AAAA 2001:db8::1',
            'home IN TXT "keep me"',
            'both IN A 192.0.2.2',
            'both IN A 192.0.2.3',
            'txtonly IN TXT "only text here"',
            'alias IN CNAME home',
          ],
          grant: [keys.good.name, keys.sha512.name, keys.sha1.name],
        },
        {
          name: OTHER,
          records: ['home IN A 198.51.100.1', 'www IN A 198.51.100.3'],
          grant: [keys.other.name],
          // The policy the provider README tells users to paste: one name, A and AAAA only.
          policy: [`grant ${keys.sha512.name} name home.${OTHER}. A AAAA;`],
        },
      ],
    )
  })

  afterEach(async () => {
    await bind?.stop()
  })

  function entry(records: string[], key: BindKey = keys.good, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { server: bind.server, zone: ZONE, records, key_name: key.name, key_algorithm: key.algorithm, key_secret: key.secret, ...extra }
  }

  it.each([
    { ttl: undefined, expected: 300 },
    { ttl: 120, expected: 120 },
  ])('creates absent A and AAAA records in one UPDATE (ttl $ttl → $expected)', async ({ ttl, expected }) => {
    const { provider, net } = providerFor(entry(['new']), ttl)
    const before = await bind.serial(ZONE)
    const { read, out } = await apply(provider, [
      [A('new.example.test'), '192.0.2.20'],
      [AAAA('new.example.test'), '2001:db8::20'],
    ])
    expect(read.map((r) => r.kind)).toEqual(['absent', 'absent'])
    expect(out.map((o) => o.status)).toEqual(['created', 'created'])
    expect(await rrset(bind, 'new.example.test', 'A')).toEqual({ values: ['192.0.2.20'], ttl: expected })
    expect(await rrset(bind, 'new.example.test', 'AAAA')).toEqual({ values: ['2001:db8::20'], ttl: expected })
    expect(net.updates()).toBe(1)
    expect(await bind.serial(ZONE)).toBe(before + 1)
  })

  it.each([
    ['keeps the TTL it had without a configured ttl (BC-09)', undefined, 600],
    ['takes the configured ttl', 60, 60],
  ] as const)('updates an A record and %s; the TXT and AAAA at the name stay (BC-11)', async (_why, ttl, expected) => {
    const { provider } = providerFor(entry(['home']), ttl)
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    expect(out[0]).toMatchObject({ status: 'updated', value: '192.0.2.10', previous: ['192.0.2.1'] })
    expect(await rrset(bind, 'home.example.test', 'A')).toEqual({ values: ['192.0.2.10'], ttl: expected })
    const txt = await bind.query('home.example.test', 'TXT')
    expect(txt.answers.map((a) => (a.data as Buffer[]).map(String).join(''))).toEqual(['keep me'])
    expect((await rrset(bind, 'home.example.test', 'AAAA')).values).toEqual(['2001:db8::1'])
  })

  it('BC-12/BC-34: sends no UPDATE when the value is already published', async () => {
    const { provider, net } = providerFor(entry(['home']))
    const before = await bind.serial(ZONE)
    const { read, out } = await apply(provider, [
      [A('home.example.test'), '192.0.2.1'],
      [AAAA('home.example.test'), '2001:0db8:0:0::1'],
    ])
    expect(read[0]).toMatchObject({ kind: 'present', values: ['192.0.2.1'], via: `dns ${bind.server}` })
    expect(out.map((o) => o.status)).toEqual(['unchanged', 'unchanged'])
    expect(net.updates()).toBe(0)
    expect(net.sent.length).toBe(2) // the two reads, nothing else
    expect(await bind.serial(ZONE)).toBe(before)
  })

  it('reports an absent record as missing without create, and sends nothing', async () => {
    const { provider, net } = providerFor(entry(['new']))
    const { out } = await apply(provider, [[A('new.example.test'), '192.0.2.20']], false)
    expect(out[0]).toMatchObject({ status: 'missing', value: '192.0.2.20' })
    expect(net.updates()).toBe(0)
    expect((await bind.query('new.example.test', 'A')).rcode).toBe('NXDOMAIN')
  })

  it('changes several records (update, create, apex, two-value RRset) in exactly one UPDATE', async () => {
    const { provider, net } = providerFor(entry(['home', 'new', '@', 'both.example.test.']))
    const before = await bind.serial(ZONE)
    const { out } = await apply(provider, [
      [A('home.example.test'), '192.0.2.10'],
      [AAAA('home.example.test'), '2001:db8::10'],
      [A('new.example.test'), '192.0.2.20'],
      [A('example.test'), '192.0.2.51'],
      [A('both.example.test'), '192.0.2.4'],
    ])
    expect(out.map((o) => o.status)).toEqual(['updated', 'updated', 'created', 'updated', 'updated'])
    expect(out[4]!.previous?.sort()).toEqual(['192.0.2.2', '192.0.2.3'])
    expect(net.updates()).toBe(1)
    expect(await bind.serial(ZONE)).toBe(before + 1)
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.10'])
    expect((await rrset(bind, 'home.example.test', 'AAAA')).values).toEqual(['2001:db8::10'])
    expect((await rrset(bind, 'new.example.test', 'A')).values).toEqual(['192.0.2.20'])
    expect((await rrset(bind, 'example.test', 'A')).values).toEqual(['192.0.2.51'])
    expect((await rrset(bind, 'both.example.test', 'A')).values).toEqual(['192.0.2.4'])
    // The apex SOA and NS are untouched (only the serial moved).
    expect((await rrset(bind, 'example.test', 'NS')).values).toEqual(['ns.example.test'])
  })

  it('wrong key secret: BADSIG reported as an auth error, the secret not printed, the zone unchanged', async () => {
    const { provider, net } = providerFor(entry(['home'], keys.wrongSecret))
    const before = await bind.serial(ZONE)
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    const err = out[0]!.error!
    expect(out[0]!.status).toBe('failed')
    expect(err).toMatchObject({ kind: 'auth', code: 'BADSIG', retryable: false })
    expect(err.message).toMatch(/NOTAUTH, TSIG error BADSIG/)
    expect(err.hint).toMatch(/key_secret/)
    expect(`${err.message} ${err.hint}`).not.toContain(keys.wrongSecret.secret)
    expect(net.updates()).toBe(1)
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.1'])
    expect(await bind.serial(ZONE)).toBe(before)
  })

  it('unknown key name: BADKEY reported as an auth error, the zone unchanged', async () => {
    const { provider } = providerFor(entry(['home'], keys.stranger))
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    expect(out[0]!.error).toMatchObject({ kind: 'auth', code: 'BADKEY' })
    expect(out[0]!.error!.message).toMatch(/does not know TSIG key "unknown-key".*BADKEY/)
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.1'])
  })

  it('a key allowed only for another zone: REFUSED reported, the zone unchanged', async () => {
    const { provider } = providerFor(entry(['home'], keys.other))
    const before = await bind.serial(ZONE)
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    expect(out[0]!.error).toMatchObject({ kind: 'forbidden', code: 'REFUSED', retryable: false })
    expect(out[0]!.error!.message).toMatch(/refused the change \(REFUSED\): key "other-zone-key"/)
    expect(out[0]!.error!.hint).toContain('update-policy { grant other-zone-key name home.example.test. A AAAA; };')
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.1'])
    expect(await bind.serial(ZONE)).toBe(before)
    // The same key does work for its own zone.
    const mine = providerFor({ ...entry(['home'], keys.other), zone: OTHER })
    const res = await apply(mine.provider, [[{ fqdn: 'home.other.test', type: 'A', zone: OTHER }, '198.51.100.2']])
    expect(res.out[0]!.status).toBe('updated')
  })

  it('the README\'s update-policy (one name, A and AAAA) lets the key change that name and no other', async () => {
    const { provider } = providerFor({ ...entry(['home', 'www'], keys.sha512), zone: OTHER })
    const home: RecordRef = { fqdn: 'home.other.test', type: 'A', zone: OTHER }
    const www: RecordRef = { fqdn: 'www.other.test', type: 'A', zone: OTHER }
    expect((await apply(provider, [[home, '198.51.100.2']])).out[0]!.status).toBe('updated')
    expect((await apply(provider, [[www, '198.51.100.4']])).out[0]!.error).toMatchObject({ code: 'REFUSED' })
    expect((await rrset(bind, 'home.other.test', 'A')).values).toEqual(['198.51.100.2'])
    expect((await rrset(bind, 'www.other.test', 'A')).values).toEqual(['198.51.100.3'])
  })

  it('a record changed by someone else after the read is not overwritten (prerequisite fails: NXRRSET)', async () => {
    const ours = providerFor(entry(['home']))
    const ctx = testCtx()
    const [current] = await ours.provider.read([A('home.example.test')], ctx)
    // Someone else sets the record between our read and our write.
    const theirs = providerFor(entry(['home']))
    expect((await apply(theirs.provider, [[A('home.example.test'), '192.0.2.99']])).out[0]!.status).toBe('updated')
    const out = await ours.provider.write([{ ref: A('home.example.test'), value: '192.0.2.10', current: current!, create: false }], ctx)
    expect(out[0]!.error).toMatchObject({ kind: 'transient', code: 'NXRRSET', retryable: true })
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.99'])
  })

  it('a record created by someone else after the read is not overwritten (prerequisite fails: YXRRSET)', async () => {
    const ours = providerFor(entry(['new']))
    const ctx = testCtx()
    const [current] = await ours.provider.read([A('new.example.test')], ctx)
    expect(current!.kind).toBe('absent')
    const theirs = providerFor(entry(['new']))
    expect((await apply(theirs.provider, [[A('new.example.test'), '192.0.2.99']])).out[0]!.status).toBe('created')
    const out = await ours.provider.write([{ ref: A('new.example.test'), value: '192.0.2.20', current: current!, create: true }], ctx)
    expect(out[0]!.error).toMatchObject({ kind: 'transient', code: 'YXRRSET' })
    expect((await rrset(bind, 'new.example.test', 'A')).values).toEqual(['192.0.2.99'])
  })

  it.each([
    ['an hour behind', -3600, 'behind'],
    ['ten minutes ahead', 600, 'ahead of'],
  ] as const)('BC-30: with this host\'s clock %s, BIND answers BADTIME and the error says by how much', async (_what, offsetSec, dir) => {
    const { provider, net } = providerFor(entry(['home']))
    const ctx = testCtx(() => Date.now() + offsetSec * 1000)
    const out = await provider.write([{ ref: A('home.example.test'), value: '192.0.2.10', current: { kind: 'present', values: ['192.0.2.1'] }, create: false }], ctx)
    const err = out[0]!.error as TsigTimeError
    expect(err).toBeInstanceOf(TsigTimeError)
    expect(err).toMatchObject({ kind: 'clock', code: 'BADTIME' })
    // BIND puts its own time in Other Data; allow a few seconds for the round trip.
    expect(Math.abs(err.skewSec! + offsetSec)).toBeLessThanOrEqual(3)
    expect(Math.abs(err.serverTime! - Date.now() / 1000)).toBeLessThanOrEqual(3)
    expect(err.message).toMatch(new RegExp(`the clock of this host is \\d+ s ${dir} 127\\.0\\.0\\.1:${bind.port}`))
    expect(err.message).not.toMatch(/did not verify/) // BIND signs its BADTIME answer
    expect(net.updates()).toBe(1)
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.1'])
  })

  it.each(['good', 'sha512', 'sha1'] as const)('BIND accepts UPDATEs signed with the %s key and its signed answer verifies', async (k) => {
    const { provider } = providerFor(entry(['home'], keys[k]))
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    expect(out[0]).toMatchObject({ status: 'updated' })
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.10'])
  })

  it('tcp = true reads and updates over TCP', async () => {
    const { provider, net } = providerFor(entry(['home'], keys.good, { tcp: true }))
    const { out } = await apply(provider, [[A('home.example.test'), '192.0.2.10']])
    expect(out[0]!.status).toBe('updated')
    expect(net.sent.length).toBe(2)
    expect(net.sent.every((s) => s.opts.tcp === true)).toBe(true)
    expect((await rrset(bind, 'home.example.test', 'A')).values).toEqual(['192.0.2.10'])
  })

  it('read: NODATA (only a TXT) and NXDOMAIN are absent; a CNAME at the name is a conflict, never written (BC-11)', async () => {
    const { provider, net } = providerFor(entry(['txtonly', 'nothing', 'alias']))
    const ctx = testCtx()
    const read = await provider.read([A('txtonly.example.test'), A('nothing.example.test'), A('alias.example.test')], ctx)
    expect(read.map((r) => r.kind)).toEqual(['absent', 'absent', 'failed'])
    const failed = read[2] as Extract<Current, { kind: 'failed' }>
    expect(failed.error).toMatchObject({ kind: 'conflict', code: 'CNAME' })
    expect(failed.error.message).toMatch(/alias\.example\.test A .*is a CNAME/)
    const out = await provider.write([{ ref: A('alias.example.test'), value: '192.0.2.5', current: read[2]!, create: true }], ctx)
    expect(out[0]!.status).toBe('failed')
    expect(net.updates()).toBe(0)
  })

  it('a zone the server does not serve: the read fails (REFUSED), an UPDATE gets NOTAUTH', async () => {
    const { provider } = providerFor({ ...entry(['home']), zone: 'elsewhere.test' })
    const ctx = testCtx()
    const ref: RecordRef = { fqdn: 'home.elsewhere.test', type: 'A', zone: 'elsewhere.test' }
    const [cur] = await provider.read([ref], ctx)
    expect(cur).toMatchObject({ kind: 'failed', error: { kind: 'forbidden', code: 'REFUSED' } })
    const out = await provider.write([{ ref, value: '192.0.2.10', current: { kind: 'absent' }, create: true }], ctx)
    expect(out[0]!.error).toMatchObject({ kind: 'notfound', code: 'NOTAUTH' })
    expect(out[0]!.error!.message).toMatch(/not authoritative for zone elsewhere\.test/)
  })
})
