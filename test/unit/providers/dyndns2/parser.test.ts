import { describe, expect, it } from 'vitest'
import { recordedOther } from '../../../../src/providers/push/outcome.js'
import { classifyLine, parseResponse, PROVIDER_FAILURE_HOLD_SEC, type Verdict } from '../../../../src/providers/dyndns2/protocol.js'
import { presetByName } from '../../../../src/providers/dyndns2/presets.js'
import { fixture } from '../../../helpers/dyndns-server.js'

const SENT = { v4: '192.0.2.10' }
const WHERE = 'dyndns2: members.example.net'

function fails(v: Verdict): Extract<Verdict, { ok: false }> {
  if (v.ok) throw new Error(`expected a failure, got ${JSON.stringify(v)}`)
  return v
}

describe('dyndns2 response parser: one line', () => {
  // Every documented code → its meaning (help.dyn.com/return-codes, noip.com/integrate/response).
  it.each([
    ['good', 'good 192.0.2.10', true],
    ['good-plain', 'good', true],
    ['nochg', 'nochg 192.0.2.10', false],
    ['nochg-plain', 'nochg', false],
  ])('BC-03: %s is a success (changed: %s)', (name, body, changed) => {
    expect(fixture('dyndns2', name).body.trim()).toBe(body)
    const v = classifyLine(fixture('dyndns2', name).body, SENT, WHERE)
    expect(v).toMatchObject({ ok: true, changed })
  })

  it.each([
    ['badauth', 'auth', 'badauth', false],
    ['badagent', 'forbidden', 'badagent', false],
    ['donator', 'forbidden', '!donator', false],
    ['nohost', 'notfound', 'nohost', false],
    ['notfqdn', 'invalid', 'notfqdn', false],
    ['numhost', 'invalid', 'numhost', false],
    ['abuse', 'forbidden', 'abuse', false],
  ])('BC-02: %s is permanent for the host (kind %s, retryable false)', (name, kind, code) => {
    const v = fails(classifyLine(fixture('dyndns2', name).body, SENT, WHERE))
    expect(v.error.kind).toBe(kind)
    expect(v.error.code).toBe(code)
    expect(v.error.retryable).toBe(false)
    expect(v.error.message).toContain(`${WHERE} answered ${code}`)
  })

  it('BC-02: !yours is permanent (SPDyn)', () => {
    const v = fails(classifyLine(fixture('dyndns2', 'spdyn-notyours').body, SENT, WHERE))
    expect(v.error).toMatchObject({ kind: 'forbidden', code: '!yours', retryable: false })
  })

  it.each(['911', 'dnserr'])('BC-02: %s is the provider failing: retryable, not before 30 minutes', (name) => {
    const v = fails(classifyLine(fixture('dyndns2', name).body, SENT, WHERE))
    expect(v.error.kind).toBe('provider')
    expect(v.error.retryable).toBe(true)
    expect(v.error.retryAfterSec).toBeGreaterThanOrEqual(1800)
    expect(v.account).toBe(true)
  })

  it.each([
    ['unknown', 'Sorry, error'],
    ['html-200', '<!DOCTYPE html>'],
  ])('BC-02: an unknown answer (%s) is a failure, never a success', (name, start) => {
    const body = fixture('dyndns2', name).body
    expect(body.startsWith(start)).toBe(true)
    const v = fails(classifyLine(body, SENT, WHERE))
    expect(v.error.kind).toBe('protocol')
    expect(v.error.retryAfterSec).toBe(PROVIDER_FAILURE_HOLD_SEC)
  })

  it('an empty answer is a failure', () => {
    expect(fails(classifyLine('', SENT, WHERE)).error.message).toContain('an empty answer')
  })

  it('codes are compared ignoring case, and trailing CR/LF is ignored (BC-03)', () => {
    expect(classifyLine('GOOD 192.0.2.10\r\n', SENT, WHERE)).toMatchObject({ ok: true, changed: true, echoed: ['192.0.2.10'] })
    expect(fails(classifyLine('BadAuth', SENT, WHERE)).error.kind).toBe('auth')
  })

  it('BC-03: "good 127.0.0.1" when another address was sent is a badagent failure', () => {
    const v = fails(classifyLine(fixture('dyndns2', 'good-127').body, SENT, WHERE))
    expect(v.error).toMatchObject({ kind: 'forbidden', code: 'badagent', retryable: false })
    expect(v.error.message).toContain('good 127.0.0.1')
  })

  it('"good 127.0.0.1" is fine when 127.0.0.1 was sent', () => {
    expect(classifyLine('good 127.0.0.1', { v4: '127.0.0.1' }, WHERE)).toMatchObject({ ok: true, changed: true })
  })

  it('BC-03: the echoed address is kept; another address than the one sent is named', () => {
    const v = classifyLine(fixture('dyndns2', 'good-other').body, SENT, WHERE)
    expect(v).toMatchObject({ ok: true, echoed: ['198.51.100.7'] })
    expect(recordedOther(['198.51.100.7'], 4, '192.0.2.10')).toEqual('the service recorded 198.51.100.7, not 192.0.2.10')
    expect(recordedOther(['192.0.2.10'], 4, '192.0.2.10')).toBeUndefined()
  })

  it('No-IP\'s dual-stack echo "v4,v6" gives both addresses; IPv6 compared in canonical form', () => {
    const v = classifyLine(fixture('noip', 'good-dual').body, { v4: '192.0.2.10', v6: '2001:db8::10' }, WHERE)
    expect(v).toMatchObject({ ok: true, echoed: ['192.0.2.10', '2001:db8::10'] })
    expect(recordedOther(['192.0.2.10', '2001:DB8:0::10'], 6, '2001:db8::10')).toBeUndefined()
    expect(recordedOther(['192.0.2.10'], 6, '2001:db8::10')).toBeUndefined()
  })

  it('a preset\'s own words come first; a group "ip" is the echo', () => {
    const freedns = presetByName('freedns')?.extraCodes ?? []
    expect(classifyLine(fixture('dyndns2', 'freedns-updated').body, SENT, WHERE, freedns)).toMatchObject({ ok: true, changed: true, echoed: ['192.0.2.10'] })
    expect(classifyLine(fixture('dyndns2', 'freedns-nochg').body, SENT, WHERE, freedns)).toMatchObject({ ok: true, changed: false })
    expect(fails(classifyLine(fixture('dyndns2', 'freedns-badauth').body, SENT, WHERE, freedns)).error.kind).toBe('auth')
    const easydns = presetByName('easydns')?.extraCodes ?? []
    expect(classifyLine('NOERROR', SENT, WHERE, easydns)).toMatchObject({ ok: true, changed: true })
    const toosoon = fails(classifyLine('TOOSOON', SENT, WHERE, easydns))
    expect(toosoon.error).toMatchObject({ kind: 'ratelimit', retryAfterSec: 600, retryable: true })
    // Without the preset, the same word is an unknown answer.
    expect(classifyLine('NOERROR', SENT, WHERE).ok).toBe(false)
  })
})

