/**
 * The life of a report, as a pure state machine. Every change of status goes through
 * `decideTransition`; the service applies what it decides in one transaction and appends
 * an event. Guarded by tests/domain/lifecycle.test.ts (every allowed and refused pair).
 */

export const STATUSES = [
  'new',
  'assigned',
  'acknowledged',
  'in_progress',
  'needs_info',
  'resolved',
  'closed',
  'reopened',
  'rejected',
  'not_responsible',
  'duplicate',
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses in which a report is finished: nothing more can happen to it. */
export const FINAL_STATUSES: readonly Status[] = ['closed', 'rejected', 'not_responsible', 'duplicate'];
/** Statuses in which a report is still someone's work (counted as open and as overdue when late). */
export const OPEN_STATUSES: readonly Status[] = ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'];

export const ROLES = ['resident', 'cadre', 'leader', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export type Action =
  | { kind: 'assign'; ownerId: number }
  | { kind: 'unassign' }
  | { kind: 'acknowledge' }
  | { kind: 'start' }
  | { kind: 'ask'; question: string }
  | { kind: 'answer'; answer: string }
  | { kind: 'resolve'; note: string }
  | { kind: 'satisfied' }
  | { kind: 'not_satisfied'; reason: string }
  | { kind: 'no_answer' }
  | { kind: 'reject'; reason: string }
  | { kind: 'not_responsible'; reason: string }
  | { kind: 'duplicate'; ofNumber: number; reason: string };
export type ActionKind = Action['kind'];

/** Who is acting, as far as the rules care. `system` is the scheduler and automatic routing. */
export type Actor = { kind: 'system' } | { kind: 'user'; userId: number; role: Role };

/** What the machine needs to know about a report. */
export interface ReportState {
  status: Status;
  ownerId: number | null;
  reporterId: number;
}

export type Refusal = 'not_allowed_now' | 'not_permitted' | 'note_required' | 'same_owner';

export type Decision =
  | { kind: 'allowed'; from: Status; to: Status; note: string | null }
  | { kind: 'refused'; reason: Refusal };

/** From which statuses each action may start, and where it leads. */
const RULES: Record<ActionKind, { from: readonly Status[]; to: Status }> = {
  assign: { from: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'assigned' },
  unassign: { from: ['assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'new' },
  acknowledge: { from: ['assigned'], to: 'acknowledged' },
  start: { from: ['assigned', 'acknowledged', 'reopened'], to: 'in_progress' },
  ask: { from: ['acknowledged', 'in_progress', 'reopened'], to: 'needs_info' },
  answer: { from: ['needs_info'], to: 'in_progress' },
  resolve: { from: ['acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'resolved' },
  satisfied: { from: ['resolved'], to: 'closed' },
  not_satisfied: { from: ['resolved'], to: 'reopened' },
  no_answer: { from: ['resolved'], to: 'closed' },
  reject: { from: OPEN_STATUSES, to: 'rejected' },
  not_responsible: { from: OPEN_STATUSES, to: 'not_responsible' },
  duplicate: { from: OPEN_STATUSES, to: 'duplicate' },
};

const isStaffLead = (role: Role) => role === 'leader' || role === 'admin';

/** Whether this actor may take this action on this report at all (status aside). */
export function mayAct(report: ReportState, action: ActionKind, actor: Actor): boolean {
  if (actor.kind === 'system') return action === 'assign' || action === 'no_answer';
  const isOwner = report.ownerId === actor.userId;
  const isReporter = report.reporterId === actor.userId;
  switch (action) {
    case 'assign':
      // leaders assign from their queue; the owner may hand over to someone else
      return isStaffLead(actor.role) || (isOwner && actor.role !== 'resident');
    case 'unassign':
      return isStaffLead(actor.role) || isOwner;
    case 'acknowledge':
    case 'start':
    case 'ask':
    case 'resolve':
      return isOwner;
    case 'answer':
    case 'satisfied':
    case 'not_satisfied':
      return isReporter;
    case 'no_answer':
      return false;
    case 'reject':
    case 'not_responsible':
    case 'duplicate':
      return isOwner || isStaffLead(actor.role);
  }
}

function noteOf(action: Action): string | null {
  switch (action.kind) {
    case 'ask':
      return action.question;
    case 'answer':
      return action.answer;
    case 'resolve':
      return action.note;
    case 'not_satisfied':
    case 'reject':
    case 'not_responsible':
    case 'duplicate':
      return action.reason;
    default:
      return null;
  }
}

const NEEDS_NOTE: readonly ActionKind[] = ['ask', 'answer', 'resolve', 'not_satisfied', 'reject', 'not_responsible', 'duplicate'];

/** Decides whether `action` by `actor` may happen to `report` now, and what status follows. */
export function decideTransition(report: ReportState, action: Action, actor: Actor): Decision {
  const rule = RULES[action.kind];
  if (!mayAct(report, action.kind, actor)) return { kind: 'refused', reason: 'not_permitted' };
  if (!rule.from.includes(report.status)) return { kind: 'refused', reason: 'not_allowed_now' };
  const note = noteOf(action);
  if (NEEDS_NOTE.includes(action.kind) && (note === null || note.trim() === '')) return { kind: 'refused', reason: 'note_required' };
  if (action.kind === 'assign' && action.ownerId === report.ownerId && report.status !== 'new') return { kind: 'refused', reason: 'same_owner' };
  return { kind: 'allowed', from: report.status, to: rule.to, note };
}

/** The actions an actor could take on a report right now (for showing buttons). */
export function availableActions(report: ReportState, actor: Actor): ActionKind[] {
  return (Object.keys(RULES) as ActionKind[]).filter((kind) => RULES[kind].from.includes(report.status) && mayAct(report, kind, actor));
}

export function isOpen(status: Status): boolean {
  return OPEN_STATUSES.includes(status);
}

export function isStatus(value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Staff: anyone who may own or oversee reports. */
export function isStaff(role: Role): boolean {
  return role !== 'resident';
}

/** Leaders and admins see every report and the digests. */
export function seesEverything(role: Role): boolean {
  return isStaffLead(role);
}
