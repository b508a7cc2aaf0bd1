import { describe, expect, it } from 'vitest'
import { errorBodyOf, godaddyError } from '../../../../src/providers/godaddy/errors.js'
import { loadGoDaddyFixture } from '../../../helpers/godaddy-server.js'

const keep = (s: string): string => s

describe('GoDaddy error answers (a fixture in, an error out)', () => {
  it.each([
    // fixture, kind, retryable, code, retryAfterSec, hint
    ['access-denied', 'forbidden', false, 'ACCESS_DENIED', undefined, /restricts DNS API access by account type/],
    ['unable-to-authenticate', 'auth', false, 'UNABLE_TO_AUTHENTICATE', undefined, /Production key/],
    ['unknown-domain', 'notfound', false, 'UNKNOWN_DOMAIN', undefined, /domaincontrol\.com/],
    ['invalid-ttl', 'invalid', false, 'INVALID_BODY', undefined, undefined],
    ['bad-request', 'invalid', false, 'INVALID_BODY', undefined, undefined],
    ['too-many-requests', 'ratelimit', true, 'TOO_MANY_REQUESTS', 30, /60 requests per minute/],
    ['server-error', 'transient', true, 'INTERNAL_SERVER_ERROR', undefined, undefined],
    ['gateway-timeout', 'transient', true, 'GATEWAY_TIMEOUT', undefined, undefined],
  ] as const)('%s → %s', (fixture, kind, retryable, code, retryAfterSec, hint) => {
    const f = loadGoDaddyFixture(fixture)
    const e = godaddyError({ status: f.status, host: 'api.godaddy.com', body: errorBodyOf(f.body) }, keep)
    expect(e).toMatchObject({ kind, retryable, code })
    expect(e.retryAfterSec).toBe(retryAfterSec)
    if (hint) expect(e.hint).toMatch(hint)
    expect(e.message.startsWith(`godaddy: HTTP ${f.status} from api.godaddy.com: `)).toBe(true)
  })

  it('BC-23: a 403 without ACCESS_DENIED is forbidden with a different hint', () => {
    const e = godaddyError({ status: 403, host: 'api.godaddy.com', body: { code: 'FORBIDDEN', message: 'nope' } }, keep)
    expect(e).toMatchObject({ kind: 'forbidden', retryable: false })
    expect(e.hint).not.toMatch(/account type/)
  })

  it('429 takes retryAfterSec from the body first, then Retry-After, else 60 s', () => {
    expect(godaddyError({ status: 429, host: 'h', body: { retryAfterSec: 12 }, retryAfterHeaderSec: 90 }, keep).retryAfterSec).toBe(12)
    expect(godaddyError({ status: 429, host: 'h', body: {}, retryAfterHeaderSec: 90 }, keep).retryAfterSec).toBe(90)
    expect(godaddyError({ status: 429, host: 'h', body: {} }, keep).retryAfterSec).toBe(60)
  })

  it('a code alone, or no body at all, still makes a message', () => {
    expect(godaddyError({ status: 409, host: 'h', body: { code: 'CONFLICT' } }, keep)).toMatchObject({ kind: 'provider', message: 'godaddy: HTTP 409 from h: CONFLICT' })
    expect(godaddyError({ status: 418, host: 'h', body: errorBodyOf('not json') }, keep).message).toBe('godaddy: HTTP 418 from h: no error details')
  })

  it('provider text passes through the redactor', () => {
    const e = godaddyError({ status: 401, host: 'h', body: { message: 'bad key s3cr3t-FAKE', fields: [{ path: 'x', message: 's3cr3t-FAKE' }] } }, (s) => s.split('s3cr3t-FAKE').join('***'))
    expect(e.message).toBe('godaddy: HTTP 401 from h: bad key ***: x: ***')
  })
})
