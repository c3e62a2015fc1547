import type { EnvironmentConfig } from '../../manifests-src/config';

/** Days of week a weekly cron field names ("1-5", "0,6", "*"). */
export function cronDays(field: string): Set<number> {
  if (field === '*') return new Set([0, 1, 2, 3, 4, 5, 6]);
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const [a, b = a] = part.split('-').map(Number);
    for (let d = a; d <= b; d++) days.add(d);
  }
  return days;
}

/** Hours per week between a start and an end cron of the same days (e.g. 08:00-19:00 Mon-Fri = 55). */
export function weeklyHours(start: string, end: string): number {
  const [sm, sh, , , days] = start.split(' ');
  const [em, eh] = end.split(' ');
  const span = Number(eh) + Number(em) / 60 - (Number(sh) + Number(sm) / 60);
  if (span <= 0) throw new Error(`officeHours.end ("${end}") must be later in the day than officeHours.start ("${start}")`);
  return span * cronDays(days).size;
}

/** Share of the week Airflow runs: 1 without office hours. */
export function awakeShare(env: Pick<EnvironmentConfig, 'officeHours'>): number {
  const o = env.officeHours;
  return o.enabled ? weeklyHours(o.start, o.end) / 168 : 1;
}
