/**
 * Who owns a new report: the owner set for this village and category, else the category's
 * default owner, else nobody (the report waits in the leaders' queue).
 */
export function routeOwner(input: { villageRuleOwnerId: number | null; categoryDefaultOwnerId: number | null }): number | null {
  return input.villageRuleOwnerId ?? input.categoryDefaultOwnerId ?? null;
}

/** Days within which a new report is compared with open ones of the same category and village. */
export const SIMILAR_WINDOW_DAYS = 14;
