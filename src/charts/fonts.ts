import { createRequire } from 'node:module';
import path from 'node:path';
import { GlobalFonts } from '@napi-rs/canvas';

/** Canvas family name under which the bundled Noto Sans Arabic files are registered (Uyghur script). */
export const ARABIC_FONT_FAMILY = 'VillageDesk Noto Sans Arabic';

/** Canvas family name under which the bundled Noto Sans SC files are registered (Chinese, Latin, digits). */
export const CJK_FONT_FAMILY = 'VillageDesk Noto Sans SC';

/** One font file shipped in an npm package, and the canvas family it is registered as. */
export interface ChartFontFile {
  family: string;
  weight: 400 | 700;
  /** Absolute path inside node_modules, resolved through the package (no hard-coded paths). */
  file: string;
}

const requireFromHere = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  return path.dirname(requireFromHere.resolve(`${pkg}/package.json`));
}

/** Resolves the four chart font files (Arabic + SC, regular + bold) from their npm packages. */
export function resolveChartFontFiles(): ChartFontFile[] {
  const arabic = packageDir('@expo-google-fonts/noto-sans-arabic');
  const sc = packageDir('@expo-google-fonts/noto-sans-sc');
  return [
    { family: ARABIC_FONT_FAMILY, weight: 400, file: path.join(arabic, '400Regular', 'NotoSansArabic_400Regular.ttf') },
    { family: ARABIC_FONT_FAMILY, weight: 700, file: path.join(arabic, '700Bold', 'NotoSansArabic_700Bold.ttf') },
    { family: CJK_FONT_FAMILY, weight: 400, file: path.join(sc, '400Regular', 'NotoSansSC_400Regular.ttf') },
    { family: CJK_FONT_FAMILY, weight: 700, file: path.join(sc, '700Bold', 'NotoSansSC_700Bold.ttf') },
  ];
}

let registered = false;

/**
 * Registers the chart fonts with the global canvas font manager, once per process.
 * Throws if a file cannot be registered, so a broken install fails loudly instead of drawing tofu.
 */
export function ensureChartFonts(): void {
  if (registered) return;
  for (const font of resolveChartFontFiles()) {
    const key = GlobalFonts.registerFromPath(font.file, font.family);
    if (key === null) {
      throw new Error(`Failed to register chart font ${font.family} (${font.weight}) from ${font.file}`);
    }
  }
  registered = true;
}

/**
 * CSS font shorthand with a family fallback list, so mixed Uyghur / Chinese / Latin text all find glyphs.
 * The script of the chart's locale goes first so its Latin/digit glyphs match the surrounding text.
 */
export function chartFont(sizePx: number, bold: boolean, arabicFirst: boolean): string {
  const families = arabicFirst ? [ARABIC_FONT_FAMILY, CJK_FONT_FAMILY] : [CJK_FONT_FAMILY, ARABIC_FONT_FAMILY];
  return `${bold ? 'bold ' : ''}${sizePx}px ${families.map((f) => `"${f}"`).join(', ')}, sans-serif`;
}
