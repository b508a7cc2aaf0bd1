import { describe, expect, it } from 'vitest'
import { Redactor } from '../../../src/report/redact.js'

describe('Redactor.add: what cannot be a secret is not masked', () => {
  it.each(['', 'ab', 'true', 'false', '300', '8883', '65535'])('%j is ignored', (value) => {
    const r = new Redactor()
    r.add(value)
    expect(r.size).toBe(0)
    expect(r.redact('create = true, ttl = 300, port 8883 of 65535, ab')).toBe('create = true, ttl = 300, port 8883 of 65535, ab')
  })

  it.each(['123456', 'yes', 'True', 's3cr3t', 'x'.repeat(40)])('%j is a secret', (value) => {
    const r = new Redactor()
    r.add(value)
    expect(r.redact(`a ${value} b`)).toBe('a *** b')
  })

  it('check keeps create = true when a variable with the value true fed the config', () => {
    const r = new Redactor()
    r.add('true')
    r.add('cfT0ken_abcdefghijklmnopqrstuvwxyz')
    expect(r.redact('create = true\ntoken = "cfT0ken_abcdefghijklmnopqrstuvwxyz"')).toBe('create = true\ntoken = "***"')
  })
})
