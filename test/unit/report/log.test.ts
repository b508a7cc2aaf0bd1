import { describe, expect, it } from 'vitest'
import { memoryLogger } from '../../../src/report/log.js'
import { Redactor } from '../../../src/report/redact.js'

describe('logger and redactor', () => {
  it('BC-28: a secret never reaches a log line, raw, URL-encoded or as Basic auth', () => {
    const r = new Redactor()
    const secret = 'Ab&c#d$e%f:g+h'
    r.add(secret)
    r.addBasic('user', secret)
    const log = memoryLogger(r, 'debug')
    const basic = Buffer.from(`user:${secret}`).toString('base64')
    log.debug(`GET /nic/update?password=${encodeURIComponent(secret)} auth=Basic ${basic} raw=${secret}`)
    log.info(`form ${new URLSearchParams({ p: secret }).toString()}`)
    expect(log.lines.join('\n')).not.toContain(secret)
    expect(log.lines.join('\n')).not.toContain(encodeURIComponent(secret))
    expect(log.lines.join('\n')).not.toContain(basic)
    expect(log.lines[0]).toBe('debug: GET /nic/update?password=*** auth=Basic *** raw=***')
    expect(log.lines[1]).toBe('info: form p=***')
  })
  it('filters by level and splits multi-line messages into one line each', () => {
    const log = memoryLogger(new Redactor(), 'info')
    log.debug('hidden')
    log.warn('a\nb')
    expect(log.lines).toEqual(['warn: a', 'warn: b'])
    log.setLevel('debug')
    log.debug('shown')
    expect(log.lines.at(-1)).toBe('debug: shown')
  })
})

describe('redacted JSON output', () => {
  it('redacts strings before JSON escaping, so a secret with a backslash does not survive as \\\\', () => {
    const r = new Redactor()
    r.add('EchoKey\\42')
    const out = r.json({ error: 'HTTP 403: invalid key EchoKey\\42', ok: true })
    expect(out).not.toContain('EchoKey')
    expect(JSON.parse(out)).toEqual({ error: 'HTTP 403: invalid key ***', ok: true })
  })
  it('keeps the JSON valid when a secret equals a JSON literal or number', () => {
    const r = new Redactor()
    r.add('null')
    r.add('123456')
    const out = r.json({ ok: null, id: 123456, name: 'null-home' })
    expect(JSON.parse(out)).toEqual({ ok: null, id: 123456, name: '***-home' })
  })
  it('masks a secret echoed base64-encoded', () => {
    const r = new Redactor()
    r.add('cfT0ken_abcdefgh')
    const b64 = Buffer.from('cfT0ken_abcdefgh').toString('base64')
    expect(r.redact(`echo: ${b64}`)).toBe('echo: ***')
  })
})

describe('secrets cut by a shortened quote', () => {
  it('a secret whose start ends a shortened answer is masked (found by the adversarial review)', () => {
    const r = new Redactor()
    r.add('SuperSecretPassw0rd123')
    const body = `${'X'.repeat(108)} SuperSecretPassw0rd123 tail`
    const shown = `${body.slice(0, 120)}…`
    expect(shown).toContain('SuperSecret')
    const out = r.redact(`dyndns2: answered ${shown}`)
    expect(out).not.toContain('SuperSecr')
    expect(out.endsWith("X ***…")).toBe(true)
  })
  it('ordinary shortened text is left alone', () => {
    const r = new Redactor()
    r.add('SuperSecretPassw0rd123')
    expect(r.redact('the answer was long…')).toBe('the answer was long…')
  })
})
