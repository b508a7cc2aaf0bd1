/**
 * The little XML the providers read (Route 53's answers, Namecheap's `<interface-response>`): by
 * pattern, not by a parser, since both are small, flat and documented. Tags compare ignoring case.
 */

/** The raw inner text of every `<tag>` element of `xml` (attributes allowed, no nesting of the same tag). */
export function xmlAll(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</${tag}>)`, 'gi'))].map((m) => m[1] ?? '')
}

const ENT: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** The text of an element: a CDATA section unwrapped, the five predefined entities and decimal character references decoded, trimmed. */
export function xmlDecode(s: string): string {
  const raw = /^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/.exec(s)?.[1] ?? s
  return raw.replace(/&(#\d+|\w+);/g, (m, e: string) => (e[0] === '#' ? String.fromCodePoint(Number(e.slice(1))) : (ENT[e] ?? m))).trim()
}

/** The decoded text of the first `<tag>`, or undefined. */
export function xmlText(xml: string, tag: string): string | undefined {
  const v = xmlAll(xml, tag)[0]
  return v === undefined ? undefined : xmlDecode(v)
}

/** `&`, `<`, `>`, `"`, `'` escaped for XML text. */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
