import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The scheduler's program: `airflow scheduler` that restarts in-process after losing the database (see the
 * Python file's docstring). Kept as a Python file so it reads and lints as Python; shipped inline in the
 * container command, so the stock image runs it and the local runner runs the very same text.
 */
export const SCHEDULER_SUPERVISOR_PY = fs.readFileSync(path.join(__dirname, 'scheduler_supervisor.py'), 'utf8');
