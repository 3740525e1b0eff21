import type { Category, Names, Place } from '../domain/types.ts';
import type { Locale, T } from './index.ts';
import { zonedParts } from '../domain/time.ts';

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-11-30 10:00" in the deployment's time zone: the same in every language, unambiguous. */
export function formatDateTime(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** "2026-11-30" in the deployment's time zone. */
export function formatDate(at: Date, timeZone: string): string {
  return formatDateTime(at, timeZone).slice(0, 10);
}

/** A report's number as people say it: #12. */
export function reportRef(number: number): string {
  return `#${number}`;
}

function pick(names: Names, locale: Locale): string | null {
  return names[locale] ?? null;
}

/** A category's name in a language: the administrator's name if given, else the locale file's. */
export function categoryName(category: Pick<Category, 'code' | 'names'>, locale: Locale, t: T): string {
  const explicit = pick(category.names, locale);
  if (explicit) return explicit;
  try {
    return t(`categories:${category.code}`);
  } catch {
    return category.names.zh ?? category.names.ug ?? category.names.en ?? category.code;
  }
}

/** A village's name in a language (villages always have Uyghur and Chinese names). */
export function placeName(place: Pick<Place, 'names' | 'code'>, locale: Locale): string {
  return pick(place.names, locale) ?? place.names.zh ?? place.names.ug ?? place.code;
}
