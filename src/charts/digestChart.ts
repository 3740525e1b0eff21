import { createCanvas } from '@napi-rs/canvas';
import type { SKRSContext2D } from '@napi-rs/canvas';
import { chartFont, ensureChartFonts } from './fonts.ts';
import { truncateToWidth } from './text.ts';

/** Locales the digest chart can be drawn in; `ug` is laid out right-to-left. */
export type ChartLocale = 'ug' | 'zh' | 'en';

/** Counts for one category in the bar panel. */
export interface CategoryBar {
  label: string;
  open: number;
  overdue: number;
  resolved: number;
}

/** One week of the trend panel; `label` is a short date such as "11-02" or "10/27". */
export interface WeekPoint {
  label: string;
  created: number;
  resolved: number;
}

/** Everything the chart shows; all strings arrive already translated. */
export interface DigestChartInput {
  locale: ChartLocale;
  /** Chart title, e.g. "ئەھۋال دوكلاتى" / "情况汇总 · 本周". */
  title: string;
  /** Heading of the bar panel. */
  byCategoryTitle: string;
  /** Heading of the 8-week trend panel. */
  trendTitle: string;
  legend: { open: string; overdue: string; resolved: string; created: string };
  /** Shown in a panel whose data are all zero/empty. */
  noData: string;
  /** Up to ~12 categories (more are drawn with thinner rows). */
  byCategory: CategoryBar[];
  /** Usually 8 weeks, oldest first. */
  trend: WeekPoint[];
}

/** Canvas width in px; the height grows with the number of categories (about 900 for 9). */
export const DIGEST_CHART_WIDTH = 1200;

// Okabe–Ito palette (colour-blind safe); overdue is the warm vermillion.
const COLOR = {
  open: '#0072B2',
  overdue: '#D55E00',
  resolved: '#009E73',
  created: '#0072B2',
  text: '#1F2328',
  muted: '#57606A',
  grid: '#E3E6EA',
  axis: '#8C959F',
  zebra: '#F3F5F8',
  emptyFill: '#F6F8FA',
  emptyStroke: '#D0D7DE',
  background: '#FFFFFF',
} as const;

const FONT = { title: 36, heading: 25, label: 22, legend: 20, tick: 17, value: 17, noData: 24 } as const;

const W = DIGEST_CHART_WIDTH;
const MARGIN = 40;
const CONTENT_W = W - 2 * MARGIN;
const TITLE_BLOCK = 84;
const HEADING_ROW = 44;
const LEGEND_ROW = 38;
const MAX_BAR_BODY = 620;
const MAX_ROW_H = 50;
const TICK_ROW = 30;
const PANEL_GAP = 26;
const TREND_BODY = 230;
const X_LABEL_ROW = 34;
const EMPTY_BODY = 150;
const BOTTOM = 22;
const SWATCH = 18;
const LEGEND_ITEM_GAP = 28;

type Align = 'left' | 'right' | 'center';

interface LegendItem {
  label: string;
  color: string;
}

interface Painter {
  ctx: SKRSContext2D;
  rtl: boolean;
}

/** Non-negative integer count; NaN, negatives and infinities become 0. */
function count(v: number): number {
  return Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}

/** Integer tick values 0..niceMax with a 1/2/5×10^k step (at most ~maxTicks intervals). */
function niceTicks(max: number, maxTicks = 5): number[] {
  const top = Math.max(1, max);
  const raw = top / maxTicks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  let step = mag * 10;
  for (const m of [1, 2, 5, 10]) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  step = Math.max(1, Math.ceil(step));
  const niceMax = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= niceMax; t += step) ticks.push(t);
  return ticks;
}

function setFont(p: Painter, size: number, bold = false): void {
  p.ctx.font = chartFont(size, bold, p.rtl);
}

function text(p: Painter, s: string, x: number, y: number, align: Align, color: string, rtlText = p.rtl): void {
  const { ctx } = p;
  ctx.direction = rtlText ? 'rtl' : 'ltr';
  ctx.textAlign = align;
  ctx.textBaseline = 'middle';
  ctx.fillStyle = color;
  ctx.fillText(s, x, y);
}

function width(p: Painter, s: string): number {
  return p.ctx.measureText(s).width;
}

/** Total width of a legend at the current legend font. */
function legendWidth(p: Painter, items: LegendItem[]): number {
  setFont(p, FONT.legend);
  return items.reduce((sum, it, i) => sum + SWATCH + 8 + width(p, it.label) + (i > 0 ? LEGEND_ITEM_GAP : 0), 0);
}

