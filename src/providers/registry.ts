import type { ProviderDef } from './types.js'
import { cloudflare } from './cloudflare/index.js'
import { godaddy } from './godaddy/index.js'
import { porkbun } from './porkbun/index.js'
import { rfc2136 } from './rfc2136/index.js'

/**
 * Every provider type, one line each. Importing a definition must not do I/O or build anything
 * heavy: the definitions are plain objects, and a provider's client is created only for a config
 * that uses it.
 */
export const providers: Readonly<Record<string, ProviderDef>> = {
  cloudflare: cloudflare as ProviderDef,
  rfc2136: rfc2136 as ProviderDef,
  godaddy: godaddy as ProviderDef,
  porkbun: porkbun as ProviderDef,
}

/**
 * dness provider types not built yet: a dness.conf naming one gets a clear config error
 * (the providers issue adds them), never a crash.
 */
export const PLANNED_DNESS_TYPES: readonly string[] = ['namecheap', 'he', 'noip', 'dynu']
