// eslint-disable-next-line @typescript-eslint/no-require-imports
const fn = require('../../infra/lib/functions/secret-fields/index.js') as {
  mergeFields: (current: Record<string, string>, set: Record<string, string>, generate: Record<string, string>) => Record<string, string>;
  parseObject: (text: string | undefined) => Record<string, unknown>;
  GENERATORS: Record<string, () => string>;
};

test('the generated Fernet key is what cryptography.Fernet accepts: URL-safe base64 of 32 bytes', () => {
  const keys = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const key = fn.GENERATORS.fernet();
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/);
    expect(Buffer.from(key.replace(/-/g, '+').replace(/_/g, '/'), 'base64')).toHaveLength(32);
    keys.add(key);
  }
  expect(keys.size).toBe(200);
});

test('generated fields are made once and kept; set fields are rewritten; other keys survive', () => {
  const first = fn.mergeFields({}, {}, { fernetKey: 'fernet', jwtSecret: 'token', adminPassword: 'password' });
  expect(first.jwtSecret).toMatch(/^[0-9a-f]{64}$/);
  expect(first.adminPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
  const again = fn.mergeFields({ ...first, extra: 'x' }, { host: 'h2' }, { fernetKey: 'fernet', jwtSecret: 'token', adminPassword: 'password' });
  expect(again).toEqual({ ...first, extra: 'x', host: 'h2' });
  expect(fn.mergeFields({ host: 'h1', authToken: 't' }, { host: 'h2', port: '6379' }, {})).toEqual({ host: 'h2', port: '6379', authToken: 't' });
  expect(() => fn.mergeFields({}, {}, { k: 'nope' })).toThrow(/unknown generator "nope"/);
});

test("the initial random string CloudFormation puts in a new secret counts as empty", () => {
  expect(fn.parseObject('Zx8$random')).toEqual({});
  expect(fn.parseObject('{"a":"b"}')).toEqual({ a: 'b' });
  expect(fn.parseObject(undefined)).toEqual({});
});