/**
 * Draws legend items in reading order. LTR: block from `startX` rightwards; RTL: `startX` is the right
 * edge and items run leftwards, swatch on the right of its label.
 */
function drawLegend(p: Painter, items: LegendItem[], startX: number, y: number, maxW: number): void {
  setFont(p, FONT.legend);
  const perItem = maxW / Math.max(1, items.length) - SWATCH - 8 - LEGEND_ITEM_GAP;
  const fits = legendWidth(p, items) <= maxW;
  let x = startX;
  for (const it of items) {
    const label = fits ? it.label : truncateToWidth(p.ctx, it.label, perItem);
    const w = width(p, label);
    p.ctx.fillStyle = it.color;
    if (p.rtl) {
      p.ctx.fillRect(x - SWATCH, y - SWATCH / 2, SWATCH, SWATCH);
      text(p, label, x - SWATCH - 8, y, 'right', COLOR.text);
      x -= SWATCH + 8 + w + LEGEND_ITEM_GAP;
    } else {
      p.ctx.fillRect(x, y - SWATCH / 2, SWATCH, SWATCH);
      text(p, label, x + SWATCH + 8, y, 'left', COLOR.text);
      x += SWATCH + 8 + w + LEGEND_ITEM_GAP;
    }
  }
}

/** Heading plus legend: on one row when they fit, otherwise the legend goes on its own row. */
function headingLayout(p: Painter, heading: string, items: LegendItem[]): { legendOnOwnRow: boolean; height: number } {
  setFont(p, FONT.heading, true);
  const hw = width(p, heading);
  const lw = items.length > 0 ? legendWidth(p, items) : 0;
  const legendOnOwnRow = items.length > 0 && hw + 40 + lw > CONTENT_W;
  return { legendOnOwnRow, height: HEADING_ROW + (legendOnOwnRow ? LEGEND_ROW : 0) };
}

/** Draws a panel heading (start side) and its legend; returns the y where the panel body starts. */
function drawHeading(p: Painter, heading: string, items: LegendItem[], top: number): number {
  const layout = headingLayout(p, heading, items);
  const rowY = top + HEADING_ROW / 2;
  const startX = p.rtl ? W - MARGIN : MARGIN;
  setFont(p, FONT.heading, true);
  if (layout.legendOnOwnRow || items.length === 0) {
    text(p, truncateToWidth(p.ctx, heading, CONTENT_W), startX, rowY, p.rtl ? 'right' : 'left', COLOR.text);
    if (items.length > 0) drawLegend(p, items, startX, top + HEADING_ROW + LEGEND_ROW / 2 - 4, CONTENT_W);
  } else {
    text(p, heading, startX, rowY, p.rtl ? 'right' : 'left', COLOR.text);
    const lw = legendWidth(p, items);
    // Legend sits at the end side of the heading row.
    drawLegend(p, items, p.rtl ? MARGIN + lw : W - MARGIN - lw, rowY, CONTENT_W);
  }
  return top + layout.height;
}

function drawNoData(p: Painter, message: string, top: number, height: number): void {
  const { ctx } = p;
  ctx.fillStyle = COLOR.emptyFill;
  ctx.strokeStyle = COLOR.emptyStroke;
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.roundRect(MARGIN, top, CONTENT_W, height, 12);
  ctx.fill();
  ctx.stroke();
  setFont(p, FONT.noData);
  text(p, truncateToWidth(ctx, message, CONTENT_W - 40), W / 2, top + height / 2, 'center', COLOR.muted);
}

function barRowHeight(n: number): number {
  return Math.max(24, Math.min(MAX_ROW_H, Math.floor(MAX_BAR_BODY / Math.max(1, n))));
}

function hasBarData(bars: CategoryBar[]): boolean {
  return bars.some((b) => count(b.open) + count(b.overdue) + count(b.resolved) > 0);
}

function hasTrendData(weeks: WeekPoint[]): boolean {
  return weeks.some((w) => count(w.created) + count(w.resolved) > 0);
}

function barLegend(input: DigestChartInput): LegendItem[] {
  return [
    { label: input.legend.open, color: COLOR.open },
    { label: input.legend.overdue, color: COLOR.overdue },
    { label: input.legend.resolved, color: COLOR.resolved },
  ];
}

function trendLegend(input: DigestChartInput): LegendItem[] {
  return [
    { label: input.legend.created, color: COLOR.created },
    { label: input.legend.resolved, color: COLOR.resolved },
  ];
}

