// mqtt-packet's parser keeps unparsed bytes in a bl BufferList (bl also brings a Duplex stream
// wrapper the parser never uses). It calls append, consume, length, readUInt8/16BE/32BE,
// slice(start, end) and toString(encoding, start, end); this stand-in does those over one Buffer
// (6 KB less). MQTT packets are small and arrive in few chunks, so copying on append is cheap.
class BufferList {
  constructor(buf) {
    this.buf = Buffer.alloc(0)
    if (buf) this.append(buf)
  }
  get length() {
    return this.buf.length
  }
  append(buf) {
    this.buf = this.buf.length === 0 ? Buffer.from(buf) : Buffer.concat([this.buf, buf])
    return this
  }
  consume(bytes) {
    this.buf = this.buf.subarray(Math.min(Math.max(0, bytes | 0), this.buf.length))
    return this
  }
  slice(start, end) {
    return Buffer.from(this.buf.subarray(start, end))
  }
  toString(encoding, start, end) {
    return this.buf.toString(encoding, start, end)
  }
  readUInt8(offset) {
    return this.buf.readUInt8(offset)
  }
  readUInt16BE(offset) {
    return this.buf.readUInt16BE(offset)
  }
  readUInt32BE(offset) {
    return this.buf.readUInt32BE(offset)
  }
}
// `require('bl')` is called as a function (`bl()`), and BufferList is also exported by name.
module.exports = (buf) => new BufferList(buf)
module.exports.BufferList = BufferList
module.exports.BufferListStream = module.exports
