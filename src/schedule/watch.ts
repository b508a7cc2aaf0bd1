import type { Config } from '../config/types.js'
import { detectViaInterface, systemReaders, type InterfaceReaders } from '../detect/interface.js'
import type { InterfaceSourceSpec } from '../detect/types.js'
import type { Family } from '../providers/types.js'

/**
 * Watch mode: for `interface` sources, the addresses are read locally (getifaddrs and
 * /proc/self/net/if_inet6: no network, a fraction of a millisecond), so the daemon can poll them
 * every few seconds and run a cycle as soon as they change, instead of waiting for the interval.
 * Other sources (DNS, HTTP, netifd through a ubus subprocess) are not polled: on OpenWrt the
 * hotplug hook triggers a cycle instead.
 */

/** The interface sources a config asks, per family. */
export function interfaceSources(config: Pick<Config, 'detect'>, families: Family[]): { family: Family; spec: InterfaceSourceSpec }[] {
  const out: { family: Family; spec: InterfaceSourceSpec }[] = []
  for (const family of families) {
    for (const spec of config.detect.sources[family] ?? []) if (spec.kind === 'interface') out.push({ family, spec })
  }
  return out
}

/**
 * What the interface sources would give now, as one comparable string (`4 eth0=192.0.2.10;6 eth0=…`;
 * a failure is written as its error text, so "address gone" is a change too). Never throws.
 */
export function probeInterfaces(
  config: Pick<Config, 'detect'>,
  families: Family[],
  readers: InterfaceReaders = systemReaders,
): string {
  return interfaceSources(config, families)
    .map(({ family, spec }) => {
      let v: string
      try {
        v = detectViaInterface(spec, family, config.detect.policy, readers).address
      } catch (e) {
        v = `! ${(e as Error).message}`
      }
      return `${family} ${spec.name}=${v}`
    })
    .join(';')
}
