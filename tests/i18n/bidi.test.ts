/**
 * Every Uyghur string of every locale file (the folder is read, so namespaces added later are covered),
 * filled the way the product fills it, run through the Unicode bidi algorithm (bidi-js): what a
 * reader sees, in visual order.
 */
import fs from 'node:fs';
import path from 'node:path';
import bidiJs from 'bidi-js';
import { describe, expect, it } from 'vitest';
import { LOCALES_DIR, readLocaleFiles, Texts, type T, type TVars } from '../../src/i18n/index.ts';
import { formatRate, pagerButtons } from '../../src/i18n/format.ts';
import { escapeHtml, html, isolate, plainText } from '../../src/i18n/text.ts';

// bidi-js is CommonJS typed as an ES module: TypeScript sees { default }, the runtime the function itself
type Factory = typeof bidiJs.default;
const bidiFactory: Factory = typeof bidiJs === 'function' ? (bidiJs as unknown as Factory) : bidiJs.default;
const bidi = bidiFactory();
const RLM = '\u200F';
const ISOLATE_OPEN = /[\u2066\u2067\u2068]/g;
const CONTROLS = /[\u200E\u200F\u2066-\u2069]/g;
const HAS_CONTROL = /[\u200E\u200F\u2066-\u2069]/;

type Tree = { [key: string]: string | Tree };
const flatten = (tree: Tree, prefix = ''): Array<[string, string]> =>
  Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [[prefix + k, v] as [string, string]] : flatten(v, `${prefix}${k}.`)));
const PLURAL = /_(zero|one|two|few|many|other)$/;
const placeholders = (text: string) => [...new Set([...text.matchAll(/\{\{\s*-?\s*(\w+)[^}]*\}\}/g)].map((m) => m[1] ?? ''))];

/** Telegram shows the text of the HTML, not its tags: the bidi algorithm runs on that. */
const shown = (htmlText: string) => htmlText.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** One line as displayed: its paragraph level and its characters left to right (marks dropped). */
function display(line: string): { level: number; visual: string; position: (logicalIndex: number) => number } {
  const levels = bidi.getEmbeddingLevels(line);
  const units = Array.from({ length: line.length }, (_, i) => i);
  for (const segment of bidi.getReorderSegments(line, levels)) {
    const [start, end] = segment as [number, number];
    const flipped = units.slice(start, end + 1).reverse();
    units.splice(start, flipped.length, ...flipped);
  }
  const visualIndex = new Map(units.map((logical, visual) => [logical, visual]));
  return {
    level: levels.paragraphs[0]?.level ?? 0,
    visual: units.map((i) => line[i]).join('').replace(CONTROLS, ''),
    position: (i) => visualIndex.get(i) ?? -1,
  };
}

const resources = readLocaleFiles();
const ugTrees = resources.ug as Record<string, Tree>;
const texts = new Texts(resources);
const t = texts.forLocale('ug');

// Realistic values, the kinds that break right-to-left text: report numbers, dates, fractions,
// Latin names, Chinese names inside Uyghur, user text mixing both, links and codes.
const REF = '#12';
const WHEN = '2026-11-30 10:00';
const LATIN = 'Ali Hasan';
const CHINESE = '阿克苏村';
const USER_TEXT = 'سۇ 3 كۈندىن بېرى يوق (停水3天), Ali: 2/4 ئائىلە';
const LINK = 'https://t.me/village_desk_bot?start=inv_AbC123';
const RATE = { numerator: 2, denominator: 4, value: 0.5 };
const userText = (text: string) => html(isolate(escapeHtml(text)));

const NUMBERS: Record<string, number> = { new: 11, open: 22, overdue: 33, resolved: 44, closed: 55, i: 1, level: 2, limit: 2000, hours: 120 };
const BY_NAME: Record<string, (tr: T) => TVars[string]> = {
  ref: () => REF,
  of: () => '#7',
  due: () => WHEN,
  when: () => WHEN,
  expires: () => WHEN,
  range: () => '2026-11-01 – 2026-11-30',
  name: () => LATIN,
  owner: () => LATIN,
  who: () => LATIN,
  reporter: (tr) => html(tr('report:reporter_name', { name: LATIN })),
  category: () => 'ئىچىملىك سۇ',
  place: () => CHINESE,
  label: () => 'Aksu',
  villages: () => `ئاقسۇ كەنتى, ${CHINESE}`,
  ug: () => 'ئاقسۇ كەنتى',
  zh: () => CHINESE,
  code: () => 'roads',
  status: (tr) => tr('statuses:in_progress'),
  role: (tr) => tr('roles:cadre'),
  period: (tr) => html(tr('digest:period_week')),
  note: () => userText(USER_TEXT),
  description: () => userText(USER_TEXT),
  link: () => LINK,
  unreachable: (tr) => tr('staff:unreachable'),
  active: (tr) => tr('staff:inactive'),
  what: (tr) => html(tr('history:to_status', { status: tr('statuses:resolved') })),
  ack: (tr) => html(tr('digest:hours', { value: '12.5' })),
  resolve: (tr) => html(tr('digest:days', { value: '3.2' })),
  value: (tr) => formatRate(RATE, 'ug', tr),
};
/** Where the product passes a value other than the name suggests. */
const BY_KEY: Record<string, Record<string, (tr: T) => TVars[string]>> = {
  'digest:hours': { value: () => '12.5' },
  'digest:days': { value: () => '3.2' },
  'history:line': { note: (tr) => html(tr('history:note', { note: userText(USER_TEXT) })) },
};

