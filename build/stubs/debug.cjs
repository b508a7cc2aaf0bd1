// mqtt.js traces through the debug package only when DEBUG=mqttjs* is set; edge-ddns logs MQTT
// events itself, so tracing is dropped (7 KB and an environment read at start-up).
function createDebug() {
  const log = () => {}
  log.enabled = false
  log.extend = createDebug
  return log
}
createDebug.enable = () => {}
createDebug.disable = () => ''
createDebug.enabled = () => false
module.exports = createDebug
module.exports.default = createDebug
