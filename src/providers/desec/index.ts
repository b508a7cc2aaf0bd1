import { ConfigError } from '../../errors.js'
import { optUrl, rejectUnknown, type Table } from '../../config/fields.js'
import { fingerprint, HEADER_SAFE } from '../credentials.js'
import { basicAuth, ok, send, statusError, USER_AGENT } from '../push/http.js'
import { parseHostnames, parseResolver, reqSecret, RESOLVER_KEY, type ServerAddress } from '../push/names.js'
import { both, byHost, pushProvider, pushWrite } from '../push/outcome.js'
import type { ReadbackDeps } from '../push/readback.js'
import { classifyLine } from '../dyndns2/protocol.js'
import type { ParseCtx, ParsedEntry, Provider, ProviderDef } from '../types.js'

/**
 * deSEC dynDNS (`type = "desec"`): keys `token`, `hostname` (one full name or a list, e.g.
 * `home.example.dedyn.io`), `base_url` (default https://update.dedyn.io) and `resolver`.
 *
 * One GET per host carrying both families: `?hostname=<name>&myipv4=<v4>&myipv6=<v6>`
 * (https://desec.readthedocs.io/en/latest/dyndns/update-api.html). deSEC deletes the record of a
 * family the request does not name, so a family this write does not change is sent as `preserve`
 * ("the address on record, if any, will be kept as is"). Authentication is the documented
 * preferred one: HTTP Basic with the host name as user and the token as password; the token never
 * goes into the query (deSEC logs URLs). Success is `200 good`; 401 is refused credentials, 403 a
 * name not eligible for dynDNS, 404 an unknown name, and 429 a rate limit whose `Retry-After` is
 * kept as `retryAfterSec` for the scheduler (BC-06); after a 429 nothing more is sent this run.
 */

export const DESEC_BASE_URL = 'https://update.dedyn.io'
const KEYS = ['token', 'hostname', 'base_url', 'resolver'] as const
const PRESERVE = 'preserve'

/** A validated deSEC entry. */
export interface DesecSettings {
  token: string
  hosts: string[]
  baseUrl: string
  resolver?: ServerAddress
}

function parse(t: Table, path: string, ctx: ParseCtx): ParsedEntry<DesecSettings> {
  rejectUnknown(t, KEYS, path)
  const token = reqSecret(t, 'token', path, (v) => ctx.secret(v), ctx.warn)
  if (!HEADER_SAFE.test(token)) throw new ConfigError(`${path}.token`, 'contains spaces or control characters; a deSEC token is printable ASCII')
  const hosts = parseHostnames(t, 'hostname', path, ctx.warn)
  const baseUrl = optUrl(t, 'base_url', path) ?? DESEC_BASE_URL
  const resolver = parseResolver(t, path)
  return {
    settings: { token, hosts, baseUrl, ...(resolver ? { resolver } : {}) },
    names: hosts,
    account: `desec:${new URL(baseUrl).host}:token-${fingerprint(token)}`,
  }
}

/** Builds the provider for one entry; does no I/O. */
export function createDesecProvider(s: DesecSettings, deps: { readback?: ReadbackDeps } = {}): Provider {
  return pushProvider('desec', s.resolver, deps, (changes, ctx) =>
    pushWrite(
      'desec',
      changes,
      'token',
      () => undefined,
      (ok) => [...byHost(ok)].map(([host, f]) => ({ host, ...f, changes: both(f) })),
      async ({ host, v4, v6 }) => {
        const q = new URLSearchParams([
          ['hostname', host],
          ['myipv4', v4?.value ?? PRESERVE],
          ['myipv6', v6?.value ?? PRESERVE],
        ])
        const res = await send(ctx, 'desec', {
          url: `${s.baseUrl}/?${q.toString()}`,
          headers: { authorization: basicAuth(ctx, host, s.token), 'user-agent': USER_AGENT },
        })
        if (!ok(res)) {
          const hint =
            res.status === 429
              ? 'deSEC allows few dynDNS updates per domain and minute; the next update waits for Retry-After'
              : res.status === 401
                ? 'check the token (a deSEC API token of the account that owns the name)'
                : res.status === 403
                  ? 'deSEC accepts dynDNS updates only for names eligible for it (usually under dedyn.io)'
                  : undefined
          throw statusError('desec', res, ctx.now(), hint)
        }
        const v = classifyLine(res.body.split(/\r?\n/)[0] ?? '', { v4: v4?.value, v6: v6?.value }, `desec: ${res.host}`)
        return v.ok ? { ok: true, changed: v.changed, recorded: v.echoed } : { ok: false, error: v.error }
      },
    ),
  )
}

/** The deSEC provider definition (registry entry `desec`). */
export const desec: ProviderDef<DesecSettings> = {
  name: 'desec',
  summary: 'deSEC dynDNS (v4 and v6 in one request, preserve for the other family, 429 Retry-After)',
  docs: 'https://desec.readthedocs.io/en/latest/dyndns/update-api.html',
  keys: [
    { key: 'token', required: true, secret: true, doc: 'a deSEC token of the account' },
    { key: 'hostname', required: true, doc: 'the full name to update ("home.example.dedyn.io"), or a list' },
    { key: 'base_url', required: false, doc: `update server (default ${DESEC_BASE_URL})` },
    RESOLVER_KEY,
  ],
  capabilities: { read: 'dns', ipv6: true, dualStackOneRequest: true },
  parse,
  create: (settings) => createDesecProvider(settings),
}
