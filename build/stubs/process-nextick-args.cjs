// mqtt-packet's writeToStream takes nextTick from process-nextick-args, which on any Node since
// 1.8 (and on Bun) hands out `process` itself; its fallback for Node 0.x is dead code here.
module.exports = process
