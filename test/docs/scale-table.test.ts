import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ScaleReport } from '../../bench/scale';
import { SCALE_BEGIN, SCALE_DOC, SCALE_END, newestScaleReport, scaleSection } from '../../scripts/scale-table';

const root = path.resolve(__dirname, '../..');
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(root, 'bench', 'results', f), 'utf8')) as ScaleReport;

test('docs/benchmark.md\'s scale section is what npm run docs renders from the newest reports (profile, and tuned when present)', () => {
  const doc = fs.readFileSync(path.join(root, SCALE_DOC), 'utf8');
  const name = newestScaleReport(root)!;
  expect(name).toMatch(/^scale-\d/);
  const tunedName = newestScaleReport(root, 'tuned');
  const tuned = tunedName ? { file: path.join('bench', 'results', tunedName), report: read(tunedName) } : undefined;
  const section = doc.slice(doc.indexOf(SCALE_BEGIN) + SCALE_BEGIN.length, doc.indexOf(SCALE_END)).trim();
  expect(section).toBe(scaleSection(read(name), path.join('bench', 'results', name), tuned).trim());
});

test('a run with its own parsing settings never becomes the profile\'s newest report', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scale-reports-'));
  try {
    fs.mkdirSync(path.join(dir, 'bench', 'results'), { recursive: true });
    for (const f of ['scale-2026-12-07T1544.json', 'scale-tuned-2026-12-07T1800.json', 'quick-2026-12-08T0000.json']) fs.writeFileSync(path.join(dir, 'bench', 'results', f), '{}');
    expect(newestScaleReport(dir)).toBe('scale-2026-12-07T1544.json');
    expect(newestScaleReport(dir, 'tuned')).toBe('scale-tuned-2026-12-07T1800.json');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
