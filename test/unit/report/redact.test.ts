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

describe('Redactor.keepVisible: names published in DNS stay readable (found by the fresh-user trial)', () => {
  const make = (): Redactor => {
    const r = new Redactor()
    r.add('example')
    r.keepVisible('home.example.net')
    r.keepVisible('example.net')
    return r
  }

  it('a secret inside a record or zone name does not mask the name, and is masked elsewhere', () => {
    const r = make()
    expect(r.redact('info: home.example.net A: updated; zone example.net; password example')).toBe(
      'info: home.example.net A: updated; zone example.net; password ***',
    )
    expect(JSON.parse(r.json({ name: 'home.example.net', note: 'example' }))).toEqual({ name: 'home.example.net', note: '***' })
  })

  it('a secret that contains a visible name is still masked whole (an update URL with the host in it)', () => {
    const r = make()
    r.add('https://sync.example.org/u/T0KEN123/?h=home.example.net')
    expect(r.redact('GET https://sync.example.org/u/T0KEN123/?h=home.example.net failed for home.example.net')).toBe(
      'GET *** failed for home.example.net',
    )
  })

  it('a host name that came from the environment is a secret equal to a visible name: readable as the name', () => {
    const r = new Redactor()
    r.add('home.example.net')
    r.add('s3cret-pass')
    r.keepVisible('home.example.net')
    expect(r.redact('home.example.net A: failed: badauth for s3cret-pass')).toBe('home.example.net A: failed: badauth for ***')
  })

  it('a name added after a secret still counts (the order is rebuilt)', () => {
    const r = new Redactor()
    r.add('example')
    expect(r.redact('home.example.net')).toBe('home.***.net')
    r.keepVisible('home.example.net')
    expect(r.redact('home.example.net')).toBe('home.example.net')
  })
})
