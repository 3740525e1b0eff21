import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createCanvas, GlobalFonts, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { renderDigestChart } from '../../src/charts/digestChart.ts';
import type { ChartLocale, DigestChartInput } from '../../src/charts/digestChart.ts';
import {
  ARABIC_FONT_FAMILY,
  CJK_FONT_FAMILY,
  chartFont,
  ensureChartFonts,
  resolveChartFontFiles,
} from '../../src/charts/fonts.ts';
import { truncateToWidth } from '../../src/charts/text.ts';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.toString('ascii', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

const UG_CATEGORIES = [
  'ئىچىملىك سۇ',
  'يول',
  'داۋالاش ۋە سالامەتلىك',
  'سۇغىرىش ۋە ئېرىق-ئۆستەڭ',
  'توك',
  'ئۆي-جاي ۋە ئاپەت',
  'ئوقۇغۇچىلار قاتنىشى',
  'تۇرمۇش ياردىمى',
  'باشقا',
];
const ZH_CATEGORIES = ['饮水', '道路', '医疗卫生', '灌溉与渠道', '供电', '住房与灾害', '学生上学交通', '生活救助', '其他'];
const WEEKS = ['10-27', '11-03', '11-10', '11-17', '11-24', '12-01', '12-08', '12-15'];

function sample(locale: ChartLocale, seed = 1): DigestChartInput {
  const ug = locale === 'ug';
  const labels = ug ? UG_CATEGORIES : ZH_CATEGORIES;
  return {
    locale,
    title: ug ? 'ئەھۋال دوكلاتى' : '情况汇总 · 本周',
    byCategoryTitle: ug ? 'تۈرلەر بويىچە' : '按类别',
    trendTitle: ug ? 'يېقىنقى 8 ھەپتە' : '近8周趋势',
    legend: ug
      ? { open: 'ھەل قىلىنمىغان', overdue: 'مۆھلىتى ئۆتكەن', resolved: 'ھەل قىلىندى', created: 'يېڭى' }
      : { open: '未办结', overdue: '已超期', resolved: '已办结', created: '新增' },
    noData: ug ? 'سانلىق مەلۇمات يوق' : '暂无数据',
    byCategory: labels.map((label, i) => ({
      label,
      open: (i * seed + 3) % 13,
      overdue: (i + seed) % 4,
      resolved: (i * 7 + seed) % 17,
    })),
    trend: WEEKS.map((label, i) => ({ label, created: (i * 3 + seed) % 11, resolved: (i * 5 + seed) % 9 })),
  };
}

function zeroInput(locale: ChartLocale): DigestChartInput {
  const base = sample(locale);
  return {
    ...base,
    byCategory: base.byCategory.map((b) => ({ ...b, open: 0, overdue: 0, resolved: 0 })),
    trend: base.trend.map((w) => ({ ...w, created: 0, resolved: 0 })),
  };
}

/** Renders one string and returns the PNG bytes, to compare fonts. */
function drawString(text: string, font: string, rtl: boolean): Buffer {
  const canvas = createCanvas(600, 120);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, 600, 120);
  ctx.fillStyle = '#000';
  ctx.font = font;
  ctx.direction = rtl ? 'rtl' : 'ltr';
  ctx.textAlign = rtl ? 'right' : 'left';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, rtl ? 580 : 20, 60);
  return canvas.toBuffer('image/png');
}

/** Mean x of pixels close to the "open" blue (#0072B2). */
async function blueCentroidX(png: Buffer): Promise<number> {
  const img = await loadImage(png);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const { data } = ctx.getImageData(0, 0, img.width, img.height);
  let sum = 0;
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i] ?? 0;
    const g = data[i + 1] ?? 0;
    const b = data[i + 2] ?? 0;
    if (Math.abs(r - 0x00) < 12 && Math.abs(g - 0x72) < 12 && Math.abs(b - 0xb2) < 12) {
      sum += (i / 4) % img.width;
      n += 1;
    }
  }
  expect(n).toBeGreaterThan(500);
  return sum / n;
}

