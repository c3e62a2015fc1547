/** `npm run docs`: regenerates every generated part of docs/ (configuration reference, fault table). */
import * as path from 'node:path';
import { regenerateConfigReference } from './config-reference';
import { regenerateFaultTable } from './fault-table';

const root = path.resolve(__dirname, '..');
console.log(regenerateConfigReference(root));
console.log(regenerateFaultTable(root));
