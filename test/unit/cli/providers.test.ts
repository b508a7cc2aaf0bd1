import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { main, type Io } from '../../../src/cli/app.js'
import { parseCliArgs } from '../../../src/cli/args.js'
import { UsageError } from '../../../src/errors.js'
import { EXIT } from '../../../src/report/exit.js'

// `edge-ddns providers TYPE`: one type's keys explained, from the registry alone (no config, no
// network), so a ddclient user can write an entry without the README at hand.

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  let out = ''
  const err: string[] = []
  const io: Io = { argv, env: {}, stdout: (t) => (out += t), stderr: (l) => err.push(l), now: () => Date.now(), fileExists: (p) => existsSync(p) }
  const code = await main(io)
  return { code, out, err }
}

describe('edge-ddns providers TYPE', () => {
  it('explains a provider type: documentation page, TTLs, each key with required and secret marks', async () => {
    const r = await cli('providers', 'cloudflare')
    expect(r.code).toBe(EXIT.OK)
    expect(r.out).toMatch(/^cloudflare: /)
    expect(r.out).toContain('API documentation: https://developers.cloudflare.com/')
    expect(r.out).toContain('ttl: 60 to 86400 seconds (1 = automatic)')
    expect(r.out).toMatch(/^ {2}zone\* +the zone name/m)
    expect(r.out).toMatch(/^ {2}token +API token.*\(secret\)$/m)
    expect(r.out).toMatch(/^ {2}base_url +API base URL/m)
  })

  it('explains a dyndns2 preset by its name, with the preset key filled in and no ttl', async () => {
    const r = await cli('providers', 'strato')
    expect(r.code).toBe(EXIT.OK)
    expect(r.out).toMatch(/^dyndns2 preset=strato: /)
    expect(r.out).toMatch(/^ {2}preset\* +"strato"$/m)
    expect(r.out).toMatch(/^ {2}password\* +.*\(secret\)$/m)
    expect(r.out).not.toMatch(/^ttl:/m)
    expect(r.out).toContain('besides type, ip_types, create:')
  })

  it('an unknown type is a usage error naming it, with nothing on stdout', async () => {
    const r = await cli('providers', 'nosuchdns')
    expect(r.code).toBe(EXIT.USAGE)
    expect(r.out).toBe('')
    expect(r.err.join('\n')).toContain("unknown provider type or dyndns2 preset 'nosuchdns'")
  })

  it.each(['__proto__', 'constructor', 'toString'])('%s is an unknown type, not a crash (found by the second adversarial review)', async (name) => {
    const r = await cli('providers', name)
    expect(r.code).toBe(EXIT.USAGE)
    expect(r.err.join('\n')).toContain(`unknown provider type or dyndns2 preset '${name}'`)
  })

  it('preset=NAME names the dyndns2 preset where a type has the same name (he)', async () => {
    expect((await cli('providers', 'he')).out).toMatch(/^he: /)
    expect((await cli('providers', 'preset=he')).out).toMatch(/^dyndns2 preset=he: /)
    expect((await cli('providers', 'dyndns2 preset=he')).out).toMatch(/^dyndns2 preset=he: /)
  })

  it('takes one type at a time; other commands take no argument', () => {
    expect(parseCliArgs(['providers', 'he'])).toMatchObject({ command: 'providers', provider: 'he' })
    expect(() => parseCliArgs(['providers', 'he', 'noip'])).toThrow(/one type at a time/)
    expect(() => parseCliArgs(['run', 'cloudflare'])).toThrow(UsageError)
  })
})
