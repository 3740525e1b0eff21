import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n as I18n, type Resource } from 'i18next';
import { Html, escapeHtml, hasRtlLetters, isolate, isolateCommands, rtlLines, withoutRlm } from './text.ts';

export const LOCALES = ['ug', 'zh', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

export const LOCALES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../locales');

/** A value a translation may interpolate: strings and numbers are escaped (and isolated in RTL). */
export type TVar = string | number | Html;
export type TVars = Record<string, TVar>;
/** Translates a key ("namespace:key") for one language, with HTML-safe interpolation. */
export type T = (key: string, vars?: TVars & { count?: number }) => string;

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** True for right-to-left languages (Uyghur). */
export function isRtl(locale: Locale): boolean {
  return locale === 'ug';
}

/** Reads every locales/<lng>/<namespace>.json into an i18next resource object. */
export function readLocaleFiles(dir: string = LOCALES_DIR): Resource {
  const resources: Resource = {};
  for (const lng of LOCALES) {
    const folder = path.join(dir, lng);
    resources[lng] = {};
    for (const file of fs.readdirSync(folder).filter((f) => f.endsWith('.json'))) {
      resources[lng][file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(folder, file), 'utf8'));
    }
  }
  return resources;
}

type Tree = { [key: string]: unknown };
const mapStrings = (tree: Tree, f: (text: string) => string): Tree =>
  Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, typeof v === 'string' ? f(v) : v && typeof v === 'object' ? mapStrings(v as Tree, f) : v]));

/**
 * The templates as right-to-left readers get them: every slash command isolated. Done here, once,
 * rather than with invisible characters in the locale files, so that every namespace (also those
 * added later) is covered and translators edit plain text.
 */
function forRtlReaders(resources: Resource): Resource {
  return Object.fromEntries(
    Object.entries(resources).map(([lng, namespaces]) => [lng, isRtl(lng as Locale) ? (mapStrings(namespaces as Tree, isolateCommands) as Resource[string]) : namespaces]),
  );
}

/** All texts of the product, in every language, loaded once. */
export class Texts {
  private readonly i18n: I18n;

  constructor(resources: Resource = readLocaleFiles()) {
    this.i18n = i18next.createInstance();
    void this.i18n.init({
      resources: forRtlReaders(resources),
      initAsync: false,
      fallbackLng: false,
      supportedLngs: [...LOCALES],
      ns: Object.keys(resources.en ?? {}),
      defaultNS: 'report',
      // Values are escaped by `forLocale` below, where the language is known.
      interpolation: { escapeValue: false },
      returnNull: false,
    });
  }

  /**
   * The translator for one language. Interpolated strings and numbers are HTML-escaped and,
   * in Uyghur, wrapped in directional isolates (in Chinese and English, those holding Uyghur letters); pass `html(...)` for trusted markup.
   * In Uyghur every line of the result starts with a right-to-left mark (see `rtlLines`), and a
   * rendered piece passed back in (a status, a rate) loses its marks so that only line starts carry one.
   */
  forLocale(locale: Locale): T {
    const fixed = this.i18n.getFixedT(locale);
    const rtl = isRtl(locale);
    return (key, vars = {}) => {
      const prepared: Record<string, string | number> = {};
      for (const [name, value] of Object.entries(vars)) {
        if (value instanceof Html) prepared[name] = rtl ? withoutRlm(value.html) : value.html;
        else if (name === 'count' && typeof value === 'number') prepared[name] = value;
        else if (rtl) prepared[name] = isolate(escapeHtml(withoutRlm(String(value))));
        // a Uyghur name inside a Chinese or English line ("1. مەمەت：7") would pull the figure
        // after it to its side: isolate values that hold right-to-left letters, and only those
        else prepared[name] = hasRtlLetters(String(value)) ? isolate(escapeHtml(String(value))) : escapeHtml(String(value));
      }
      if (!this.i18n.exists(key, { lng: locale, ...prepared })) throw new Error(`Missing translation ${locale}:${key}`);
      const text = fixed(key, prepared);
      return rtl ? rtlLines(text) : text;
    };
  }

  /** True when the key exists in that language. */
  has(locale: Locale, key: string): boolean {
    return this.i18n.exists(key, { lng: locale });
  }
}
