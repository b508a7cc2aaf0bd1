import { describe, expect, it } from 'vitest'
import { parseCliArgs } from '../../../src/cli/args.js'
import { UsageError } from '../../../src/errors.js'

describe('parseCliArgs', () => {
  it('defaults to run', () => {
    expect(parseCliArgs([]).command).toBe('run')
  })
  it.each([
    [['plan', '-c', '/x.toml'], { command: 'plan', config: '/x.toml' }],
    [['detect', '--json'], { command: 'detect', json: true }],
    [['check', '--config=/y.toml', '-e', '/e.env'], { command: 'check', config: '/y.toml', envFile: '/e.env' }],
    [['-l', 'DEBUG'], { command: 'run', logLevel: 'debug' }],
    [['--mqtt-required'], { mqttRequired: true }],
  ])('%j', (argv, expected) => {
    expect(parseCliArgs(argv)).toMatchObject(expected)
  })
  it.each([[['frobnicate']], [['run', 'plan']], [['--nope']], [['-l', 'loud']], [['-c']]])('rejects %j with a usage error', (argv) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError)
  })
})
