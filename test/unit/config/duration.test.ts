import { describe, expect, it } from 'vitest'
import { ConfigError } from '../../../src/errors.js'
import { formatSeconds, parseDuration } from '../../../src/config/duration.js'

describe('parseDuration', () => {
  it.each([
    [30, 30],
    [0, 0],
    [1.5, 1.5],
    ['45', 45],
    ['30s', 30],
    ['5m', 300],
    ['24h', 86_400],
    ['25d', 2_160_000],
    ['1w', 604_800],
    ['1h30m', 5400],
    ['1h 30m 10s', 5410],
    [' 2M ', 120],
    ['500ms', 0.5],
    ['1m500ms', 60.5],
    ['1.5h', 5400],
  ])('%j is %d seconds', (v, sec) => {
    expect(parseDuration(v, 'timeouts.http')).toBe(sec)
  })

  it.each([['soon'], ['5 minutes'], ['m5'], ['-5s'], [''], ['1h-30m'], ['5x']])('refuses %j, naming the path', (v) => {
    expect(() => parseDuration(v, 'daemon.interval')).toThrow(ConfigError)
    expect(() => parseDuration(v, 'daemon.interval')).toThrow(/^daemon\.interval: is not a duration/)
  })

  it('accepts a bigint number of seconds', () => {
    expect(parseDuration(BigInt(90), 'a')).toBe(90)
  })

  it.each([[true], [null], [[5]], [{ s: 5 }]])('refuses a %j value by its type', (v) => {
    expect(() => parseDuration(v, 'x.y')).toThrow(/^x\.y: expected a duration/)
  })

  it('refuses negative numbers and values outside the bounds', () => {
    expect(() => parseDuration(-1, 'a')).toThrow(/^a: must be a non-negative number of seconds/)
    expect(() => parseDuration('1s', 'a', { min: 5 })).toThrow(/^a: must be at least 5s$/)
    expect(() => parseDuration('2h', 'a', { max: 3600 })).toThrow(/^a: must be at most 1h$/)
    expect(parseDuration('1h', 'a', { min: 1, max: 3600 })).toBe(3600)
  })

  it.each([
    [0, '0s'],
    [0.25, '250ms'],
    [90, '1m30s'],
    [86_400 + 3600, '1d1h'],
  ])('formatSeconds(%d) is %s', (sec, text) => {
    expect(formatSeconds(sec)).toBe(text)
  })
})
