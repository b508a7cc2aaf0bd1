import { chosenAttempt, detectAddresses } from '../detect/select.js'
import type { Family } from '../providers/types.js'
import { EXIT } from '../report/exit.js'
import type { CommandEnv } from './app.js'

/**
 * `edge-ddns detect`: asks every configured source for each family and prints every answer,
 * marking the one a run would use (`*` in the text, `used: true` in `--json`). The mark goes by
 * the attempt's position, not its label: two sources may share a label. Exit 0 when at least one
 * family has an address.
 */
export async function detectCommand({ config, ctx, io, args }: CommandEnv): Promise<number> {
  const families: Family[] = [4, 6]
  // A family turned off (`ipv6 = []`) is shown as such, not asked and not warned about.
  const asked = families.filter((f) => config.detect.sources[f].length > 0)
  const found = await detectAddresses(config.detect, asked, ctx, { all: true })
  if (args.json) {
    const out = families.map((f) => {
      const chosen = chosenAttempt(found[f])
      return {
        family: f,
        address: found[f]?.address ?? null,
        source: found[f]?.source ?? null,
        attempts: (found[f]?.attempts ?? []).map((a, i) => ({
          source: a.source,
          ...(a.address ? { address: a.address } : {}),
          ...(i === chosen ? { used: true } : {}),
          ...(a.error ? { error: a.error.message } : {}),
          ...(a.notes?.length ? { notes: a.notes } : {}),
        })),
      }
    })
    io.stdout(`${ctx.redactor.json(out)}\n`)
  } else {
    for (const f of families) {
      const r = found[f]
      const label = f === 4 ? 'ipv4' : 'ipv6'
      const chosen = chosenAttempt(r)
      for (const [i, a] of (r?.attempts ?? []).entries()) {
        const mark = i === chosen ? '*' : ' '
        const what = a.address ?? `failed: ${a.error?.message ?? 'no address'}`
        io.stdout(ctx.redactor.redact(`${mark} ${label}  ${a.source.padEnd(24)} ${what}\n`))
        for (const n of a.notes ?? []) io.stdout(ctx.redactor.redact(`         ${n}\n`))
      }
      if (!r?.attempts.length) io.stdout(`  ${label}  (no source configured)\n`)
    }
  }
  return families.some((f) => found[f]?.address) ? EXIT.OK : EXIT.FAILED
}