describe('renderDigestChart', () => {
  it('should return a PNG of about 1200x900 px', () => {
    const png = renderDigestChart(sample('zh'));
    const { width, height } = pngSize(png);
    expect(width).toBe(1200);
    expect(height).toBeGreaterThanOrEqual(700);
    expect(height).toBeLessThanOrEqual(1280);
  });

  it('should render both Uyghur and Chinese charts, differently', () => {
    const ug = renderDigestChart(sample('ug'));
    const zh = renderDigestChart(sample('zh'));
    expect(pngSize(ug).width).toBe(1200);
    expect(pngSize(zh).width).toBe(1200);
    expect(ug.equals(zh)).toBe(false);
  });

  it('should render English too', () => {
    expect(pngSize(renderDigestChart({ ...sample('zh'), locale: 'en', title: 'Status digest' })).width).toBe(1200);
  });

  it('should be deterministic for the same input', () => {
    expect(renderDigestChart(sample('ug')).equals(renderDigestChart(sample('ug')))).toBe(true);
    expect(renderDigestChart(sample('zh', 3)).equals(renderDigestChart(sample('zh', 3)))).toBe(true);
  });

  it('should produce different bytes for different data', () => {
    expect(renderDigestChart(sample('zh', 1)).equals(renderDigestChart(sample('zh', 2)))).toBe(false);
  });

  it('should render all-zero and empty inputs without throwing', () => {
    for (const locale of ['ug', 'zh', 'en'] as const) {
      const { width, height } = pngSize(renderDigestChart(zeroInput(locale)));
      expect(width).toBe(1200);
      expect(height).toBeGreaterThan(300);
      const empty = { ...sample(locale), byCategory: [], trend: [] };
      expect(pngSize(renderDigestChart(empty)).width).toBe(1200);
    }
  });

  it('should draw the noData text when the data are all zero', () => {
    const a = renderDigestChart({ ...zeroInput('ug'), noData: 'سانلىق مەلۇمات يوق' });
    const b = renderDigestChart({ ...zeroInput('ug'), noData: 'ھازىرچە يوق' });
    expect(a.equals(b)).toBe(false);
  });

  it('should tolerate negative, fractional and non-finite counts', () => {
    const input = sample('zh');
    input.byCategory[0] = { label: '饮水', open: -3, overdue: Number.NaN, resolved: 2.6 };
    input.trend[0] = { label: '10-27', created: Number.POSITIVE_INFINITY, resolved: -1 };
    expect(pngSize(renderDigestChart(input)).width).toBe(1200);
  });

  it('should handle many categories, long labels and large numbers', () => {
    const input = sample('ug');
    input.byCategory = Array.from({ length: 14 }, (_, i) => ({
      label: `${UG_CATEGORIES[i % UG_CATEGORIES.length] ?? ''} ${'ۋە يېزا ئارىسىدىكى قاتناش يوللىرى '.repeat(3)}`,
      open: i * 1234,
      overdue: i * 99,
      resolved: 20000 - i * 700,
    }));
    input.trend = Array.from({ length: 26 }, (_, i) => ({ label: `W${i + 1}`, created: i * 40, resolved: 900 - i }));
    const { width, height } = pngSize(renderDigestChart(input));
    expect(width).toBe(1200);
    expect(height).toBeLessThanOrEqual(1280);
  });

  it('should mirror the bar panel for Uyghur (bars on the right half, growing leftwards)', async () => {
    const data = {
      byCategory: [{ label: 'X', open: 3, overdue: 0, resolved: 10 }],
      trend: [],
    };
    const ltr = await blueCentroidX(renderDigestChart({ ...sample('en'), ...data }));
    const rtl = await blueCentroidX(renderDigestChart({ ...sample('ug'), ...data }));
    expect(ltr).toBeLessThan(450);
    expect(rtl).toBeGreaterThan(750);
  });
});

describe('chart fonts', () => {
  it('should resolve the font files through the npm packages in node_modules', () => {
    const req = createRequire(import.meta.url);
    const arabicDir = path.dirname(req.resolve('@expo-google-fonts/noto-sans-arabic/package.json'));
    const scDir = path.dirname(req.resolve('@expo-google-fonts/noto-sans-sc/package.json'));
    const files = resolveChartFontFiles();
    expect(files).toHaveLength(4);
    for (const f of files) {
      expect(path.isAbsolute(f.file)).toBe(true);
      expect(f.file.split(path.sep)).toContain('node_modules');
      expect(f.file.startsWith(f.family === ARABIC_FONT_FAMILY ? arabicDir : scDir)).toBe(true);
      expect(f.file.endsWith('.ttf')).toBe(true);
      expect(existsSync(f.file)).toBe(true);
    }
  });

  it('should register the font families once', () => {
    ensureChartFonts();
    ensureChartFonts();
    expect(GlobalFonts.has(ARABIC_FONT_FAMILY)).toBe(true);
    expect(GlobalFonts.has(CJK_FONT_FAMILY)).toBe(true);
    const arabic = GlobalFonts.families.find((f) => f.family === ARABIC_FONT_FAMILY);
    expect(arabic?.styles.map((s) => s.weight).sort()).toEqual([400, 700]);
  });

  it('should shape Uyghur into joined letter forms (narrower than the isolated letters)', () => {
    ensureChartFonts();
    const ctx = createCanvas(10, 10).getContext('2d');
    ctx.font = chartFont(40, false, true);
    ctx.direction = 'rtl';
    const word = 'سالامەتلىك';
    const shaped = ctx.measureText(word).width;
    const isolated = [...word].reduce((sum, ch) => sum + ctx.measureText(ch).width, 0);
    expect(shaped).toBeGreaterThan(40);
    // Without the font (tofu boxes) or without shaping, both widths would be equal.
    expect(shaped).toBeLessThan(isolated * 0.85);
  });

  it('should draw Uyghur and Chinese with the registered fonts, not fallback boxes', () => {
    ensureChartFonts();
    const ug = 'ئىچىملىك سۇ';
    expect(drawString(ug, chartFont(40, false, true), true).equals(drawString(ug, '40px "No Such Family"', true))).toBe(false);
    const zh = '灌溉与渠道';
    expect(drawString(zh, chartFont(40, false, false), false).equals(drawString(zh, '40px "No Such Family"', false))).toBe(
      false,
    );
    const ctx = createCanvas(10, 10).getContext('2d');
    ctx.font = chartFont(40, false, false);
    // CJK ideographs in Noto Sans SC are exactly one em wide.
    expect(ctx.measureText('饮水').width).toBeCloseTo(80, 0);
  });
});

describe('truncateToWidth', () => {
  it('should keep short text and shorten long text with an ellipsis', () => {
    ensureChartFonts();
    const ctx = createCanvas(10, 10).getContext('2d');
    ctx.font = chartFont(22, false, true);
    expect(truncateToWidth(ctx, 'يول', 300)).toBe('يول');
    const long = 'سۇغىرىش ۋە ئېرىق-ئۆستەڭ ۋە يېزا ئارىسىدىكى قاتناش يوللىرى';
    const cut = truncateToWidth(ctx, long, 150);
    expect(cut.endsWith('…')).toBe(true);
    expect(long.startsWith(cut.slice(0, -1))).toBe(true);
    expect(ctx.measureText(cut).width).toBeLessThanOrEqual(150);
    expect(truncateToWidth(ctx, long, 1)).toBe('');
  });
});
