/** `npm run cost`: estimated monthly cost per component of each configured environment, beside Amazon MWAA. */
import { ConfigError } from '../../manifests-src/config';
import { infraEnvironmentsFromArgs } from '../lib/validate-infra';
import { DEFAULT_ASSUMPTIONS, estimate } from './estimate';
import { PRICE_TABLE } from './prices';

const money = (n: number, c: string) => `${c} ${n.toFixed(0).padStart(7)}`;

try {
  for (const env of infraEnvironmentsFromArgs()) {
    const e = estimate(env);
    console.log(`\n${e.env} (${e.region}) - monthly, on-demand, prices as of ${PRICE_TABLE.asOf}`);
    for (const l of e.lines) console.log(`  ${l.component.padEnd(26)} ${money(l.monthly, e.currency)}   ${l.detail}`);
    console.log(`  ${'TOTAL'.padEnd(26)} ${money(e.total, e.currency)}`);
    if (e.mwaa) console.log(`  ${'Amazon MWAA equivalent'.padEnd(26)} ${money(e.mwaa.monthly, e.currency)}   ${e.mwaa.environmentClass}, ${e.mwaa.workers} worker(s) at the same busy share (no NAT/endpoints/ALB included)`);
    else console.log(`  ${'Amazon MWAA equivalent'.padEnd(26)} n/a (no MWAA prices for ${e.region} in the table)`);
  }
  console.log(`\nAssumptions: ${JSON.stringify(DEFAULT_ASSUMPTIONS)}. Prices: infra/cost/prices.ts (verify against the pages listed there).`);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}