/** Grouped horizontal bars per category; mirrored (labels right, bars growing left) for RTL. */
function drawBarPanel(p: Painter, input: DigestChartInput, top: number): void {
  const { ctx, rtl } = p;
  const bars = input.byCategory;
  const bodyTop = drawHeading(p, input.byCategoryTitle, hasBarData(bars) ? barLegend(input) : [], top) + 4;
  if (!hasBarData(bars)) {
    drawNoData(p, input.noData, bodyTop, EMPTY_BODY);
    return;
  }
  const rowH = barRowHeight(bars.length);
  const barT = Math.floor((rowH - 8) / 3);
  const groupH = barT * 3 + 2;
  const bodyH = rowH * bars.length;
  // Mirror helper: x measured from the start edge (left in LTR, right in RTL).
  const mx = (x: number): number => (rtl ? W - x : x);

  setFont(p, FONT.label);
  const maxLabel = Math.max(...bars.map((b) => width(p, b.label)));
  const labelW = Math.min(Math.ceil(maxLabel), Math.round(CONTENT_W * 0.32));
  const valueFont = Math.min(FONT.value, barT + 3);
  setFont(p, valueFont, true);
  const maxValue = Math.max(...bars.flatMap((b) => [count(b.open), count(b.overdue), count(b.resolved)]));
  const ticks = niceTicks(maxValue);
  const niceMax = ticks[ticks.length - 1] ?? 1;
  const valueReserve = width(p, String(maxValue)) + 12;
  const x0 = MARGIN + labelW + 16;
  const x1 = W - MARGIN - valueReserve;
  const scale = (v: number): number => ((x1 - x0) * v) / niceMax;

  // Faint zebra bands tie each label to its bar group.
  ctx.fillStyle = COLOR.zebra;
  for (let i = 1; i < bars.length; i += 2) ctx.fillRect(MARGIN - 8, bodyTop + i * rowH, CONTENT_W + 16, rowH);

  // Grid lines and integer tick labels below the body.
  setFont(p, FONT.tick);
  ctx.lineWidth = 1;
  for (const t of ticks) {
    const x = Math.round(mx(x0 + scale(t))) + 0.5;
    ctx.strokeStyle = t === 0 ? COLOR.axis : COLOR.grid;
    ctx.beginPath();
    ctx.moveTo(x, bodyTop);
    ctx.lineTo(x, bodyTop + bodyH);
    ctx.stroke();
    text(p, String(t), x, bodyTop + bodyH + TICK_ROW / 2 + 2, 'center', COLOR.muted, false);
  }

  bars.forEach((b, i) => {
    const rowTop = bodyTop + i * rowH;
    const cy = rowTop + rowH / 2;
    setFont(p, FONT.label);
    text(p, truncateToWidth(ctx, b.label, labelW), mx(MARGIN), cy, rtl ? 'right' : 'left', COLOR.text);
    const series: [number, string][] = [
      [count(b.open), COLOR.open],
      [count(b.overdue), COLOR.overdue],
      [count(b.resolved), COLOR.resolved],
    ];
    series.forEach(([v, color], j) => {
      const y = cy - groupH / 2 + j * (barT + 1);
      const len = scale(v);
      ctx.fillStyle = color;
      if (len > 0) ctx.fillRect(rtl ? mx(x0) - len : x0, y, len, barT);
      setFont(p, valueFont, v > 0);
      const lx = mx(x0 + len + 6);
      text(p, String(v), lx, y + barT / 2, rtl ? 'right' : 'left', v > 0 ? COLOR.text : COLOR.axis, false);
    });
  });
}

