import type { Locale } from '../i18n/index.ts';

/**
 * The language to talk to someone in: their own choice (/lang) first, then a guess from the
 * Telegram client language (ug* -> Uyghur, zh* -> Chinese), then the deployment's default.
 * English is for maintainers and is only used when chosen explicitly.
 */
export function resolveLocale(chosen: string | null | undefined, telegramLanguage: string | undefined, fallback: Locale): Locale {
  if (chosen === 'ug' || chosen === 'zh' || chosen === 'en') return chosen;
  const code = (telegramLanguage ?? '').toLowerCase();
  if (code.startsWith('ug')) return 'ug';
  if (code.startsWith('zh')) return 'zh';
  return fallback;
}
