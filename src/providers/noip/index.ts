import { dnessDef } from '../dyndns2/dness.js'

/**
 * No-IP (`type = "noip"`), dness's keys: `hostname`, `username`, `password`, plus `base_url`
 * (dness's, default https://dynupdate.no-ip.com), `user_agent` and `resolver`.
 * The dyndns2 protocol with the `noip` preset: Basic auth, a real User-Agent, `myip=v4,v6` in one
 * request (https://www.noip.com/integrate/request). See README.md here.
 */

/** The No-IP provider definition (registry entry `noip`). */
export const noip = dnessDef(
  'noip',
  'No-IP dynamic DNS (dyndns2 protocol, Basic auth)',
  [
    { key: 'hostname', required: true, doc: 'the full host name ("myhost.ddns.net"), or a list of them' },
    { key: 'username', required: true, doc: 'account e-mail or DDNS key user name' },
    { key: 'password', required: true, secret: true, doc: 'account or DDNS key password' },
  ],
  { agent: 'User-Agent; No-IP asks for "Company Program/Version contact-email"' },
)
