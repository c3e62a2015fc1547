import { describeSchemaErrors, type AjvError } from '../../manifests-src/validate/schema-errors';
import { trackAccess } from '../../manifests-src/validate/unknown-fields';

/**
 * Hand-written stand-ins for the compiled validators, doing what ajv's generated code does:
 * read every declared property, enumerate the keys of a map, read nothing of a free-form object.
 */
function validateContainer(c: any) {
  void c.name, void c.image, void c.env;
  if (Array.isArray(c.env)) for (let i = 0; i < c.env.length; i++) void c.env[i].name, void c.env[i].value;
}
function validatePod(p: any) {
  void p.metadata, void p.spec;
  for (const k in p.metadata.labels) void p.metadata.labels[k]; // a map: additionalProperties
  void p.metadata.name;
  if (Object.keys(p.spec).length > 3) throw new Error('maxProperties'); // listing keys is not reading them
  void p.spec.containers, void p.spec.extra; // extra: free-form object, never looked into
  for (let i = 0; i < p.spec.containers.length; i++) validateContainer(p.spec.containers[i]);
}

const run = (doc: unknown) => {
  const t = trackAccess(doc);
  validatePod(t.proxy);
  return t.unknownFields();
};

describe('unknown-field tracking', () => {
  const pod = () => ({
    metadata: { name: 'p', labels: { 'app.kubernetes.io/name': 'x', anything: 'y' } },
    spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: '1' }] }], extra: { free: { form: true } } },
  });

  test('a document using only declared fields, maps and free-form objects is clean', () => {
    expect(run(pod())).toEqual([]);
  });

  test('a field the validator never read is reported with its full path, at any depth', () => {
    const doc: any = pod();
    doc.spec.replicaz = 2;
    doc.spec.containers[0].imagePullPolcy = 'Always';
    doc.spec.containers[0].env[0].valeu = '2';
    doc.metadta = {};
    expect(run(doc)).toEqual(
      expect.arrayContaining([['metadta'], ['spec', 'replicaz'], ['spec', 'containers', 0, 'imagePullPolcy'], ['spec', 'containers', 0, 'env', 0, 'valeu']]),
    );
    expect(run(doc)).toHaveLength(4);
  });

  test('the proxies are transparent: the validator sees the same values', () => {
    const doc = pod();
    const t = trackAccess(doc);
    expect(JSON.parse(JSON.stringify(t.proxy))).toEqual(doc);
    expect(Array.isArray((t.proxy as any).spec.containers)).toBe(true);
  });
});

describe('schema error lines', () => {
  const data = { spec: { replicas: 'two', template: { spec: { containers: [{ imagePullPolicy: 'Sometimes' }] } }, maxSurge: [1] } };
  const err = (instancePath: string, keyword: string, params: Record<string, unknown>, schemaPath = '#/x'): AjvError => ({ instancePath, keyword, params, schemaPath });

  test('type, enum and required errors name the field and what was found', () => {
    const lines = describeSchemaErrors(
      [
        err('/spec/replicas', 'type', { type: 'integer' }),
        err('/spec/template/spec/containers/0/imagePullPolicy', 'enum', { allowedValues: ['Always', 'IfNotPresent', 'Never'] }),
        err('/spec/template/spec/containers/0', 'required', { missingProperty: 'name' }),
      ],
      data,
    );
    expect(lines).toEqual([
      { path: 'spec.replicas', message: 'must be integer, got string "two"' },
      { path: 'spec.template.spec.containers[0].imagePullPolicy', message: 'must be one of Always, IfNotPresent, Never; got string "Sometimes"' },
      { path: 'spec.template.spec.containers[0].name', message: 'required field missing' },
    ]);
  });

  test('the branches of a union fold into one line', () => {
    const lines = describeSchemaErrors(
      [err('/spec/maxSurge', 'type', { type: 'string' }), err('/spec/maxSurge', 'type', { type: 'integer' }), err('/spec/maxSurge', 'oneOf', {})],
      data,
    );
    expect(lines).toEqual([{ path: 'spec.maxSurge', message: 'must be string or integer, got an array' }]);
  });
});
