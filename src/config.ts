import { z } from 'zod';
import { DEFAULT_DATABASE_URL } from './db/url.ts';
import { isValidCron } from './jobs/cron.ts';

const LOCALES = ['ug', 'zh', 'en'] as const;

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const cron = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(isValidCron, { message: 'is not a valid cron expression (five or six fields, e.g. "0 10 * * *")' });

const hhmm = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((v) => /^([01]\d|2[0-3]):[0-5]\d$/.test(v), { message: 'must be a time of day as HH:MM' });

const count = (fallback: number, unit: string) =>
  z.coerce.number({ message: `must be a whole number of ${unit}` }).int({ message: `must be a whole number of ${unit}` }).min(1, { message: `must be at least 1 (${unit})` }).default(fallback);
const days = (fallback: number, min: number) =>
  z.coerce.number({ message: 'must be a number of days' }).int({ message: 'must be a whole number of days' }).min(min, { message: `must be at least ${min} day(s)` }).default(fallback);

const schema = z
  .object({
    BOT_TOKEN: z
      .string({ message: 'is required: ask @BotFather for a token (see README)' })
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, { message: 'does not look like a bot token (digits:letters, from @BotFather)' }),
    TELEGRAM_API_ROOT: z.url({ message: 'must be a URL such as https://api.telegram.org' }).default('https://api.telegram.org'),
    DATABASE_URL: z.string().default(DEFAULT_DATABASE_URL),
    TIMEZONE: z.string().default('Asia/Urumqi').refine(isTimeZone, { message: 'is not an IANA time zone name (e.g. Asia/Urumqi)' }),
    DEFAULT_LOCALE: z.enum(LOCALES, { message: 'must be one of ug, zh, en' }).default('ug'),
    ADMIN_TELEGRAM_IDS: z
      .string()
      .default('')
      .refine((v) => v.split(',').every((s) => s.trim() === '' || /^\d+$/.test(s.trim())), {
        message: 'must be Telegram user ids separated by commas, e.g. 12345,67890',
      })
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '')
          .map(Number),
      ),
    BOT_MODE: z.enum(['polling', 'webhook'], { message: 'must be polling or webhook' }).default('polling'),
    WEBHOOK_URL: z.url({ message: 'must be the public https URL Telegram posts updates to' }).optional(),
    WEBHOOK_SECRET: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,256}$/, { message: 'must be 1 to 256 characters of A-Z a-z 0-9 _ -' })
      .optional(),
    PORT: z.coerce.number({ message: 'must be a port number' }).int().min(1).max(65535).default(8080),
    // the bot's own budget over all chats: Telegram allows about 30 a second, more with paid broadcasts
    TELEGRAM_MESSAGES_PER_SECOND: z.coerce.number({ message: 'must be a number of messages per second' }).positive().default(25),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    REMINDER_CRON: cron('0 10 * * *'),
    ESCALATION_CRON: cron('30 10 * * *'),
    FOLLOWUP_CRON: cron('0 11 * * *'),
    DIGEST_CRON: cron('0 9 * * 1'),
    CLEANUP_CRON: cron('15 * * * *'),
    ESCALATE_AFTER_DAYS: z.coerce.number({ message: 'must be a number of days' }).int().min(1).default(3),
    QUIET_HOURS_START: hhmm('21:00'),
    QUIET_HOURS_END: hhmm('09:00'),
    // Floods and abuse (src/bot/middleware/flood.ts, src/services/quota.ts)
    REPORTS_PER_DAY: count(10, 'reports a day'),
    STAFF_REPORTS_PER_DAY: count(200, 'reports a day'),
    UPDATES_PER_MINUTE: count(30, 'messages a minute'),
    STAFF_UPDATES_PER_MINUTE: count(120, 'messages a minute'),
    FLOOD_PAUSE_SECONDS: count(60, 'seconds'),
    // Backups (src/backup)
    BACKUP_DIR: z.string().default('./data/backups'),
    BACKUP_KEEP: count(14, 'backups'),
    BACKUP_CRON: cron('30 3 * * *'),
    // Retention (issue "Trust"): how long the ledger keeps what it no longer needs.
    RETAIN_REPORTER_LINK_DAYS: days(365, 1),
    RETAIN_DELIVERED_MESSAGES_DAYS: days(3, 1),
    // Telegram re-delivers an unconfirmed update for up to 24 hours: remember ids for longer
    RETAIN_UPDATE_IDS_DAYS: days(3, 2),
    /** how long a dead process keeps the scheduler and the outbox before another takes over */
    SCHEDULER_LEASE_SECONDS: z.coerce.number({ message: 'must be a number of seconds' }).int().min(2).max(600).default(10),
  });

/** Rules between variables, checked on the raw values so that they are reported with the others. */
function crossChecks(env: Record<string, string | undefined>): string[] {
  if (env.BOT_MODE !== 'webhook') return [];
  return (['WEBHOOK_URL', 'WEBHOOK_SECRET'] as const).filter((name) => !env[name]).map((name) => `${name} is required when BOT_MODE=webhook`);
}

export type Locale = (typeof LOCALES)[number];
export type Config = z.infer<typeof schema>;

/** Raised when the environment does not describe a runnable bot; the message lists every bad value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Invalid config:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses the environment once into a typed Config, or throws ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings in .env files mean "not set".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.safeParse(cleaned);
  const problems = [
    ...(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`)),
    ...crossChecks(cleaned),
  ];
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new ConfigError(problems);
}

/** The settings `npm run backup` and `npm run restore` need (no bot token: they do not talk to Telegram). */
export function loadBackupConfig(env: NodeJS.ProcessEnv = process.env): Pick<Config, 'DATABASE_URL' | 'BACKUP_DIR' | 'BACKUP_KEEP'> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = schema.pick({ DATABASE_URL: true, BACKUP_DIR: true, BACKUP_KEEP: true }).safeParse(cleaned);
  if (parsed.success) return parsed.data;
  throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'environment'} ${i.message}`));
}
