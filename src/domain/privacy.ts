/**
 * What the ledger keeps about a person and for how long: pure rules, no Prisma, no clock.
 * Guarded by tests/domain/privacy.test.ts.
 */
import { DAY_MS } from './time.ts';
import type { Role } from './lifecycle.ts';

/**
 * The stand-in for everyone whose link to a report was erased (they asked to be forgotten, or
 * the retention period after closing passed). A report keeps its reporter column pointing here,
 * so figures and history stay whole while nobody can be found from it. Its Telegram id, 0, is
 * no chat at all: a message that ever slipped through to it would fail, never reach someone.
 */
export const ERASED_TELEGRAM_ID = 0;
/** How the erased person's name reads wherever a name is printed (staff lists, rankings). */
export const ERASED_DISPLAY_NAME = '—';
/** The note of an event whose text (a relayed answer, a reason) was erased; rendered as "erased". */
export const ERASED_NOTE = '[erased]';

/** Whether a person row is the erased stand-in. */
export function isErasedPerson(user: { telegramId: number | bigint }): boolean {
  return Number(user.telegramId) === ERASED_TELEGRAM_ID;
}

/** How long things are kept, from the environment. */
export interface RetentionPolicy {
  /** days after closing that a report keeps the link to its reporter (and a household's name and phone) */
  reporterLinkDays: number;
  /** days a delivered (or given-up) outbox message is kept */
  deliveredOutboxDays: number;
  /** days an update id is remembered against Telegram's re-deliveries */
  updateIdDays: number;
}

/** The moments before which each kind of record is due to go. */
export function retentionCutoffs(now: Date, policy: RetentionPolicy): { reporterLink: Date; outbox: Date; updateIds: Date } {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  return { reporterLink: before(policy.reporterLinkDays), outbox: before(policy.deliveredOutboxDays), updateIds: before(policy.updateIdDays) };
}

export type ForgetRefusal = 'hand_over_first' | 'last_admin';
export type ForgetDecision = { kind: 'allowed' } | { kind: 'refused'; reason: ForgetRefusal };

/**
 * Whether a person may be erased now. Staff first hand over the reports they still own (a
 * report is never left with an owner nobody can reach), and the last administrator stays,
 * or nobody could run the bot.
 */
export function decideForget(person: { role: Role }, facts: { openOwned: number; admins: number }): ForgetDecision {
  if (person.role === 'admin' && facts.admins <= 1) return { kind: 'refused', reason: 'last_admin' };
  if (facts.openOwned > 0) return { kind: 'refused', reason: 'hand_over_first' };
  return { kind: 'allowed' };
}

/**
 * Who may erase a household report filed on someone's behalf: the cadre who filed it, or an
 * administrator. Reports a person filed for themselves are erased only by /forget of their own.
 */
export function mayEraseHousehold(actor: { id: number; role: Role }, report: { reporterId: number; householdLabel: string | null }): boolean {
  if (report.householdLabel === null) return false;
  return actor.role === 'admin' || (actor.role !== 'resident' && report.reporterId === actor.id);
}
