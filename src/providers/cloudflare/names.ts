import { ConfigError } from '../../errors.js'
import { validName } from '../../dns/names.js'

/**
 * Record and zone names for Cloudflare entries.
 *
 * dness gives Cloudflare full names (`home.example.com`), and so do most users; edge-ddns also
 * accepts `@` or `""` for the apex, a trailing dot, and one label relative to the zone (`home`,
 * `*`). A name with several labels that does not end in the zone is refused rather than read as
 * relative: `home.other.org` in zone `example.com` is far more likely a wrong zone than a wish for
 * `home.other.org.example.com`, and guessing would write a record nobody asked for.
 */

/**
 * The zone as edge-ddns keeps it: lower case, no trailing dot.
 * @throws ConfigError at `path` when it is not a domain name.
 */
export function normalizeZone(zone: string, path: string): string {
  const z = zone.trim().replace(/\.$/, '').toLowerCase()
  if (!validName(z, false)) throw new ConfigError(path, 'is not a valid domain name (letters, digits, "-" and "." only)')
  return z
}

/**
 * The fully qualified name (lower case, no trailing dot) of a configured record of `zone`.
 * `@` and `""` are the apex; `name.` and names ending in the zone are full names; a single label
 * (`home`, `*`) is relative to the zone.
 * @throws ConfigError at `path` when the name is malformed or lies outside the zone.
 */
export function recordFqdn(raw: string, zone: string, path: string): string {
  let name = raw.trim().toLowerCase()
  if (name === '' || name === '@') return zone
  const absolute = name.endsWith('.')
  if (absolute) name = name.slice(0, -1)
  const inZone = name === zone || name.endsWith(`.${zone}`)
  let fqdn: string
  if (inZone) fqdn = name
  else if (!absolute && !name.includes('.')) fqdn = `${name}.${zone}`
  else {
    throw new ConfigError(
      path,
      `"${raw.trim()}" is not inside zone ${zone}; write the full name ending in .${zone}, or a single label relative to the zone ("home", "@")`,
    )
  }
  if (!validName(fqdn, true)) throw new ConfigError(path, `"${raw.trim()}" is not a valid record name`)
  return fqdn
}

export { nameKey } from '../push/names.js'
