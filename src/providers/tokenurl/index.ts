import type { ProviderDef } from '../types.js'
import { tokenDef } from './engine.js'
import { SERVICES } from './services.js'

export { buildRequest, createTokenProvider, judge, parseEntry, tokenDef, type TokenSettings } from './engine.js'
export { SERVICES, type AnswerRule, type TokenService } from './services.js'

/**
 * Every token-URL service as a provider definition, by `type` (`dynv6`, `freedns`, ...): one
 * registry line (`...TOKENURL_PROVIDERS`) brings them all in. Building them does no I/O.
 */
export const TOKENURL_PROVIDERS: Readonly<Record<string, ProviderDef>> = Object.fromEntries(SERVICES.map((s) => [s.name, tokenDef(s) as ProviderDef]))
