/** `npm run docs`: regenerates every generated part of docs/ (configuration reference, fault table, test suite times, cluster phases). */
import * as path from 'node:path';
import { regenerateConfigReference } from './config-reference';
import { regenerateClusterPhaseTable } from './cluster-phase-table';
import { regenerateFaultTable } from './fault-table';
import { regenerateSuiteTimeTable } from './suite-time-table';

const root = path.resolve(__dirname, '..');
console.log(regenerateConfigReference(root));
console.log(regenerateFaultTable(root));
console.log(regenerateSuiteTimeTable(root));
console.log(regenerateClusterPhaseTable(root));
