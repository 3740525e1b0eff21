import type { Category, Names, Place } from '../domain/types.ts';
import type { Rate } from '../domain/rates.ts';
import { isRtl, type Locale, type T } from './index.ts';
import { html, isolateLtr, withoutRlm, type Html } from './text.ts';
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

/**
 * A rate as leaders read it, "%50 (2/4)" in Uyghur and "50% (2/4)" in Chinese, or "no data".
 * The one form of every rate and fraction (digest:response, digest:rank_rate, ...): its figures go
 * in unisolated so the fraction stays one number, and in Uyghur the whole is isolated left to
 * right, or the bidi algorithm would show "4/2" (tests/i18n/bidi.test.ts).
 */
export function formatRate(rate: Rate, locale: Locale, t: T): Html {
  if (rate.value === null) return html(t('digest:no_data'));
  const figure = (n: number) => html(String(n));
  const text = t('digest:rate_value', { percent: figure(Math.round(rate.value * 100)), n: figure(rate.numerator), d: figure(rate.denominator) });
  return html(isRtl(locale) ? isolateLtr(withoutRlm(text)) : text);
}

/**
 * The arrows of a pager row in the order to lay them out, left to right. A right-to-left reader
 * goes forward to the left: "next" is ◀ and comes first.
 */
export function pagerButtons<B>(locale: Locale, previous: ((arrow: string) => B) | null, next: ((arrow: string) => B) | null): B[] {
  const rtl = isRtl(locale);
  const prev = previous ? [previous(rtl ? '▶' : '◀')] : [];
  const fwd = next ? [next(rtl ? '◀' : '▶')] : [];
  return rtl ? [...fwd, ...prev] : [...prev, ...fwd];
}

/** What separates the items of a list in running text: the Arabic comma in Uyghur, 、 in Chinese. */
export function listSeparator(locale: Locale): string {
  return locale === 'ug' ? '، ' : locale === 'zh' ? '、' : ', ';
}
