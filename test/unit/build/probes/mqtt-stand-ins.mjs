// A probe for test/unit/build/stand-ins.test.ts: exercises the parts of mqtt.js that build/stubs/
// replace, through mqtt's own modules. Run from source it uses the real packages; bundled by
// build/bundle.mjs it uses the stand-ins. Both runs must print the same JSON line.
import mqttPacket from 'mqtt-packet'
import topicAliasSend from 'mqtt/lib/topic-alias-send'
import { MQTTJS_VERSION } from 'mqtt/lib/shared'

const TopicAliasSend = topicAliasSend.default ?? topicAliasSend

/** Packets of MQTT 3.1.1 and 5, with payloads around the length-byte boundaries (127, 16383). */
function packets(v) {
  const props = v === 5 ? { properties: { userProperties: { a: 'b' } } } : {}
  const list = [
    { cmd: 'connect', protocolId: 'MQTT', protocolVersion: v, clean: true, clientId: 'probe', keepalive: 60, username: 'u', password: Buffer.from('p&ss'), will: { topic: 'w', payload: Buffer.from('offline'), qos: 1, retain: true, ...(v === 5 ? { properties: {} } : {}) } },
    { cmd: 'connack', returnCode: 0, sessionPresent: false, ...(v === 5 ? { reasonCode: 0 } : {}) },
    { cmd: 'pingreq' },
    { cmd: 'pingresp' },
    { cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'homeassistant/+/x/+/config', qos: 1 }, { topic: 'a/b', qos: 0 }], ...props },
    { cmd: 'suback', messageId: 7, granted: [1, 128], ...props },
    { cmd: 'unsubscribe', messageId: 8, unsubscriptions: ['a/b'], ...props },
    { cmd: 'unsuback', messageId: 8, ...(v === 5 ? { granted: [0] } : {}) },
    { cmd: 'puback', messageId: 9, ...(v === 5 ? { reasonCode: 0 } : {}) },
    { cmd: 'disconnect' },
  ]
  for (const [i, n] of [0, 1, 126, 127, 128, 16382, 16383, 16384, 70000].entries()) {
    list.push({ cmd: 'publish', topic: `edge-ddns/probe/${i}`, payload: Buffer.alloc(n, i + 65), qos: i % 2, retain: i % 3 === 0, dup: false, ...(i % 2 ? { messageId: 100 + i } : {}), ...props })
  }
  return list
}

const show = (p) => JSON.parse(JSON.stringify(p, (k, x) => (x && x.type === 'Buffer' && Array.isArray(x.data) ? `buffer:${x.data.length}:${Buffer.from(x.data).toString('hex').slice(0, 16)}` : x)))

const parsed = {}
for (const v of [4, 5]) {
  const wire = Buffer.concat(packets(v).map((p) => mqttPacket.generate(p, { protocolVersion: v })))
  for (const size of [1, 2, 3, 5, 64, 1000, wire.length]) {
    const parser = mqttPacket.parser({ protocolVersion: v })
    const out = []
    parser.on('packet', (p) => out.push(show(p)))
    parser.on('error', (e) => out.push({ error: e.message }))
    for (let i = 0; i < wire.length; i += size) parser.parse(wire.subarray(i, i + size))
    parsed[`v${v}/chunks of ${size}`] = out
  }
}

// TopicAliasSend is mqtt's only user of lru-cache: least recently used alias, eviction, clear.
const t = new TopicAliasSend(3)
const alias = []
for (const [topic, a] of [['a', 1], ['b', 2], ['c', 3]]) alias.push(t.put(topic, a))
alias.push(t.getTopicByAlias(1), t.getAliasByTopic('b'), t.getLruAlias())
alias.push(t.put('d', t.getLruAlias()), t.getTopicByAlias(3), t.getAliasByTopic('c'), t.length)
alias.push(t.put('e', 4), t.put('f', 0))
t.clear()
alias.push(t.length, t.getLruAlias(), t.getTopicByAlias(1))

console.log(JSON.stringify({ version: MQTTJS_VERSION, parsed, alias }))
