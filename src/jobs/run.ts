import type { JobService } from '../services/jobs.ts';
import type { DigestService } from '../services/digest.ts';

export const JOB_NAMES = ['reminders', 'escalations', 'followups', 'digest', 'cleanup'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(value: string): value is JobName {
  return (JOB_NAMES as readonly string[]).includes(value);
}

/** Runs one job as of `now` and returns its one-line summary. */
export async function runJob(name: JobName, now: Date, deps: { jobs: JobService; digests: DigestService }): Promise<string> {
  switch (name) {
    case 'reminders': {
      const r = await deps.jobs.reminders(now);
      return `reminders: ${r.owners} owners reminded of ${r.reports} overdue reports`;
    }
    case 'escalations': {
      const r = await deps.jobs.escalations(now);
      return `escalations: ${r.reports} reports escalated`;
    }
    case 'followups': {
      const r = await deps.jobs.followups(now);
      return `followups: ${r.reminded} reporters reminded, ${r.closed} reports closed without answer`;
    }
    case 'digest': {
      const r = await deps.digests.sendWeekly(now);
      return `digest: ${r.recipients} weekly digests owed`;
    }
    case 'cleanup': {
      const r = await deps.jobs.cleanup(now);
      const kept = r.retention ? `; retention: ${r.retention.reporterLinks} reporter links erased, ${r.retention.outbox} delivered messages, ${r.retention.updateIds} more update ids dropped` : '';
      return `cleanup: ${r.drafts} drafts, ${r.invites} invitations, ${r.updates} update ids dropped${kept}`;
    }
  }
}
