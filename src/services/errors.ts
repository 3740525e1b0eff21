/** Stable codes for what a use case refuses; the bot turns each into a sentence (locales errors:<code>). */
export type RefusalCode =
  | 'report_not_found'
  | 'not_yours'
  | 'not_allowed_now'
  | 'not_permitted'
  | 'note_required'
  | 'same_owner'
  | 'owner_not_found'
  | 'invite_unknown'
  | 'invite_used'
  | 'invite_expired'
  | 'category_not_found'
  | 'place_not_found'
  | 'user_not_found'
  | 'hand_over_first'
  | 'last_admin'
  | 'reporter_left';

/** A use case said no: nothing was changed. */
export class Refused extends Error {
  override readonly name = 'Refused';
  constructor(readonly code: RefusalCode) {
    super(`refused: ${code}`);
  }
}
