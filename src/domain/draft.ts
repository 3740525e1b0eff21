/**
 * The report conversation as a pure state machine: what has been collected so far and which
 * question comes next. The bot stores the draft after every step (so a restart loses nothing)
 * and renders the prompt for `draft.step`. Guarded by tests/domain/draft.test.ts.
 */

/** Longest description we accept in one message (Telegram allows 4,096; summaries must still fit). */
export const DESCRIPTION_LIMIT = 2000;
/** Photos per report (a Telegram album holds 10). */
export const PHOTO_LIMIT = 10;
export const HOUSEHOLD_LABEL_LIMIT = 80;
/** An abandoned draft is kept this long, then dropped. */
export const DRAFT_TTL_HOURS = 24;

export type DraftStep = 'mode' | 'household' | 'household_phone' | 'category' | 'describe' | 'place' | 'confirm' | 'duplicate';
export type ChangeField = 'category' | 'description' | 'place';

export interface FileRef {
  fileId: string;
  fileUniqueId?: string;
}

export interface ReportDraft {
  /** Random id of this draft: buttons carry it, and the report remembers it so confirming twice files once. */
  token: string;
  step: DraftStep;
  onBehalf: boolean;
  householdLabel?: string;
  householdPhone?: string;
  categoryId?: number;
  description: string;
  voice?: FileRef & { duration: number };
  photos: FileRef[];
  location?: { latitude: number; longitude: number };
  /** undefined: not asked yet; null: skipped */
  placeId?: number | null;
  anonymous: boolean;
  /** editing one field from the summary: go back to the summary afterwards */
  returnToConfirm: boolean;
  /** number of an open report that looks like the same problem */
  duplicateOf?: number;
}

export type OtherMedia = 'sticker' | 'animation' | 'contact' | 'document' | 'video' | 'video_note' | 'audio' | 'poll' | 'unknown';

export type DraftInput =
  | { kind: 'mode'; onBehalf: boolean }
  | { kind: 'text'; text: string }
  | { kind: 'voice'; fileId: string; fileUniqueId?: string; duration: number }
  | { kind: 'photo'; fileId: string; fileUniqueId?: string; caption?: string }
  | { kind: 'location'; latitude: number; longitude: number }
  | { kind: 'category'; categoryId: number }
  | { kind: 'place'; placeId: number }
  | { kind: 'skip' }
  | { kind: 'next' }
  | { kind: 'change'; field: ChangeField }
  | { kind: 'toggle_anonymous' }
  | { kind: 'other'; what: OtherMedia };

export type DraftRefusal =
  | 'choose_mode'
  | 'choose_category'
  | 'describe_expected'
  | 'document_not_photo'
  | 'unsupported_media'
  | 'text_too_long'
  | 'too_many_photos'
  | 'nothing_described'
  | 'place_expected'
  | 'household_expected'
  | 'phone_invalid'
  | 'use_buttons';

export type DraftOutcome = { kind: 'ok'; draft: ReportDraft } | { kind: 'refused'; reason: DraftRefusal };

/** A new draft: staff first say whether they report for themselves or for a household. */
export function startDraft(token: string, options: { staff: boolean }): ReportDraft {
  return {
    token,
    step: options.staff ? 'mode' : 'category',
    onBehalf: false,
    description: '',
    photos: [],
    anonymous: false,
    returnToConfirm: false,
  };
}

/** True when the draft holds something that describes the problem. */
export function isDescribed(d: ReportDraft): boolean {
  return d.description.trim() !== '' || d.voice !== undefined || d.photos.length > 0;
}

/** True when the draft could be filed as it is. */
export function isComplete(d: ReportDraft): boolean {
  return d.categoryId !== undefined && isDescribed(d) && d.placeId !== undefined;
}

const ok = (draft: ReportDraft): DraftOutcome => ({ kind: 'ok', draft });
const refuse = (reason: DraftRefusal): DraftOutcome => ({ kind: 'refused', reason });

/** After a field is filled: the next question, or back to the summary when editing. */
function advance(d: ReportDraft, next: DraftStep): ReportDraft {
  if (d.returnToConfirm && isComplete(d)) return { ...d, step: 'confirm', returnToConfirm: false };
  return { ...d, step: next };
}

function refuseMedia(what: OtherMedia, photoExpected: boolean): DraftOutcome {
  if (what === 'document' && photoExpected) return refuse('document_not_photo');
  return refuse('unsupported_media');
}

