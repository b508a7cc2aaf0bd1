// mqtt.js uses worker-timers only in browsers (get-timer.js picks native timers on Node and Bun);
// the globals are the same API, without the 31 KB of Babel runtime the package brings.
exports.setInterval = (fn, ms) => setInterval(fn, ms)
exports.clearInterval = (id) => clearInterval(id)
exports.setTimeout = (fn, ms) => setTimeout(fn, ms)
exports.clearTimeout = (id) => clearTimeout(id)
