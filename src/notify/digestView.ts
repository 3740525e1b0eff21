import type { DigestFigures, GroupFigures } from '../services/digest.ts';
import type { Rate } from '../domain/rates.ts';
import type { NameIndex } from '../services/catalog.ts';
import { categoryName, formatDate, formatRate, placeName, reportRef } from '../i18n/format.ts';
import { html, plainText, splitMessage } from '../i18n/text.ts';
import { reportButtonData, type InlineKeyboard, type Reader } from './render.ts';
import { DAY_MS, HOUR_MS } from '../domain/time.ts';

export interface DigestLookups extends NameIndex {
  owners: Map<number, string>;
}

export interface DigestRendering {
  /** message texts, each within Telegram's limit, split on line boundaries */
  parts: string[];
  /** buttons to open the oldest overdue reports (on the last part) */
  keyboard: InlineKeyboard | undefined;
  chart: Buffer;
  caption: string;
}

const RANK = 5;

/** A digest in one language: never a reporter's name, only numbers, categories, villages and owners. */
export async function renderDigest(f: DigestFigures, names: DigestLookups, r: Reader): Promise<DigestRendering> {
  const { t } = r;
  const pct = (x: Rate) => formatRate(x, r.locale, t).html;
  const delta = (now: number, before: number) => (now > before ? `▲${now - before}` : now < before ? `▼${before - now}` : '＝');
  const duration = (ms: number | null) =>
    ms === null ? t('digest:no_data') : ms < 2 * DAY_MS ? t('digest:hours', { value: (ms / HOUR_MS).toFixed(1) }) : t('digest:days', { value: (ms / DAY_MS).toFixed(1) });
  const category = (id: number | null) => {
    const c = id === null ? undefined : names.categories.get(id);
    return c ? categoryName(c, r.locale, t) : '—';
  };
  const village = (id: number | null) => {
    const p = id === null ? undefined : names.places.get(id);
    return p ? placeName(p, r.locale) : t('digest:no_village');
  };
  const owner = (id: number | null) => (id === null ? t('digest:no_owner') : (names.owners.get(id) ?? '—'));
  const periodLabel = t(`digest:period_${f.kind}`);
  const range = `${formatDate(f.period.start, r.timeZone)} – ${formatDate(new Date(f.period.end.getTime() - 1), r.timeZone)}`;
  const c = f.counts;
  const p = f.previousCounts;

  const summary = [
    t('digest:title', { period: html(periodLabel), range }),
    t('digest:counts', {
      new: c.new,
      open: c.open,
      overdue: c.overdue,
      resolved: c.resolved,
      closed: c.closed,
      dnew: delta(c.new, p.new),
      dopen: delta(c.open, p.open),
      doverdue: delta(c.overdue, p.overdue),
      dresolved: delta(c.resolved, p.resolved),
      dclosed: delta(c.closed, p.closed),
    }),
    t('digest:compared'),
    '',
    t('digest:rates_title'),
    t('digest:response', { value: html(pct(f.response)) }),
    t('digest:resolution', { value: html(pct(f.resolution)) }),
    t('digest:satisfaction', { value: html(pct(f.satisfaction)), count: f.noAnswer }),
    t('digest:medians', { ack: html(duration(f.medianAcknowledgeMs)), resolve: html(duration(f.medianResolveMs)) }),
  ];

  const groupLine = (label: string, g: GroupFigures) => t('digest:group_line', { label, new: g.new, open: g.open, overdue: g.overdue, resolved: g.resolved });
  const byCategory = [t('digest:by_category'), ...f.byCategory.map((g) => groupLine(category(g.id), g))];
  const byVillage = [t('digest:by_village'), ...f.byVillage.map((g) => groupLine(village(g.id), g))];
  if (f.byCategory.length === 0) byCategory.push(t('digest:no_data'));
  if (f.byVillage.length === 0) byVillage.push(t('digest:no_data'));

  const ranking = (title: string, groups: GroupFigures[], label: (id: number | null) => string) => {
    const lines = [title];
    const overdue = [...groups].filter((g) => g.overdue > 0).sort((a, b) => b.overdue - a.overdue).slice(0, RANK);
    const rated = groups.filter((g) => g.resolution.value !== null);
    const best = [...rated].sort((a, b) => b.resolution.value! - a.resolution.value! || b.resolution.denominator - a.resolution.denominator).slice(0, RANK);
    const worst = [...rated].sort((a, b) => a.resolution.value! - b.resolution.value! || b.resolution.denominator - a.resolution.denominator).slice(0, RANK);
    lines.push(t('digest:most_overdue'), ...(overdue.length ? overdue.map((g, i) => t('digest:rank_overdue', { i: i + 1, label: label(g.id), count: g.overdue })) : [t('digest:none')]));
    const rateLines = (gs: GroupFigures[]) => (gs.length ? gs.map((g, i) => t('digest:rank_rate', { i: i + 1, label: label(g.id), value: html(pct(g.resolution)) })) : [t('digest:no_data')]);
    if (rated.length <= RANK) {
      // few enough to list all: one list, best first
      lines.push(t('digest:rate_ranking'), ...rateLines(best));
    } else {
      lines.push(t('digest:best_rate'), ...rateLines(best), t('digest:worst_rate'), ...rateLines(worst));
    }
    return lines;
  };

  const oldest = [t('digest:oldest_title')];
  oldest.push(
    ...(f.oldestOverdue.length
      ? f.oldestOverdue.map((o) =>
          t('digest:oldest_line', { ref: reportRef(o.number), category: category(o.categoryId), place: village(o.placeId), owner: owner(o.ownerId), count: o.daysOverdue }),
        )
      : [t('digest:none')]),
  );

  const text = [
    summary.join('\n'),
    [...byCategory, '', ...byVillage].join('\n'),
    [...ranking(t('digest:owners_title'), f.byOwner, owner), '', ...ranking(t('digest:villages_title'), f.byVillage.filter((g) => g.id !== null), village)].join('\n'),
    oldest.join('\n'),
  ].join('\n\n');
  const keyboard: InlineKeyboard | undefined = f.oldestOverdue.length
    ? { inline_keyboard: [f.oldestOverdue.map((o) => ({ text: reportRef(o.number), callback_data: reportButtonData(o.number, 'open') }))] }
    : undefined;

  // The chart draws text, not HTML: no entities, no isolate marks. Its title leaves the date
  // range to the caption: the canvas lays out digits inside right-to-left text unreliably.
  // the canvas and its fonts are loaded on first use: most processes never draw a chart
  const { renderDigestChart } = await import('../charts/digestChart.ts');
  const chart = renderDigestChart({
    locale: r.locale,
    title: plainText(t('digest:chart_title', { period: periodLabel })),
    byCategoryTitle: plainText(t('digest:chart_by_category')),
    trendTitle: plainText(t('digest:chart_trend')),
    legend: { open: plainText(t('digest:legend_open')), overdue: plainText(t('digest:legend_overdue')), resolved: plainText(t('digest:legend_resolved')), created: plainText(t('digest:legend_created')) },
    noData: plainText(t('digest:no_data')),
    byCategory: f.byCategory.map((g) => ({ label: plainText(category(g.id)), open: g.open, overdue: g.overdue, resolved: g.resolved })),
    trend: f.trend.map((w) => ({ label: formatDate(w.weekStart, r.timeZone).slice(5), created: w.created, resolved: w.resolved })),
  });
  return { parts: splitMessage(text), keyboard, chart, caption: t('digest:chart_caption', { period: html(periodLabel), range }) };
}

