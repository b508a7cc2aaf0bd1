import { sha256Hex } from '../sha256.js'

/**
 * Helpers every provider uses for its credentials: a stable, non-secret name for an account, and
 * the check that a credential can travel in an HTTP header.
 */

/** Short stable id of a secret, for an account key (never the secret itself): 8 hex digits of its SHA-256. */
export function fingerprint(secret: string): string {
  return sha256Hex(secret).slice(0, 8)
}

/** Visible ASCII only: a credential goes into an HTTP header, where a space or control character breaks it. */
export const HEADER_SAFE = /^[\x21-\x7e]+$/
