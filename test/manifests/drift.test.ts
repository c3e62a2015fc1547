import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadEnvironments } from '../../manifests-src/config';
import { renderDist } from '../../manifests-src/synth';
import { compareTrees, describeDrift, hasDrift, readTree } from '../../manifests-src/validate/drift';
import { replaceDirAtomically } from '../../manifests-src/write-atomic';

const DIST = path.resolve(__dirname, '../../dist');

describe('dist/ drift', () => {
  test('the committed dist/ is exactly what `npm run synth` renders from the committed config', () => {
    const rendered = renderDist(loadEnvironments());
    const committed = readTree(DIST);
    const drift = compareTrees(rendered, committed);
    if (hasDrift(drift)) throw new Error(describeDrift(drift, rendered, committed));
    expect(committed.size).toBe(rendered.size);
  });

  describe('the comparison catches every kind of drift', () => {
    let tmp: string;
    let rendered: Map<string, string>;
    beforeAll(() => {
      rendered = renderDist(loadEnvironments());
    });
    beforeEach(() => {
      tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'drift-')), 'dist');
      replaceDirAtomically(tmp, rendered);
    });
    afterEach(() => fs.rmSync(path.dirname(tmp), { recursive: true, force: true }));

    test('a fresh synth into a temp dir has no drift', () => {
      expect(compareTrees(rendered, readTree(tmp))).toEqual({ added: [], removed: [], changed: [] });
    });

    test('a hand edit is reported as changed, with the line and the fix', () => {
      const file = 'prod/airflow/scheduler.yaml';
      const text = fs.readFileSync(path.join(tmp, file), 'utf8');
      const edited = text.replace(/replicas: \d+/, 'replicas: 7');
      expect(edited).not.toBe(text);
      fs.writeFileSync(path.join(tmp, file), edited);

      const committed = readTree(tmp);
      const drift = compareTrees(rendered, committed);
      expect(drift).toEqual({ added: [], removed: [], changed: [file] });
      const message = describeDrift(drift, rendered, committed);
      expect(message).toMatch('run `npm run synth` and commit dist/');
      expect(message).toMatch(/changed: dist\/prod\/airflow\/scheduler\.yaml \(line \d+: committed "\s*replicas: 7", rendered "\s*replicas: \d+"\)/);
    });

    test('a deleted file is reported as added, a stray file as removed', () => {
      fs.rmSync(path.join(tmp, 'dev/logging/fluent-bit.yaml'));
      fs.writeFileSync(path.join(tmp, 'dev/airflow/old-component.yaml'), '---\nkind: ConfigMap\n');
      expect(compareTrees(rendered, readTree(tmp))).toEqual({ added: ['dev/logging/fluent-bit.yaml'], removed: ['dev/airflow/old-component.yaml'], changed: [] });
    });
  });
});
