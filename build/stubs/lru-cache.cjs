// mqtt.js uses lru-cache only in topic-alias-send.js, for MQTT 5 topic aliases: it is created when a
// v5 broker's CONNACK offers topicAliasMaximum. edge-ddns speaks MQTT 3.1.1, so it never is; this
// stand-in still keeps the calls that file makes correct (16 KB less): `new LRUCache({ max })`,
// get (marks the entry as used), set (evicts the least recently used above max), size, clear, and
// keys() from the most to the least recently used, as lru-cache 10 orders them.
class LRUCache {
  constructor(opts) {
    this.max = opts && opts.max > 0 ? opts.max : Infinity
    this.map = new Map()
  }
  get size() {
    return this.map.size
  }
  has(key) {
    return this.map.has(key)
  }
  get(key) {
    if (!this.map.has(key)) return undefined
    const value = this.map.get(key)
    this.map.delete(key)
    this.map.set(key, value)
    return value
  }
  set(key, value) {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value)
    return this
  }
  delete(key) {
    return this.map.delete(key)
  }
  clear() {
    this.map.clear()
  }
  *keys() {
    yield* [...this.map.keys()].reverse()
  }
}
exports.LRUCache = LRUCache
