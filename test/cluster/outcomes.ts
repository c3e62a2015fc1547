/**
 * Whether each test of a suite passed, for the artifact its docs table is generated from: a test counts as passed
 * only when its body finished without throwing before jest moved on. A test that failed, timed out, was skipped or
 * never ran (its beforeAll failed) stays "not passed", so a failed run can never render as a result.
 */

export interface TestOutcome {
  readonly test: string;
  readonly passed: boolean;
}

type Body = () => Promise<unknown> | unknown;

export class TestOutcomes {
  private readonly names: string[] = [];
  private readonly passed = new Set<string>();
  /** The test whose body is running; cleared after each test, so a body still running after its timeout cannot pass. */
  private current?: string;

  /** jest's `test`, recording the outcome; `.skip` registers the test as not passed. */
  readonly test = Object.assign(
    (name: string, fn: Body, timeout?: number): void => {
      this.names.push(name);
      test(name, async () => {
        this.current = name;
        await fn();
        if (this.current === name) this.passed.add(name);
      }, timeout);
    },
    {
      skip: (name: string, fn: Body, timeout?: number): void => {
        this.names.push(name);
        test.skip(name, async () => fn(), timeout);
      },
    },
  );

  /** Registers the hook that closes each test (call once, at the top of the file). */
  install(): this {
    afterEach(() => {
      this.current = undefined;
    });
    return this;
  }

  results(): TestOutcome[] {
    return this.names.map((test) => ({ test, passed: this.passed.has(test) }));
  }
}
