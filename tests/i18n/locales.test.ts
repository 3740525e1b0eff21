import { describe, expect, it } from 'vitest';
import { LOCALES, readLocaleFiles, Texts } from '../../src/i18n/index.ts';
import { FSI, PDI, escapeHtml, splitMessage } from '../../src/i18n/text.ts';

type Tree = { [key: string]: string | Tree };
const flatten = (tree: Tree, prefix = ''): Array<[string, string]> =>
  Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [[prefix + k, v] as [string, string]] : flatten(v, `${prefix}${k}.`)));
const PLURAL = /_(zero|one|two|few|many|other)$/;
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*-?\s*(\w+)[^}]*\}\}/g)].map((m) => m[1] ?? "").sort();

const resources = readLocaleFiles();
/** namespace:key (plural suffix removed) -> placeholders, per language */
const byLanguage = Object.fromEntries(
  LOCALES.map((lng) => {
    const map = new Map<string, string[]>();
    for (const [ns, tree] of Object.entries(resources[lng] ?? {})) {
      for (const [key, text] of flatten(tree as Tree)) {
        const base = `${ns}:${key.replace(PLURAL, '')}`;
        map.set(base, [...new Set([...(map.get(base) ?? []), ...placeholders(text)])].sort());
      }
    }
    return [lng, map];
  }),
);

describe('locale files', () => {
  it('should have the same keys in every language', () => {
    const all = new Set(LOCALES.flatMap((l) => [...byLanguage[l]!.keys()]));
    for (const lng of LOCALES) {
      const missing = [...all].filter((k) => !byLanguage[lng]!.has(k));
      expect(missing, `missing in ${lng}`).toEqual([]);
    }
  });

  it('should use the same placeholders in every language', () => {
    for (const [key, expected] of byLanguage.en!) {
      for (const lng of LOCALES) expect(byLanguage[lng]!.get(key), `${lng} ${key}`).toEqual(expected);
    }
  });

  it('should give plural keys the forms each language needs (ug: one/other, zh: other)', () => {
    const rules = { ug: ['one', 'other'], zh: ['other'], en: ['one', 'other'] } as const;
    for (const lng of LOCALES) {
      expect(new Intl.PluralRules(lng).resolvedOptions().pluralCategories.sort()).toEqual([...rules[lng]].sort());
      for (const [ns, tree] of Object.entries(resources[lng] ?? {})) {
        const keys = flatten(tree as Tree).map(([k]) => k);
        const plurals = new Set(keys.filter((k) => PLURAL.test(k)).map((k) => k.replace(PLURAL, '')));
        for (const base of plurals) {
          for (const form of rules[lng]) expect(keys, `${lng} ${ns}:${base}_${form}`).toContain(`${base}_${form}`);
        }
      }
    }
  });

  it('should start every Uyghur text with Uyghur, an emoji or markup, never with Latin letters', () => {
    for (const [ns, tree] of Object.entries(resources.ug ?? {})) {
      if (ns === 'commands' || ns === 'common') continue;
      for (const [key, text] of flatten(tree as Tree)) {
        const firstLetter = text.replace(/<[^>]+>/g, '').replace(/\{\{[^}]+\}\}/g, '').match(/\p{L}/u)?.[0];
        if (firstLetter && !['reporter_name', 'line', 'user_line', 'village_line', 'queue_line', 'category_line', 'task_line', 'task_line_overdue'].some((k) => key.startsWith(k)))
          expect(/\p{Script=Arabic}/u.test(firstLetter), `ug ${ns}:${key} starts with "${firstLetter}"`).toBe(true);
      }
    }
  });
});

describe('Texts', () => {
  const texts = new Texts();
  it('should escape interpolated user text for HTML', () => {
    const t = texts.forLocale('zh');
    expect(t('report:card_description', { description: '<b>水</b> & 电' })).toBe('描述：&lt;b&gt;水&lt;/b&gt; &amp; 电');
  });
  it('should isolate interpolated values in Uyghur messages', () => {
    const t = texts.forLocale('ug');
    expect(t('report:already_filed', { ref: '#12' })).toBe(`\u200Fبۇ ئىنكاس <b>${FSI}#12${PDI}</b> نومۇر بىلەن تىزىملىنىپ بولغان.`);
  });
  it('should choose plural forms by count', () => {
    expect(texts.forLocale('en')('report:card_photos', { count: 1 })).toBe('📷 1 photo');
    expect(texts.forLocale('en')('report:card_photos', { count: 3 })).toBe('📷 3 photos');
    expect(texts.forLocale('zh')('report:card_photos', { count: 3 })).toBe('📷 3张照片');
  });
  it('should throw on a missing key rather than show the key to a villager', () => {
    expect(() => texts.forLocale('ug')('report:no_such_key')).toThrow(/Missing translation/);
  });
});

describe('text helpers', () => {
  it('should escape only what Telegram HTML needs', () => {
    expect(escapeHtml('a < b && c > "d"')).toBe('a &lt; b &amp;&amp; c &gt; "d"');
  });
  it('should split long messages on line boundaries within the limit', () => {
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    const parts = splitMessage(lines.join('\n'), 4096);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(4096);
    expect(parts.join('\n')).toBe(lines.join('\n'));
  });
});