function fill(key: string, template: string, count: number | undefined): TVars & { count?: number } {
  const vars: TVars & { count?: number } = count === undefined ? {} : { count };
  for (const name of placeholders(template)) {
    if (name === 'count') vars.count = count ?? 3;
    else if (name.startsWith('d') && name.length > 1 && name.slice(1) in NUMBERS) vars[name] = '▲2';
    else if (BY_KEY[key]?.[name]) vars[name] = BY_KEY[key][name](t);
    else if (name in NUMBERS) vars[name] = NUMBERS[name]!;
    else if (BY_NAME[name]) vars[name] = BY_NAME[name](t);
    else vars[name] = 'Item 7'; // a placeholder this test does not know yet: Latin and a number, the hard case
  }
  return vars;
}

interface Rendered {
  key: string;
  template: string;
  text: string;
}

/** Every ug string rendered: plural keys with 1 and with 3, digest:rate_value through formatRate as the product does. */
function renderAll(): Rendered[] {
  const out: Rendered[] = [];
  for (const [ns, tree] of Object.entries(ugTrees)) {
    for (const [k, template] of flatten(tree)) {
      const base = k.replace(PLURAL, '');
      const key = `${ns}:${base}`;
      if (key === 'digest:rate_value') {
        out.push({ key, template, text: formatRate(RATE, 'ug', t).html });
        continue;
      }
      const count = PLURAL.test(k) ? (k.endsWith('_one') ? 1 : 3) : undefined;
      out.push({ key: `${ns}:${k}`, template, text: t(key, fill(key, template, count)) });
    }
  }
  return out;
}

const rendered = renderAll();
/** Whole texts' lines; digest:rate_value is only ever a piece inside another line. */
const lines = rendered.filter((r) => r.key !== 'digest:rate_value').flatMap((r) => r.text.split('\n').map((line, n) => ({ ...r, n, line })));

