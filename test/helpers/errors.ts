import { expect } from 'vitest'
import { ConfigError, EdgeError } from '../../src/errors.js'

/** The EdgeError `p` rejects with; fails the test when `p` resolves or rejects with anything else. */
export async function failureOf(p: Promise<unknown>): Promise<EdgeError> {
  const e = await p.then(
    () => {
      throw new Error('expected a failure')
    },
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(EdgeError)
  return e as EdgeError
}

/** The ConfigError `fn` throws; fails the test when it throws none or another error. */
export function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return e as ConfigError
  }
  throw new Error('expected a ConfigError')
}
