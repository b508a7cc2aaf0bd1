// A small entry for the budget test of test/unit/build/bundle.test.ts: one package, one line out.
import { parse } from 'smol-toml'

console.log(JSON.stringify(parse('a = 1')))
