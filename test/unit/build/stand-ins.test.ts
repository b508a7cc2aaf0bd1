import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { ROOT } from '../../helpers/bundle.js'

// The stand-ins of build/stubs/ against the packages they replace in the bundle: each is run
// side by side with the real package (still in node_modules for the tests) on the same inputs,
// and a probe goes through the real build so mqtt's own modules use them.

const require = createRequire(import.meta.url)
const stub = (name: string): unknown => require(join(ROOT, 'build', 'stubs', name))

/** A small deterministic PRNG, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface Lru {
  get(k: unknown): unknown
  set(k: unknown, v: unknown): unknown
  has(k: unknown): boolean
  delete(k: unknown): boolean
  clear(): void
  keys(): Iterable<unknown>
  readonly size: number
}

describe('lru-cache stand-in (mqtt topic aliases)', () => {
  const Real = (require('lru-cache') as { LRUCache: new (o: { max: number }) => Lru }).LRUCache
  const Stub = (stub('lru-cache.cjs') as { LRUCache: new (o: { max: number }) => Lru }).LRUCache

  it.each([1, 2, 3, 7, 20])('behaves like lru-cache 10 over 2000 random operations with max %i', (max) => {
    const real = new Real({ max })
    const fake = new Stub({ max })
    const rnd = prng(max)
    const log: unknown[][] = [[], []]
    for (let i = 0; i < 2000; i++) {
      const k = Math.floor(rnd() * (max * 2 + 1))
      const op = Math.floor(rnd() * 5)
      const clear = rnd() < 0.05
      for (const [j, c] of [real, fake].entries()) {
        if (op === 0) log[j]!.push(c.get(k))
        else if (op === 1) log[j]!.push(c.set(k, `v${i}`) === c)
        else if (op === 2) log[j]!.push(c.has(k))
        else if (op === 3 && clear) log[j]!.push(c.clear())
        else log[j]!.push([...c.keys()], c.size)
      }
    }
    expect(log[1]).toEqual(log[0])
  })
})

describe('rfdc stand-in (mqtt clones outgoing PUBLISH packets)', () => {
  const real = require('rfdc/default') as (o: unknown) => unknown
  const fake = stub('rfdc.cjs') as (o: unknown) => unknown
  const packet = () => ({
    cmd: 'publish',
    topic: 'edge-ddns/router/state',
    payload: Buffer.from('{"ok":true}'),
    qos: 1,
    retain: true,
    dup: false,
    messageId: 42,
    properties: { topicAlias: 3, userProperties: { a: ['b', 'c'] }, correlationData: new Uint8Array([1, 2, 3]) },
    when: new Date(0),
    nothing: null,
    missing: undefined,
  })

  it('copies a packet deeply, equal to what rfdc gives, sharing no object or buffer', () => {
    const src = packet()
    type Packet = Omit<ReturnType<typeof packet>, 'properties'> & { properties: { topicAlias?: number; correlationData: Uint8Array } }
    const a = real(src) as Packet
    const b = fake(src) as Packet
    expect(b).toEqual(a)
    expect(Buffer.isBuffer(b.payload)).toBe(true)
    expect(b.payload).not.toBe(src.payload)
    expect(b.properties).not.toBe(src.properties)
    expect(b.properties.correlationData).not.toBe(src.properties.correlationData)
    expect(b.properties.correlationData).toBeInstanceOf(Uint8Array)
    // What mqtt does with the copy: removing the alias leaves the original alone.
    delete b.properties.topicAlias
    expect(src.properties.topicAlias).toBe(3)
  })

  it.each([[1], ['text'], [null], [undefined], [[1, { a: [2] }]], [new Map([['k', { v: 1 }]])], [new Set([1, 2])]])('copies %j as rfdc does', (v) => {
    expect(fake(v)).toEqual(real(v))
  })
})

describe('bl stand-in (mqtt-packet keeps unparsed bytes in it)', () => {
  type List = {
    append(b: Buffer): unknown
    consume(n: number): unknown
    slice(s?: number, e?: number): Buffer
    toString(enc: BufferEncoding, s?: number, e?: number): string
    readUInt8(o: number): number
    readUInt16BE(o: number): number
    readUInt32BE(o: number): number
    length: number
  }
  const real = require('bl') as () => List
  const fake = stub('bl.cjs') as () => List

  it('gives the same reads as bl over random appends and consumes', () => {
    const rnd = prng(9)
    const a = real()
    const b = fake()
    const log: unknown[][] = [[], []]
    for (let i = 0; i < 3000; i++) {
      const op = Math.floor(rnd() * 4)
      const n = Math.floor(rnd() * 40)
      const chunk = Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)))
      const at = Math.floor(rnd() * 50)
      for (const [j, l] of [a, b].entries()) {
        const note = (f: () => unknown): void => {
          try {
            log[j]!.push(f())
          } catch (e) {
            log[j]!.push(`throws ${(e as Error).name}`)
          }
        }
        if (op === 0) l.append(chunk)
        else if (op === 1) l.consume(n)
        else if (op === 2) note(() => [l.readUInt8(at), l.readUInt16BE(at), l.readUInt32BE(at)])
        else note(() => [l.slice(at, at + n).toString('hex'), l.toString('utf8', at, at + n), l.length])
      }
    }
    expect(log[1]).toEqual(log[0])
  })
})

describe('debug and worker-timers stand-ins', () => {
  it('debug: a disabled logger that takes any call and extends', () => {
    const createDebug = stub('debug.cjs') as ((ns: string) => ((...a: unknown[]) => void) & { enabled: boolean; extend(n: string): unknown }) & {
      enabled(ns: string): boolean
    }
    const log = createDebug('mqttjs:client')
    expect(log.enabled).toBe(false)
    expect(log('x %o', { a: 1 })).toBeUndefined()
    expect(typeof log.extend('sub')).toBe('function')
    expect(createDebug.enabled('mqttjs*')).toBe(false)
  })

  it('worker-timers: the global timers', async () => {
    const t = stub('worker-timers.cjs') as { setTimeout(f: () => void, ms: number): unknown; clearTimeout(id: unknown): void }
    const fired = await new Promise<boolean>((resolve) => {
      t.setTimeout(() => resolve(true), 1)
    })
    expect(fired).toBe(true)
    let late = false
    const id = t.setTimeout(() => (late = true), 1)
    t.clearTimeout(id)
    await new Promise((r) => setTimeout(r, 20))
    expect(late).toBe(false)
  })
})

describe('through the build: mqtt-packet and mqtt with the stand-ins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-ddns-stand-ins-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  const probe = join(ROOT, 'test', 'unit', 'build', 'probes', 'mqtt-stand-ins.mjs')

  it('the bundled probe (bl, lru-cache, the mqtt version stand-ins) prints exactly what the source run prints', () => {
    const out = join(dir, 'probe.mjs')
    const build = execFileSync(process.execPath, [join(ROOT, 'build', 'bundle.mjs'), '--entry', probe, '--out', out], { encoding: 'utf8' })
    expect(build).toContain('stand-ins (build/stubs)')
    const fromSource = execFileSync(process.execPath, [probe], { encoding: 'utf8', cwd: ROOT })
    const fromBundle = execFileSync(process.execPath, [out], { encoding: 'utf8', cwd: dir })
    const parsed = JSON.parse(fromBundle) as { version: string; parsed: Record<string, unknown[]>; alias: unknown[] }
    expect(parsed.version).toBe((require('mqtt/package.json') as { version: string }).version)
    // Every packet came through each chunking, none as an error.
    for (const list of Object.values(parsed.parsed)) {
      expect(list).toHaveLength(19)
      expect(JSON.stringify(list)).not.toContain('"error"')
    }
    expect(fromBundle).toBe(fromSource)
  })
})
