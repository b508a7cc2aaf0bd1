/**
 * SHA-256 (FIPS 180-4, section 6.2) of a string's UTF-8 bytes, as 64 lower-case hex digits.
 *
 * For the ids edge-ddns derives from names and credentials (account keys, MQTT object ids, the
 * Cloudflare zone cache key): never for a signature or a MAC, which stay on node:crypto. A oneshot
 * run on a plain-HTTP provider hashes a token and nothing else; loading node:crypto for that costs
 * about 1 MB of RSS and a few milliseconds of start-up on every run (issue 9), this costs neither.
 * The results are byte-for-byte those of `createHash('sha256')`, so existing state files and MQTT
 * ids keep their keys (test/unit/sha256.test.ts compares them).
 */
export function sha256Hex(text: string): string {
  const bytes = new TextEncoder().encode(text)
  // Padding (section 5.1.1): a 1 bit, zeros, then the bit length as a 64-bit big-endian number.
  const blocks = Math.ceil((bytes.length + 9) / 64)
  const msg = new Uint8Array(blocks * 64)
  msg.set(bytes)
  msg[bytes.length] = 0x80
  const view = new DataView(msg.buffer)
  const bits = bytes.length * 8
  view.setUint32(msg.length - 8, Math.floor(bits / 0x100000000))
  view.setUint32(msg.length - 4, bits >>> 0)

  const { H0, K } = tables()
  const h = Uint32Array.from(H0)
  const w = new Uint32Array(64)
  for (let off = 0; off < msg.length; off += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(off + t * 4)
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!
      const b = w[t - 2]!
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3)
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10)
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0
    }
    let a = h[0]!
    let b = h[1]!
    let c = h[2]!
    let d = h[3]!
    let e = h[4]!
    let f = h[5]!
    let g = h[6]!
    let hh = h[7]!
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0
      hh = g
      g = f
      f = e
      e = (d + t1) >>> 0
      d = c
      c = b
      b = a
      a = (t1 + t2) >>> 0
    }
    // Uint32Array stores each sum modulo 2^32, as the standard's additions are.
    const round = [a, b, c, d, e, f, g, hh]
    for (let i = 0; i < 8; i++) h[i] = h[i]! + round[i]!
  }
  let hex = ''
  for (const x of h) hex += x.toString(16).padStart(8, '0')
  return hex
}

const rotr = (x: number, n: number): number => (x >>> n) | (x << (32 - n))

/**
 * The first 64 primes. The constants are the first 32 bits of the fractional parts of their
 * square roots (initial hash value, section 5.3.3: the first 8) and cube roots (round constants,
 * section 4.2.2); computed here rather than written out as 72 literals, which were most of this
 * module's bytes in the bundle. A double has ~50 bits of fraction, more than the 32 kept; the
 * FIPS 180-4 examples in the tests pin every constant.
 */
let constants: { H0: number[]; K: Uint32Array } | undefined
function tables(): { H0: number[]; K: Uint32Array } {
  if (constants) return constants
  const primes: number[] = []
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p !== 0)) primes.push(n)
  const frac32 = (x: number): number => ((x - Math.floor(x)) * 0x100000000) >>> 0
  constants = { H0: primes.slice(0, 8).map((p) => frac32(Math.sqrt(p))), K: Uint32Array.from(primes, (p) => frac32(Math.cbrt(p))) }
  return constants
}
