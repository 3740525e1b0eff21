import { describe, expect, it } from 'vitest';
import { availableActions, decideTransition, STATUSES, type Action, type Actor, type ReportState, type Status } from '../../src/domain/lifecycle.ts';

const OWNER = 10;
const REPORTER = 20;
const owner: Actor = { kind: 'user', userId: OWNER, role: 'cadre' };
const reporter: Actor = { kind: 'user', userId: REPORTER, role: 'resident' };
const leader: Actor = { kind: 'user', userId: 30, role: 'leader' };
const stranger: Actor = { kind: 'user', userId: 40, role: 'cadre' };
const system: Actor = { kind: 'system' };

const state = (status: Status, ownerId: number | null = OWNER): ReportState => ({ status, ownerId, reporterId: REPORTER });

/** Every action with the actor who would normally take it, and the statuses it may start from. */
const TABLE: Array<{ action: Action; actor: Actor; from: Status[]; to: Status }> = [
  { action: { kind: 'assign', ownerId: 99 }, actor: leader, from: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'assigned' },
  { action: { kind: 'unassign' }, actor: owner, from: ['assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'new' },
  { action: { kind: 'acknowledge' }, actor: owner, from: ['assigned'], to: 'acknowledged' },
  { action: { kind: 'start' }, actor: owner, from: ['assigned', 'acknowledged', 'reopened'], to: 'in_progress' },
  { action: { kind: 'ask', question: 'Which well?' }, actor: owner, from: ['acknowledged', 'in_progress', 'reopened'], to: 'needs_info' },
  { action: { kind: 'answer', answer: 'The east one' }, actor: reporter, from: ['needs_info'], to: 'in_progress' },
  { action: { kind: 'resolve', note: 'Pipe fixed' }, actor: owner, from: ['acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'resolved' },
  { action: { kind: 'satisfied' }, actor: reporter, from: ['resolved'], to: 'closed' },
  { action: { kind: 'not_satisfied', reason: 'Still leaking' }, actor: reporter, from: ['resolved'], to: 'reopened' },
  { action: { kind: 'no_answer' }, actor: system, from: ['resolved'], to: 'closed' },
  { action: { kind: 'reject', reason: 'Not a public service' }, actor: owner, from: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'rejected' },
  { action: { kind: 'not_responsible', reason: 'County road office' }, actor: leader, from: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'not_responsible' },
  { action: { kind: 'duplicate', ofNumber: 3, reason: '#3' }, actor: owner, from: ['new', 'assigned', 'acknowledged', 'in_progress', 'needs_info', 'reopened'], to: 'duplicate' },
];

describe('decideTransition', () => {
  for (const row of TABLE) {
    for (const status of STATUSES) {
      const allowed = row.from.includes(status);
      it(`should ${allowed ? 'allow' : 'refuse'} ${row.action.kind} from ${status}`, () => {
        const decision = decideTransition(state(status), row.action, row.actor);
        if (allowed) expect(decision).toMatchObject({ kind: 'allowed', from: status, to: row.to });
        else expect(decision).toEqual({ kind: 'refused', reason: 'not_allowed_now' });
      });
    }
  }

  it('should refuse owner actions by someone who does not own the report', () => {
    for (const kind of ['acknowledge', 'start', 'resolve'] as const) {
      const action = (kind === 'resolve' ? { kind, note: 'x' } : { kind }) as Action;
      expect(decideTransition(state('assigned'), action, stranger)).toEqual({ kind: 'refused', reason: 'not_permitted' });
      expect(decideTransition(state('assigned'), action, reporter)).toEqual({ kind: 'refused', reason: 'not_permitted' });
    }
  });

  it('should let only the reporter answer satisfaction and questions', () => {
    expect(decideTransition(state('resolved'), { kind: 'satisfied' }, owner).kind).toBe('refused');
    expect(decideTransition(state('resolved'), { kind: 'satisfied' }, leader).kind).toBe('refused');
    expect(decideTransition(state('needs_info'), { kind: 'answer', answer: 'x' }, stranger).kind).toBe('refused');
  });

  it('should refuse a resident who forges an assignment or a rejection', () => {
    expect(decideTransition(state('new', null), { kind: 'assign', ownerId: REPORTER }, reporter)).toEqual({ kind: 'refused', reason: 'not_permitted' });
    expect(decideTransition(state('assigned'), { kind: 'reject', reason: 'x' }, reporter)).toEqual({ kind: 'refused', reason: 'not_permitted' });
  });

  it('should require a note for questions, resolutions and reasons', () => {
    expect(decideTransition(state('in_progress'), { kind: 'resolve', note: '  ' }, owner)).toEqual({ kind: 'refused', reason: 'note_required' });
    expect(decideTransition(state('resolved'), { kind: 'not_satisfied', reason: '' }, reporter)).toEqual({ kind: 'refused', reason: 'note_required' });
  });

  it('should refuse handing a report to its own owner', () => {
    expect(decideTransition(state('in_progress'), { kind: 'assign', ownerId: OWNER }, owner)).toEqual({ kind: 'refused', reason: 'same_owner' });
  });

  it('should let the system only assign and close unanswered reports', () => {
    expect(decideTransition(state('resolved'), { kind: 'no_answer' }, system).kind).toBe('allowed');
    expect(decideTransition(state('assigned'), { kind: 'acknowledge' }, system)).toEqual({ kind: 'refused', reason: 'not_permitted' });
    expect(decideTransition(state('resolved'), { kind: 'no_answer' }, reporter)).toEqual({ kind: 'refused', reason: 'not_permitted' });
  });

  it('should allow nothing on a finished report', () => {
    for (const status of ['closed', 'rejected', 'not_responsible', 'duplicate'] as const) {
      expect(availableActions(state(status), owner)).toEqual([]);
      expect(availableActions(state(status), leader)).toEqual([]);
    }
  });
});

describe('availableActions', () => {
  it('should offer the owner of an assigned report acknowledge, start, hand over and reject', () => {
    expect(availableActions(state('assigned'), owner).sort()).toEqual(['acknowledge', 'assign', 'duplicate', 'not_responsible', 'reject', 'start', 'unassign'].sort());
  });
  it('should offer the reporter of a resolved report the satisfaction answers only', () => {
    expect(availableActions(state('resolved'), reporter).sort()).toEqual(['not_satisfied', 'satisfied']);
  });
});
