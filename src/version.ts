declare const __EDGE_DDNS_VERSION__: string | undefined
declare const __EDGE_DDNS_BUILD_TIME__: string | undefined

/** The version, injected by build/bundle.mjs; `0.0.0-dev` when running from source (tests). */
export const VERSION: string = typeof __EDGE_DDNS_VERSION__ === 'string' ? __EDGE_DDNS_VERSION__ : '0.0.0-dev'

/**
 * When the bundle was built, as milliseconds since the epoch. A clock earlier than this is not
 * synchronised yet (a router without RTC boots in 1970, BC-30). From source: 2026-01-01.
 */
export const BUILD_TIME_MS: number = Date.parse(
  typeof __EDGE_DDNS_BUILD_TIME__ === 'string' ? __EDGE_DDNS_BUILD_TIME__ : '2026-01-01T00:00:00Z',
)
