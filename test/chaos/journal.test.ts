import { executionProblems, type JournalEntry } from '../../local/journal';

const e = (event: 'start' | 'end', map_index: number, tryNo: number, t: number): JournalEntry => ({ event, run_id: 'r', map_index, try: tryNo, pid: 1, host: 'worker-1', t });

test('a retry that starts after the killed try is fine', () => {
  expect(executionProblems([e('start', 0, 1, 10), e('start', 0, 2, 80), e('end', 0, 2, 90)], 20)).toEqual({ concurrent: [], completedTwice: [] });
});

test('two tries running at once are reported', () => {
  const p = executionProblems([e('start', 0, 1, 10), e('start', 0, 2, 15), e('end', 0, 1, 20), e('end', 0, 2, 25)]);
  expect(p.concurrent).toEqual(['r#0: try 2 started while try 1 was running']);
  expect(p.completedTwice).toEqual(['r#0: completed 2 times']);
});

test('a retry before the kill moment counts as concurrent', () => {
  expect(executionProblems([e('start', 1, 1, 10), e('start', 1, 2, 12)], 30).concurrent).toHaveLength(1);
});

test('a second completion is accepted only when the first ended inside the outage window', () => {
  const twice = [e('start', 0, 1, 10), e('end', 0, 1, 13), e('start', 0, 2, 40), e('end', 0, 2, 43)];
  expect(executionProblems(twice, undefined, [12, 30]).completedTwice).toEqual([]);
  expect(executionProblems(twice, undefined, [14, 30]).completedTwice).toEqual(['r#0: completed 2 times']);
});
