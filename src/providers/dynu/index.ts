import { dnessDef } from '../dyndns2/dness.js'

/**
 * Dynu (`type = "dynu"`), dness's keys: `hostname` (the Dynu domain), `username`, `password` (the
 * IP update password), `records` (`@` for the domain, `sub` for sub.domain), plus `base_url`
 * (dness's, default https://api.dynu.com), `user_agent` and `resolver`.
 * One GET per record with both families: `hostname=<domain>`, `alias=<sub>` as dness sends it,
 * `myip=<v4>` and `myipv6=<v6>`, the family not updated set to `no` (left as it is) so a v6-only
 * update never puts an IPv6 address in `myip` (BC-27). See README.md here.
 */

/** The Dynu provider definition (registry entry `dynu`). */
export const dynu = dnessDef(
  'dynu',
  'Dynu dynamic DNS (IP update protocol: myip + myipv6 in one request)',
  [
    { key: 'hostname', required: true, doc: 'the Dynu domain ("example.dynu.net")' },
    { key: 'username', required: true, doc: 'Dynu user name' },
    { key: 'password', required: true, secret: true, doc: 'IP update password (Control Panel → Manage Credentials)' },
    { key: 'records', required: true, doc: 'names below the domain: "@" for the domain itself, "sub" for sub.<domain>' },
  ],
  { agent: 'User-Agent sent with updates', alias: true },
)
