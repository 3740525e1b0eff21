import { describe, expect, it } from 'vitest';
import { applyDraftInput, DESCRIPTION_LIMIT, isComplete, PHOTO_LIMIT, startDraft, type DraftInput, type ReportDraft } from '../../src/domain/draft.ts';

function run(draft: ReportDraft, ...inputs: DraftInput[]): ReportDraft {
  return inputs.reduce((d, input) => {
    const outcome = applyDraftInput(d, input);
    if (outcome.kind !== 'ok') throw new Error(`refused ${input.kind}: ${outcome.reason}`);
    return outcome.draft;
  }, draft);
}

const resident = () => startDraft('token-1', { staff: false });

describe('report draft', () => {
  it('should start a resident at the category and a cadre at the choice of who it is for', () => {
    expect(resident().step).toBe('category');
    expect(startDraft('t', { staff: true }).step).toBe('mode');
  });

  it('should walk category, text description, village, summary', () => {
    const d = run(resident(), { kind: 'category', categoryId: 1 }, { kind: 'text', text: ' No water since Monday ' }, { kind: 'place', placeId: 7 });
    expect(d).toMatchObject({ step: 'confirm', categoryId: 1, description: 'No water since Monday', placeId: 7 });
    expect(isComplete(d)).toBe(true);
  });

  it('should accept a voice message as the description', () => {
    const d = run(resident(), { kind: 'category', categoryId: 1 }, { kind: 'voice', fileId: 'v1', duration: 12 });
    expect(d.step).toBe('place');
    expect(d.voice).toEqual({ fileId: 'v1', fileUniqueId: undefined, duration: 12 });
  });

  it('should keep collecting photos until next, with captions added to the description', () => {
    const d = run(
      resident(),
      { kind: 'category', categoryId: 2 },
      { kind: 'photo', fileId: 'p1', caption: 'Pothole' },
      { kind: 'photo', fileId: 'p2' },
    );
    expect(d.step).toBe('describe');
    expect(d.photos.map((p) => p.fileId)).toEqual(['p1', 'p2']);
    expect(d.description).toBe('Pothole');
    expect(run(d, { kind: 'next' }).step).toBe('place');
  });

  it('should refuse next before anything describes the problem', () => {
    const d = run(resident(), { kind: 'category', categoryId: 2 });
    expect(applyDraftInput(d, { kind: 'next' })).toEqual({ kind: 'refused', reason: 'nothing_described' });
  });

  it('should refuse stickers, documents and over-long text and leave the draft as it was', () => {
    const d = run(resident(), { kind: 'category', categoryId: 2 });
    expect(applyDraftInput(d, { kind: 'other', what: 'sticker' })).toEqual({ kind: 'refused', reason: 'unsupported_media' });
    expect(applyDraftInput(d, { kind: 'other', what: 'document' })).toEqual({ kind: 'refused', reason: 'document_not_photo' });
    expect(applyDraftInput(d, { kind: 'text', text: 'x'.repeat(DESCRIPTION_LIMIT + 1) })).toEqual({ kind: 'refused', reason: 'text_too_long' });
    expect(applyDraftInput(d, { kind: 'text', text: '   ' })).toEqual({ kind: 'refused', reason: 'describe_expected' });
    expect(d.description).toBe('');
  });

  it('should refuse typed text where a category button is expected', () => {
    expect(applyDraftInput(resident(), { kind: 'text', text: 'water' })).toEqual({ kind: 'refused', reason: 'choose_category' });
  });

  it('should stop at the photo limit', () => {
    let d = run(resident(), { kind: 'category', categoryId: 2 });
    for (let i = 0; i < PHOTO_LIMIT; i += 1) d = run(d, { kind: 'photo', fileId: `p${i}` });
    expect(applyDraftInput(d, { kind: 'photo', fileId: 'one-too-many' })).toEqual({ kind: 'refused', reason: 'too_many_photos' });
  });

  it('should keep a shared location and still ask for the village, or skip', () => {
    const atPlace = run(resident(), { kind: 'category', categoryId: 2 }, { kind: 'text', text: 'Broken bridge' });
    const located = run(atPlace, { kind: 'location', latitude: 39.47, longitude: 75.99 });
    expect(located).toMatchObject({ step: 'place', location: { latitude: 39.47, longitude: 75.99 } });
    expect(run(located, { kind: 'skip' })).toMatchObject({ step: 'confirm', placeId: null });
  });

  it('should return to the summary after changing one field', () => {
    const done = run(resident(), { kind: 'category', categoryId: 1 }, { kind: 'text', text: 'Dry tap' }, { kind: 'place', placeId: 3 });
    const changed = run(done, { kind: 'change', field: 'category' }, { kind: 'category', categoryId: 5 });
    expect(changed).toMatchObject({ step: 'confirm', categoryId: 5, description: 'Dry tap', placeId: 3 });
    const redescribed = run(done, { kind: 'change', field: 'description' }, { kind: 'voice', fileId: 'v', duration: 3 });
    expect(redescribed).toMatchObject({ step: 'confirm', description: '', voice: { fileId: 'v' } });
  });

  it('should toggle anonymous reporting on the summary', () => {
    const done = run(resident(), { kind: 'category', categoryId: 1 }, { kind: 'text', text: 'x' }, { kind: 'skip' });
    expect(run(done, { kind: 'toggle_anonymous' }).anonymous).toBe(true);
    expect(run(done, { kind: 'toggle_anonymous' }, { kind: 'toggle_anonymous' }).anonymous).toBe(false);
  });

  it('should take a household label and an optional phone for a report filed on behalf of a household', () => {
    const d = run(startDraft('t', { staff: true }), { kind: 'mode', onBehalf: true }, { kind: 'text', text: 'House 14, Ahmet family' });
    expect(d.step).toBe('household_phone');
    expect(applyDraftInput(d, { kind: 'text', text: 'call me' })).toEqual({ kind: 'refused', reason: 'phone_invalid' });
    expect(run(d, { kind: 'text', text: '138 0000 1111' })).toMatchObject({ step: 'category', householdPhone: '13800001111', householdLabel: 'House 14, Ahmet family' });
    expect(run(d, { kind: 'skip' })).toMatchObject({ step: 'category', householdPhone: undefined });
  });
});