describe('dyndns2 response parser: several hosts (BC-02)', () => {
  it('reads one code per line in request order', () => {
    const vs = parseResponse(fixture('dyndns2', 'multi').body, 3, SENT, WHERE)
    expect(vs.map((v) => (v.ok ? (v.changed ? 'good' : 'nochg') : v.code))).toEqual(['good', 'nochg', 'nohost'])
  })

  it('an account-wide code given once answers every host', () => {
    const vs = parseResponse('badauth\n', 3, SENT, WHERE)
    expect(vs).toHaveLength(3)
    expect(vs.every((v) => !v.ok && v.error.kind === 'auth' && v.account)).toBe(true)
  })

  it('one success line for several hosts applies to all, with a warning', () => {
    const vs = parseResponse('good 192.0.2.10', 2, SENT, WHERE)
    expect(vs.every((v) => v.ok && v.warnings.includes('one answer line for 2 hosts'))).toBe(true)
  })

  it('a host without a line is a failure, never a success', () => {
    const vs = parseResponse('good 192.0.2.10\nnochg 192.0.2.10', 3, SENT, WHERE)
    expect(vs[2]).toMatchObject({ ok: false, code: 'missing' })
    expect(vs[0]?.ok).toBe(true)
  })

  it('one host reads only the first line (verbose services add lines after the code)', () => {
    expect(parseResponse('nochg 192.0.2.10\nsome more text', 1, SENT, WHERE)).toMatchObject([{ ok: true, changed: false }])
  })

  it('blank lines between codes are skipped', () => {
    const vs = parseResponse('good 192.0.2.10\r\n\r\nnohost\r\n', 2, SENT, WHERE)
    expect(vs.map((v) => v.ok)).toEqual([true, false])
  })
})