describe('Uyghur display (bidi algorithm)', () => {
  it('should render every Uyghur string of every locale file', () => {
    const files = fs.readdirSync(path.join(LOCALES_DIR, 'ug')).filter((f) => f.endsWith('.json'));
    expect(Object.keys(ugTrees).sort()).toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());
    const keys = Object.values(ugTrees).reduce((n, tree) => n + flatten(tree).length, 0);
    expect(new Set(rendered.map((r) => r.key)).size).toBe(keys);
    expect(keys).toBeGreaterThan(250);
  });

  it('should keep the locale files free of invisible direction marks (the rendering adds them)', () => {
    for (const { key, template } of rendered) expect(HAS_CONTROL.test(template), key).toBe(false);
  });

  it('should start every line right to left, whatever it begins with', () => {
    for (const { key, n, line } of lines) {
      expect(line.startsWith(RLM), `${key} line ${n}`).toBe(true);
      expect(display(shown(line)).level, `${key} line ${n}: ${line}`).toBe(1);
    }
  });

  it('should close every isolate on the line that opens it', () => {
    for (const { key, n, line } of lines) expect((line.match(ISOLATE_OPEN) ?? []).length, `${key} line ${n}`).toBe((line.match(/\u2069/g) ?? []).length);
  });

  it('should show every slash command with its slash in front ("/report", never "report/")', () => {
    const keys = new Set<string>();
    for (const { key, template, text } of rendered) {
      for (const [command] of template.matchAll(/(?<![\p{L}\p{N}<\/:.])\/[a-z][a-z_]*(?:[ ]+[A-Za-z0-9_|]+)*/gu)) {
        keys.add(key);
        const visual = text.split('\n').map((l) => display(shown(l)).visual).join('\n');
        expect(visual, key).toContain(command);
        expect(visual, key).not.toContain(`${command.slice(1).split(' ')[0]}/`);
      }
    }
    expect(keys.size).toBeGreaterThanOrEqual(17); // commands, errors, group, help, my, report, staff
  });

  it('should show numbers, dates, report numbers, Latin names and links in reading order', () => {
    for (const { key, text } of rendered) {
      const plain = shown(text).replace(CONTROLS, '');
      const visual = text.split('\n').map((l) => display(shown(l)).visual).join('\n');
      for (const piece of [REF, '#7', WHEN, '2026-11-01', LATIN, CHINESE, 'Aksu', LINK, 'Item 7', '12.5', '▲2', 'roads 120', '2/4']) {
        if (plain.includes(piece)) expect(visual, `${key}: ${piece}`).toContain(piece);
      }
    }
  });

  it('should show a rate as "%50 (2/4)" in every line that has one, the same in the rates and the rankings', () => {
    const withRate = rendered.filter((r) => shown(r.text).includes('2/4') && r.template.includes('{{value}}'));
    expect(withRate.map((r) => r.key)).toEqual(expect.arrayContaining(['digest:response', 'digest:resolution', 'digest:rank_rate']));
    for (const r of [...withRate, rendered.find((x) => x.key === 'digest:rate_value')!]) {
      const visual = display(shown(r.text)).visual;
      expect(visual, r.key).toContain('%50 (2/4)');
      expect(visual, r.key).not.toContain('4/2');
    }
  });

  it('should line the per-category and per-village figures up under their headings', () => {
    for (const heading of ['digest:by_category', 'digest:by_village']) {
      const head = shown(t(heading));
      const columns = head.slice(head.indexOf('(') + 1, head.lastIndexOf(')')).split(' · ');
      expect(columns).toHaveLength(4);
      const headDisplay = display(head);
      const columnOrder = columns.map((c) => headDisplay.position(head.indexOf(c)));
      for (const label of ['Aksu', 'ئاقسۇ كەنتى', CHINESE, '—']) {
        const line = shown(t('digest:group_line', { label, new: 11, open: 22, overdue: 33, resolved: 44 }));
        const lineDisplay = display(line);
        const figureOrder = ['11', '22', '33', '44'].map((f) => lineDisplay.position(line.indexOf(f)));
        const rank = (xs: number[]) => xs.map((x) => [...xs].sort((a, b) => a - b).indexOf(x));
        expect(rank(figureOrder), `${heading} with ${label}`).toEqual(rank(columnOrder));
      }
    }
  });

  it('should point forward arrows the way a right-to-left reader goes (next is to the left)', () => {
    for (const { key, text } of rendered) expect(text, key).not.toMatch(/[▶➡→⏩]/u);
    expect(t('buttons:next')).toContain('◀');
    const row = pagerButtons('ug', (a) => `prev ${a}`, (a) => `next ${a}`);
    expect(row).toEqual(['next ◀', 'prev ▶']);
    expect(pagerButtons('zh', (a) => `prev ${a}`, (a) => `next ${a}`)).toEqual(['prev ◀', 'next ▶']);
  });

  it('should give the chart and the spreadsheet the words without marks', () => {
    expect(plainText(t('statuses:resolved'))).toBe(ugTrees.statuses!.resolved);
    expect(plainText(t('export:col_status'))).toBe(ugTrees.export!.col_status);
    expect(plainText(t('digest:chart_title', { period: t('digest:period_week') }))).not.toMatch(HAS_CONTROL);
  });

  it('should keep a Uyghur name inside a Chinese or English line from moving the figures after it', () => {
    for (const lng of ['zh', 'en'] as const) {
      const tr = texts.forLocale(lng);
      const line = tr('digest:rank_overdue', { i: 1, label: 'مەمەت', count: 7 });
      const { level, visual } = display(shown(line));
      expect(level, lng).toBe(0);
      // left to right: the rank, then the name, then its figure
      expect(visual.indexOf('1.'), lng).toBeLessThan(visual.indexOf('7'));
      expect(visual.lastIndexOf('7'), lng).toBe(visual.length - 1);
    }
  });

  it('should leave Chinese and English without direction marks', () => {
    for (const lng of ['zh', 'en'] as const) {
      const tr = texts.forLocale(lng);
      expect(tr('digest:group_line', { label: 'Aksu', new: 1, open: 2, overdue: 3, resolved: 4 })).not.toMatch(HAS_CONTROL);
      expect(tr('help:resident')).not.toMatch(HAS_CONTROL);
      expect(formatRate(RATE, lng, tr).html).toBe(tr('digest:rate_value', { percent: 50, n: 2, d: 4 }));
    }
  });
});
