import { ConfigError } from '../../errors.js'
import { validName } from '../../dns/names.js'

export { parseServer, validName, type ServerAddress } from '../../dns/names.js'

/**
 * Names and the server address of an `rfc2136` entry.
 *
 * Record names follow the rule of the core issue for new providers: a name ending in the zone, or
 * with a trailing dot, is a full name; anything else is relative to the zone (`home`, `home.lab`);
 * `@` and `""` are the apex. A full name outside the zone is a config error: the server would answer
 * NOTZONE (RFC 2136 section 3.4.1.3), and the file alone shows it.
 */

/**
 * The zone as edge-ddns keeps it: lower case, no trailing dot.
 * @throws ConfigError at `path` when it is not a domain name.
 */
export function normalizeZone(raw: string, path: string): string {
  const z = raw.trim().replace(/\.$/, '').toLowerCase()
  if (!validName(z, false)) throw new ConfigError(path, 'is not a valid domain name (letters, digits, "-", "_" and "." only)')
  return z
}

/**
 * The fully qualified name (lower case, no trailing dot) of a record of `zone`.
 * @throws ConfigError at `path` when the name is malformed or, written as a full name, lies outside the zone.
 */
export function recordFqdn(raw: string, zone: string, path: string): string {
  let name = raw.trim().toLowerCase()
  if (name === '' || name === '@') return zone
  const absolute = name.endsWith('.')
  if (absolute) name = name.slice(0, -1)
  const inZone = name === zone || name.endsWith(`.${zone}`)
  let fqdn: string
  if (inZone) fqdn = name
  else if (!absolute) fqdn = `${name}.${zone}`
  else throw new ConfigError(path, `"${raw.trim()}" is not inside zone ${zone} (the server would answer NOTZONE)`)
  if (!validName(fqdn, true)) throw new ConfigError(path, `"${raw.trim()}" is not a valid record name`)
  return fqdn
}
