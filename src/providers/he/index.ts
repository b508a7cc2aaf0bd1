import { dnessDef } from '../dyndns2/dness.js'

/**
 * Hurricane Electric Free DNS (`type = "he"`), dness's keys: `hostname` (the zone), `password`
 * (the dynamic DNS key), `records` (`@` for the zone, `sub` for sub.zone), plus `base_url`
 * (dness's, default https://dyn.dns.he.net) and `resolver`.
 * One POST per record and family, form `hostname=<full name>&password=<key>&myip=<address>`: HE
 * refuses the key as Basic auth (`badauth`) and takes one family per request (BC-26).
 * See README.md here.
 */

/** The Hurricane Electric provider definition (registry entry `he`). */
export const he = dnessDef('he', 'Hurricane Electric Free DNS (dyn.dns.he.net, key as a form parameter, one request per family)', [
  { key: 'hostname', required: true, doc: 'the zone at dns.he.net ("example.com")' },
  { key: 'password', required: true, secret: true, doc: 'the dynamic DNS key of the records (Generate a DDNS key at dns.he.net)' },
  { key: 'records', required: true, doc: 'names in the zone: "@" for the zone itself, "sub" for sub.<zone>' },
])
