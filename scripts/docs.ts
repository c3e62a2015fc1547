/**
 * `npm run docs`: regenerates every generated part of docs/ (configuration reference, cost estimate, fault table,
 * test suite times, cluster phases, scale benchmark, the runbook's alarm table from cdk.out/) and the sizing baseline and scale model the configuration reference's default requests come from.
 */
import * as path from 'node:path';
import { regenerateSizingBaseline } from '../bench/baseline';
import { loadEnvironments } from '../manifests-src/config';
import { costDoc } from '../infra/cost/markdown';
import { writeFileAtomic } from '../manifests-src/write-atomic';
import { regenerateConfigReference } from './config-reference';
import { regenerateClusterPhaseTable } from './cluster-phase-table';
import { regenerateFaultTable } from './fault-table';
import { regenerateScaleModel, regenerateScaleTable } from './scale-table';
import { regenerateAlarmTable } from './alarm-table';
import { regenerateSuiteTimeTable } from './suite-time-table';

const root = path.resolve(__dirname, '..');
// First: the configuration reference prints the requests sized from it.
console.log(regenerateSizingBaseline(root));
console.log(regenerateScaleModel(root));
console.log(regenerateConfigReference(root));
writeFileAtomic(path.join(root, 'docs', 'cost.md'), costDoc(loadEnvironments()));
console.log('docs/cost.md: regenerated from the committed environments');
console.log(regenerateFaultTable(root));
console.log(regenerateSuiteTimeTable(root));
console.log(regenerateClusterPhaseTable(root));
console.log(regenerateScaleTable(root));
console.log(regenerateAlarmTable(root));
