import { describe, expect, it } from 'vitest'
import { assertAscii } from '../../../build/bundle.mjs'

describe('assertAscii (the bundle stays one-byte source for V8)', () => {
  it('accepts ASCII, including escapes that stand for other characters', () => {
    expect(() => assertAscii(Buffer.from('const a = /(\\S+)\\u2026/g'), 'x.mjs')).not.toThrow()
  })
  it('names the offset and the text around a non-ASCII character', () => {
    expect(() => assertAscii(Buffer.from('const a = /(\\S+)…/g'), 'x.mjs')).toThrow(/x\.mjs: non-ASCII byte at offset 16, in .*S\+\)…/)
  })
})
