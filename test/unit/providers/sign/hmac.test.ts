import { describe, expect, it } from 'vitest'
import { canonicalQuery, rfc3986 } from '../../../../src/providers/sign/hmac.js'

describe('RFC 3986 encoding shared by SigV4 and Alibaba', () => {
  it.each([
    ['a b', 'a%20b'],
    ["!'()*", '%21%27%28%29%2A'],
    ['-_.~', '-_.~'],
    ['&#$%:+/=', '%26%23%24%25%3A%2B%2F%3D'],
    ['é', '%C3%A9'],
  ])('%s → %s', (raw, enc) => {
    expect(rfc3986(raw)).toBe(enc)
  })

  it('sorts by encoded key in code-unit order (upper case before lower case), then value', () => {
    expect(canonicalQuery({ b: '2', B: '1', a: 'x y' })).toBe('B=1&a=x%20y&b=2')
  })
})