function appendText(existing: string, more: string): string {
  return existing.trim() === '' ? more.trim() : `${existing.trim()}\n${more.trim()}`;
}

/** Applies one input to the draft. Refusals leave the draft exactly as it was. */
export function applyDraftInput(d: ReportDraft, input: DraftInput): DraftOutcome {
  switch (d.step) {
    case 'mode':
      if (input.kind === 'mode') return ok({ ...d, onBehalf: input.onBehalf, step: input.onBehalf ? 'household' : 'category' });
      return refuse('choose_mode');

    case 'household': {
      if (input.kind !== 'text') return input.kind === 'other' ? refuseMedia(input.what, false) : refuse('household_expected');
      const label = input.text.trim();
      if (label === '') return refuse('household_expected');
      if (Array.from(label).length > HOUSEHOLD_LABEL_LIMIT) return refuse('text_too_long');
      return ok({ ...d, householdLabel: label, step: 'household_phone' });
    }

    case 'household_phone': {
      if (input.kind === 'skip') return ok({ ...d, householdPhone: undefined, step: 'category' });
      if (input.kind !== 'text') return refuse('phone_invalid');
      const phone = input.text.replace(/[\s()-]/g, '');
      if (!/^\+?\d{5,15}$/.test(phone)) return refuse('phone_invalid');
      return ok({ ...d, householdPhone: phone, step: 'category' });
    }

    case 'category':
      if (input.kind === 'category') return ok(advance({ ...d, categoryId: input.categoryId }, 'describe'));
      if (input.kind === 'other') return refuseMedia(input.what, false);
      return refuse('choose_category');

    case 'describe':
      switch (input.kind) {
        case 'text': {
          const text = input.text.trim();
          if (text === '') return refuse('describe_expected');
          const description = appendText(d.description, text);
          if (Array.from(description).length > DESCRIPTION_LIMIT) return refuse('text_too_long');
          return ok(advance({ ...d, description }, 'place'));
        }
        case 'voice':
          return ok(advance({ ...d, voice: { fileId: input.fileId, fileUniqueId: input.fileUniqueId, duration: input.duration } }, 'place'));
        case 'photo': {
          if (d.photos.length >= PHOTO_LIMIT) return refuse('too_many_photos');
          const caption = input.caption?.trim() ?? '';
          const description = caption === '' ? d.description : appendText(d.description, caption);
          if (Array.from(description).length > DESCRIPTION_LIMIT) return refuse('text_too_long');
          // stay on this step: more photos may follow, "next" moves on
          return ok({ ...d, description, photos: [...d.photos, { fileId: input.fileId, fileUniqueId: input.fileUniqueId }] });
        }
        case 'next':
          return isDescribed(d) ? ok(advance(d, 'place')) : refuse('nothing_described');
        case 'other':
          return refuseMedia(input.what, true);
        default:
          return refuse('describe_expected');
      }

    case 'place':
      switch (input.kind) {
        case 'place':
          return ok({ ...d, placeId: input.placeId, step: 'confirm', returnToConfirm: false });
        case 'skip':
          return ok({ ...d, placeId: d.placeId ?? null, step: 'confirm', returnToConfirm: false });
        case 'location':
          // stay: the village may still be picked (it decides who owns the report), or skipped
          return ok({ ...d, location: { latitude: input.latitude, longitude: input.longitude } });
        case 'photo':
          if (d.photos.length >= PHOTO_LIMIT) return refuse('too_many_photos');
          return ok({ ...d, photos: [...d.photos, { fileId: input.fileId, fileUniqueId: input.fileUniqueId }] });
        case 'other':
          return refuseMedia(input.what, false);
        default:
          return refuse('place_expected');
      }

    case 'confirm':
      switch (input.kind) {
        case 'toggle_anonymous':
          return ok({ ...d, anonymous: !d.anonymous });
        case 'change':
          if (input.field === 'description') return ok({ ...d, step: 'describe', description: '', voice: undefined, photos: [], returnToConfirm: true });
          if (input.field === 'place') return ok({ ...d, step: 'place', placeId: undefined, location: undefined, returnToConfirm: true });
          return ok({ ...d, step: 'category', returnToConfirm: true });
        case 'other':
          return refuseMedia(input.what, false);
        default:
          return refuse('use_buttons');
      }

    case 'duplicate':
      return refuse('use_buttons');
  }
}
