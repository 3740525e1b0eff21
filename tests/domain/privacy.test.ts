import { describe, expect, it } from 'vitest';
import { decideForget, isErasedPerson, mayEraseHousehold, retentionCutoffs, ERASED_TELEGRAM_ID } from '../../src/domain/privacy.ts';

describe('decideForget', () => {
  it('should let a resident or staff without open reports go', () => {
    expect(decideForget({ role: 'resident' }, { openOwned: 0, admins: 1 })).toEqual({ kind: 'allowed' });
    expect(decideForget({ role: 'cadre' }, { openOwned: 0, admins: 1 })).toEqual({ kind: 'allowed' });
    expect(decideForget({ role: 'admin' }, { openOwned: 0, admins: 2 })).toEqual({ kind: 'allowed' });
  });
  it('should ask staff to hand over their open reports first', () => {
    expect(decideForget({ role: 'cadre' }, { openOwned: 1, admins: 1 })).toEqual({ kind: 'refused', reason: 'hand_over_first' });
    expect(decideForget({ role: 'admin' }, { openOwned: 3, admins: 2 })).toEqual({ kind: 'refused', reason: 'hand_over_first' });
  });
  it('should never erase the last administrator', () => {
    expect(decideForget({ role: 'admin' }, { openOwned: 0, admins: 1 })).toEqual({ kind: 'refused', reason: 'last_admin' });
    expect(decideForget({ role: 'admin' }, { openOwned: 2, admins: 1 })).toEqual({ kind: 'refused', reason: 'last_admin' });
  });
});

describe('mayEraseHousehold', () => {
  const household = { reporterId: 7, householdLabel: 'No. 14' };
  it('should allow the cadre who filed it and any administrator', () => {
    expect(mayEraseHousehold({ id: 7, role: 'cadre' }, household)).toBe(true);
    expect(mayEraseHousehold({ id: 9, role: 'admin' }, household)).toBe(true);
  });
  it('should refuse anyone else, and any report that is not a household\'s', () => {
    expect(mayEraseHousehold({ id: 8, role: 'cadre' }, household)).toBe(false);
    expect(mayEraseHousehold({ id: 8, role: 'leader' }, household)).toBe(false);
    expect(mayEraseHousehold({ id: 7, role: 'resident' }, household)).toBe(false);
    expect(mayEraseHousehold({ id: 9, role: 'admin' }, { reporterId: 7, householdLabel: null })).toBe(false);
  });
});

describe('retentionCutoffs', () => {
  it('should count whole days back from now, whatever the clock says today', () => {
    const now = new Date('2026-03-01T00:30:00Z');
    expect(retentionCutoffs(now, { reporterLinkDays: 365, deliveredOutboxDays: 3, updateIdDays: 2 })).toEqual({
      reporterLink: new Date('2025-03-01T00:30:00Z'),
      outbox: new Date('2026-02-26T00:30:00Z'),
      updateIds: new Date('2026-02-27T00:30:00Z'),
    });
  });
});

describe('isErasedPerson', () => {
  it('should recognise the placeholder by its Telegram id, as a number or a bigint', () => {
    expect(isErasedPerson({ telegramId: ERASED_TELEGRAM_ID })).toBe(true);
    expect(isErasedPerson({ telegramId: 0n })).toBe(true);
    expect(isErasedPerson({ telegramId: 42 })).toBe(false);
  });
});
