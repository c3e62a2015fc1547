/** Exit 0 when cdk.out/ holds the synth of the committed environments from the working tree's sources, else say why and exit 1. */
import * as path from 'node:path';
import { cdkOutStaleness } from '../lib/synth-inputs';

const stale = cdkOutStaleness(path.resolve(__dirname, '..', '..'));
if (stale) console.log(stale);
process.exitCode = stale ? 1 : 0;
