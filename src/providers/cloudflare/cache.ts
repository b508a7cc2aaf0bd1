import { sha256Hex } from '../../sha256.js'
import type { Ctx } from '../../context.js'
import { EdgeError } from '../../errors.js'
import type { CloudflareApi, CloudflareAuth, CfRecord, CfZone } from './api.js'
import { nameKey } from './names.js'

/**
 * What one run learns from Cloudflare, shared by every entry of the same account.
 *
 * A run is one Ctx object: the reconciler hands every provider of a run the same Ctx and makes a
 * new one per run, so nothing here outlives a run (a daemon cycle reads fresh data). Per account
 * the zones listing is paged lazily and at most once (50 zones of one account cost one listing,
 * not 50 calls), and per zone the record listing is fetched once with every page followed.
 * A failed listing is remembered for the run too: every record of that zone fails with the same
 * error, and a 5xx is not retried by each entry in turn.
 */

/** The records of one zone that edge-ddns can touch or must see (A, AAAA, CNAME), by name. */
export class ZoneRecords {
  private readonly byName = new Map<string, CfRecord[]>()

  constructor(
    readonly zoneId: string,
    records: CfRecord[],
  ) {
    for (const r of records) this.add(r)
  }

  /** Keeps a record if its type matters; other types (TXT, CAA, MX, ...) are never touched (BC-11). */
  add(r: CfRecord): void {
    const type = r.type.toUpperCase()
    if (type !== 'A' && type !== 'AAAA' && type !== 'CNAME') return
    const key = nameKey(r.name)
    const list = this.byName.get(key) ?? []
    list.push({ ...r, type })
    this.byName.set(key, list)
  }

  /** Records at `name` (case-insensitive) of `type`. */
  at(name: string, type: string): CfRecord[] {
    return (this.byName.get(nameKey(name)) ?? []).filter((r) => r.type === type)
  }

  /** Records the new content of a record written in this run, so a later reader sees it. */
  setContent(id: string, content: string): void {
    for (const list of this.byName.values()) {
      for (const r of list) if (r.id === id) r.content = content
    }
  }
}

/** The zones one account can see, paged lazily: a page is asked only when a wanted zone is not yet known. */
class ZoneDirectory {
  private readonly known = new Map<string, CfZone[]>()
  private nextPage = 1
  private done = false
  private failure: unknown
  private pending: Promise<void> | undefined
  private seen = 0

  constructor(private readonly api: CloudflareApi) {}

  /**
   * The zone named `zone`, or undefined when no page of the listing has it.
   * @throws the listing's EdgeError (remembered for the run).
   */
  async find(ctx: Ctx, zone: string): Promise<CfZone | undefined> {
    const key = nameKey(zone)
    for (;;) {
      const hit = this.known.get(key)
      if (hit) return hit.find((z) => z.status === 'active') ?? hit[0]
      if (this.failure !== undefined) throw this.failure
      if (this.done) return undefined
      this.pending ??= this.fetchNext(ctx).finally(() => {
        this.pending = undefined
      })
      await this.pending
    }
  }

  /** How many zones the listing has shown so far (for the "not found" message). */
  get count(): number {
    return this.seen
  }

  private async fetchNext(ctx: Ctx): Promise<void> {
    try {
      const page = this.nextPage
      const { zones, totalPages, short } = await this.api.zonesPage(ctx, page)
      for (const z of zones) {
        const k = nameKey(z.name)
        this.known.set(k, [...(this.known.get(k) ?? []), z])
      }
      this.seen += zones.length
      this.nextPage = page + 1
      if ((totalPages !== undefined ? page >= totalPages : short) || zones.length === 0) this.done = true
    } catch (e) {
      this.failure = e
    }
  }
}

/** One account's run cache. */
export class AccountCache {
  private readonly zones: ZoneDirectory
  private readonly listings = new Map<string, Promise<ZoneRecords>>()

  constructor(private readonly api: CloudflareApi) {
    this.zones = new ZoneDirectory(api)
  }

  /**
   * The zone id of `zone`.
   * @throws EdgeError kind `notfound` when the credentials see no such zone; the listing's error otherwise.
   */
  async zoneId(ctx: Ctx, zone: string): Promise<string> {
    const z = await this.zones.find(ctx, zone)
    if (!z) {
      throw new EdgeError('notfound', `cloudflare: zone ${zone} not found (these credentials see ${this.zones.count} zone${this.zones.count === 1 ? '' : 's'})`, {
        hint: 'check `zone`, and that the token has Zone:Read permission on it',
      })
    }
    return z.id
  }

  /** The zone's records, listed once per run. */
  records(ctx: Ctx, zoneId: string): Promise<ZoneRecords> {
    let p = this.listings.get(zoneId)
    if (!p) {
      p = this.api.records(ctx, zoneId).then((rs) => new ZoneRecords(zoneId, rs))
      // Keep the rejection for later callers, but do not let an unawaited copy crash the process.
      p.catch(() => undefined)
      this.listings.set(zoneId, p)
    }
    return p
  }

  /** The listing of `zoneId` if this run already has it (for keeping it current after writes). */
  async listed(zoneId: string): Promise<ZoneRecords | undefined> {
    const p = this.listings.get(zoneId)
    return p ? p.catch(() => undefined) : undefined
  }
}

const runs = new WeakMap<Ctx, Map<string, AccountCache>>()

/** Identifies base URL plus exact credentials; hashed so the map never holds a readable secret twice. */
function cacheKey(api: CloudflareApi, auth: CloudflareAuth): string {
  const cred = auth.kind === 'token' ? `t\0${auth.token}` : `k\0${auth.email}\0${auth.key}`
  return sha256Hex(`${api.baseUrl}\0${cred}`)
}

/** The run cache of `ctx` for one account (base URL + credentials). */
export function accountCache(ctx: Ctx, api: CloudflareApi, auth: CloudflareAuth): AccountCache {
  let m = runs.get(ctx)
  if (!m) {
    m = new Map()
    runs.set(ctx, m)
  }
  const key = cacheKey(api, auth)
  let c = m.get(key)
  if (!c) {
    c = new AccountCache(api)
    m.set(key, c)
  }
  return c
}
