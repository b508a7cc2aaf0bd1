import { isIP } from 'node:net'

/** Canonical text of an address, so `2001:DB8:0::10` and `2001:db8::10` compare equal. */
export function canonicalAddress(a: string): string {
  const s = a.trim()
  if (isIP(s) === 6) {
    try {
      return new URL(`http://[${s}]/`).hostname.slice(1, -1)
    } catch {
      return s.toLowerCase()
    }
  }
  return s
}
