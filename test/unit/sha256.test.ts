import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { sha256Hex } from '../../src/sha256.js'

const reference = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

describe('sha256Hex', () => {
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1'],
  ])('FIPS 180-4 example %j', (input, digest) => {
    expect(sha256Hex(input)).toBe(digest)
  })

  // Lengths around the padding boundaries (55/56/64 bytes) and multi-byte UTF-8 are where a
  // hand-written SHA-256 goes wrong; account keys and MQTT ids depend on every digit.
  it('matches node:crypto for every length 0..300 and for non-ASCII text', () => {
    for (let n = 0; n <= 300; n++) {
      const s = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7 + n) % 90))).join('')
      expect(sha256Hex(s), `length ${n}`).toBe(reference(s))
    }
    for (const s of ['zürich.example', '例え.テスト', 'emoji 🙂 token', 'a\u0000b\u0000c', 'x'.repeat(100_000)]) {
      expect(sha256Hex(s)).toBe(reference(s))
    }
  })
})
