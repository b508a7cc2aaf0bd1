import http from 'node:http'
import https from 'node:https'
import { EdgeError } from '../errors.js'

/**
 * The one HTTP client of edge-ddns, on `node:http`/`node:https`.
 *
 * Why not the global `fetch`: under the systemd sandbox node runs with `--jitless`, and Node 20's
 * fetch (undici) then throws "WebAssembly is not defined". `node:https` also lets a request pin its
 * address family (IPv4 detection must leave over IPv4), time out as a whole, and cap the body.
 *
 * TLS trusts what Node trusts (its CA bundle plus `NODE_EXTRA_CA_CERTS`); verification is never
 * turned off. Host names resolve through the system resolver. Redirects are not followed: a
 * provider that redirects has moved, and the error says where to.
 */

/** One request. */
export interface HttpRequest {
  /** Defaults to GET. */
  method?: string
  url: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** Pin the connection to IPv4 (4) or IPv6 (6); default: whatever the resolver returns. */
  family?: 4 | 6
  /** Whole-request limit in milliseconds: connect, send and the full body. */
  timeoutMs?: number
  /** Largest body accepted, in bytes; a larger one fails the request. */
  maxBytes?: number
  signal?: AbortSignal
}

/** A complete response. Non-2xx statuses are returned, not thrown: providers give them meaning. */
export interface HttpResponse {
  status: number
  headers: http.IncomingHttpHeaders
  /** The body decoded as UTF-8. */
  body: string
  /** Lower-cased media type without parameters, e.g. `application/json`; '' when absent. */
  contentType: string
  /** Host (and port when not default) the request went to, for error messages. */
  host: string
}

/** Anything that can send an HttpRequest: the real client, or a recorder in tests. */
export interface HttpClient {
  /**
   * Sends the request and reads the whole body.
   * @throws EdgeError kind `transient` on timeout, connection failure or abort;
   *   kind `protocol` when the body exceeds `maxBytes` or the URL is not http(s).
   */
  request(req: HttpRequest): Promise<HttpResponse>
}

/** Defaults applied to every request of a client. */
export interface HttpDefaults {
  /** Milliseconds; the issue's default is 10 s. */
  timeoutMs: number
  /** Bytes; 1 MiB is plenty for any DDNS answer or a page of a record listing. */
  maxBytes: number
  userAgent: string
}

export const DEFAULT_HTTP: HttpDefaults = { timeoutMs: 10_000, maxBytes: 1 << 20, userAgent: 'edge-ddns' }

/** Creates the real client. */
export function createHttpClient(defaults: Partial<HttpDefaults> = {}): HttpClient {
  const d = { ...DEFAULT_HTTP, ...defaults }
  return { request: (req) => send(req, d) }
}

function hostOf(u: URL): string {
  return u.host
}

function send(req: HttpRequest, d: HttpDefaults): Promise<HttpResponse> {
  let url: URL
  try {
    url = new URL(req.url)
  } catch {
    return Promise.reject(new EdgeError('protocol', `not a valid URL: ${req.url}`, { retryable: false }))
  }
  const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null
  if (!lib) {
    return Promise.reject(new EdgeError('protocol', `unsupported URL scheme ${url.protocol} in ${url.origin}`, { retryable: false }))
  }
  const method = (req.method ?? 'GET').toUpperCase()
  const timeoutMs = req.timeoutMs ?? d.timeoutMs
  const maxBytes = req.maxBytes ?? d.maxBytes
  const host = hostOf(url)
  const what = `${method} ${host}`
  const headers: Record<string, string> = {
    'user-agent': d.userAgent,
    accept: '*/*',
    'accept-encoding': 'identity',
    ...lowerKeys(req.headers ?? {}),
  }
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8')
  if (body) headers['content-length'] = String(body.length)

  return new Promise<HttpResponse>((resolve, reject) => {
    let done = false
    const finish = (err: EdgeError | null, res?: HttpResponse): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      req.signal?.removeEventListener('abort', onAbort)
      if (err) {
        r.destroy()
        reject(err)
      } else resolve(res as HttpResponse)
    }
    const r = lib.request(
      url,
      {
        method,
        headers,
        ...(req.family ? { family: req.family } : {}),
        // A fresh connection per request: a router agent makes a handful of calls a cycle, and a
        // kept-alive socket would hold the process open after the run.
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (c: Buffer) => {
          size += c.length
          if (size > maxBytes) {
            finish(new EdgeError('protocol', `${what}: response body larger than ${maxBytes} bytes`, { retryable: true }))
            return
          }
          chunks.push(c)
        })
        res.on('error', (e) => finish(netError(what, e)))
        res.on('end', () => {
          const ct = String(res.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
          finish(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: ct,
            host,
          })
        })
      },
    )
    const timer = setTimeout(() => {
      finish(new EdgeError('transient', `${what}: timed out after ${fmtSeconds(timeoutMs)}`))
    }, timeoutMs)
    const onAbort = (): void => finish(new EdgeError('transient', `${what}: aborted (run deadline reached)`))
    r.on('error', (e) => finish(netError(what, e)))
    if (req.signal?.aborted) {
      onAbort()
      return
    }
    req.signal?.addEventListener('abort', onAbort, { once: true })
    r.end(body)
  })
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v
  return out
}

function fmtSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

function netError(what: string, e: Error & { code?: string }): EdgeError {
  const code = e.code ?? ''
  const tls = /CERT|SSL|TLS|UNABLE_TO|SELF_SIGNED/.test(code)
  const msg = tls
    ? `${what}: TLS certificate not accepted (${code}); is the clock right?`
    : `${what}: ${code ? `${code} ` : ''}${e.message.replace(code, '').replace(/\s+/g, ' ').trim()}`.trim()
  return new EdgeError('transient', msg, { code: code || undefined, cause: e })
}

/**
 * Parses a JSON response body.
 * @throws EdgeError kind `protocol` naming the content type and host when the body is not JSON
 *   (a provider that moved answers HTML: "unexpected text/html from porkbun.com", BC-25).
 */
export function parseJson(res: HttpResponse): unknown {
  const isJson = res.contentType === '' || res.contentType.includes('json')
  if (isJson) {
    try {
      return JSON.parse(res.body)
    } catch {
      /* falls through to the error below */
    }
  }
  const what = res.contentType || 'non-JSON content'
  throw new EdgeError('protocol', `unexpected ${what} from ${res.host} (HTTP ${res.status})`, {
    retryable: res.status >= 500,
    code: res.status,
  })
}

/** Shortens a response body for an error message: first line, at most 200 characters. */
export function snippet(body: string): string {
  const line = body.trim().split(/\r?\n/)[0] ?? ''
  return line.length > 200 ? `${line.slice(0, 200)}…` : line
}

/**
 * Seconds to wait from a `Retry-After` header (delta-seconds or HTTP-date, RFC 9110 section
 * 10.2.3); undefined when absent or unreadable. A negative or garbled value counts as absent.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value
  if (v === undefined || v.trim() === '') return undefined
  const s = v.trim()
  if (/^\d+$/.test(s)) return Number(s)
  // Date.parse accepts "-5" as a year; only an HTTP-date (it names a weekday or month) counts.
  if (!/[A-Za-z]/.test(s)) return undefined
  const t = Date.parse(s)
  if (Number.isNaN(t)) return undefined
  return Math.max(0, Math.ceil((t - nowMs) / 1000))
}