/** Grouped vertical bars of created vs resolved per week, oldest on the left. */
function drawTrendPanel(p: Painter, input: DigestChartInput, top: number): void {
  const { ctx } = p;
  const weeks = input.trend;
  const bodyTop = drawHeading(p, input.trendTitle, hasTrendData(weeks) ? trendLegend(input) : [], top) + 4;
  if (!hasTrendData(weeks)) {
    drawNoData(p, input.noData, bodyTop, EMPTY_BODY);
    return;
  }
  const maxValue = Math.max(...weeks.flatMap((w) => [count(w.created), count(w.resolved)]));
  const ticks = niceTicks(maxValue, 4);
  const niceMax = ticks[ticks.length - 1] ?? 1;
  setFont(p, FONT.tick);
  const axisW = Math.max(...ticks.map((t) => width(p, String(t)))) + 12;
  const px0 = MARGIN + axisW;
  const px1 = W - MARGIN;
  const plotTop = bodyTop + 28; // headroom for value labels above the tallest bar
  const plotBottom = bodyTop + TREND_BODY;
  const y = (v: number): number => plotBottom - ((plotBottom - plotTop) * v) / niceMax;

  ctx.lineWidth = 1;
  for (const t of ticks) {
    const ty = Math.round(y(t)) + 0.5;
    ctx.strokeStyle = t === 0 ? COLOR.axis : COLOR.grid;
    ctx.beginPath();
    ctx.moveTo(px0, ty);
    ctx.lineTo(px1, ty);
    ctx.stroke();
    text(p, String(t), px0 - 10, ty, 'right', COLOR.muted, false);
  }

  const groupW = (px1 - px0) / weeks.length;
  const barW = Math.max(2, Math.min(48, groupW * 0.34));
  setFont(p, FONT.value, true);
  const showValues = width(p, String(maxValue)) <= barW + 2;
  setFont(p, FONT.tick);
  const maxWeekLabel = Math.max(...weeks.map((w) => width(p, w.label)));
  const labelEvery = Math.max(1, Math.ceil((maxWeekLabel + 14) / groupW));

  weeks.forEach((w, i) => {
    const cx = px0 + groupW * (i + 0.5);
    const pair: [number, string, number][] = [
      [count(w.created), COLOR.created, cx - barW - 2],
      [count(w.resolved), COLOR.resolved, cx + 2],
    ];
    for (const [v, color, bx] of pair) {
      const by = y(v);
      if (v > 0) {
        ctx.fillStyle = color;
        ctx.fillRect(bx, by, barW, plotBottom - by);
      }
      if (showValues) {
        setFont(p, FONT.value, v > 0);
        text(p, String(v), bx + barW / 2, by - 12, 'center', v > 0 ? COLOR.text : COLOR.axis, false);
      }
    }
    // Keep the newest week labelled; thin out older ones when they would collide.
    if ((weeks.length - 1 - i) % labelEvery === 0) {
      setFont(p, FONT.tick);
      text(p, truncateToWidth(ctx, w.label, groupW * labelEvery - 8), cx, plotBottom + X_LABEL_ROW / 2 + 2, 'center', COLOR.muted, false);
    }
  });
}

function layoutHeight(p: Painter, input: DigestChartInput): { total: number; trendTop: number } {
  const barsHeading = headingLayout(p, input.byCategoryTitle, hasBarData(input.byCategory) ? barLegend(input) : []);
  const barsBody = hasBarData(input.byCategory)
    ? barRowHeight(input.byCategory.length) * input.byCategory.length + TICK_ROW
    : EMPTY_BODY;
  const trendTop = TITLE_BLOCK + barsHeading.height + 4 + barsBody + PANEL_GAP;
  const trendHeading = headingLayout(p, input.trendTitle, hasTrendData(input.trend) ? trendLegend(input) : []);
  const trendBody = hasTrendData(input.trend) ? TREND_BODY + X_LABEL_ROW : EMPTY_BODY;
  return { total: Math.ceil(trendTop + trendHeading.height + 4 + trendBody + BOTTOM), trendTop };
}

/** Draws the digest chart as a PNG (1200 px wide, about 900 px high). Pure: same input, same bytes. */
export function renderDigestChart(input: DigestChartInput): Buffer {
  ensureChartFonts();
  const rtl = input.locale === 'ug';
  const scratch = createCanvas(W, 1).getContext('2d');
  const { total, trendTop } = layoutHeight({ ctx: scratch, rtl }, input);

  const canvas = createCanvas(W, total);
  const p: Painter = { ctx: canvas.getContext('2d'), rtl };
  p.ctx.fillStyle = COLOR.background;
  p.ctx.fillRect(0, 0, W, total);

  setFont(p, FONT.title, true);
  text(p, truncateToWidth(p.ctx, input.title, CONTENT_W), rtl ? W - MARGIN : MARGIN, 24 + FONT.title / 2, rtl ? 'right' : 'left', COLOR.text);
  p.ctx.fillStyle = COLOR.grid;
  p.ctx.fillRect(MARGIN, TITLE_BLOCK - 10, CONTENT_W, 2);

  drawBarPanel(p, input, TITLE_BLOCK);
  drawTrendPanel(p, input, trendTop);
  return canvas.toBuffer('image/png');
}
