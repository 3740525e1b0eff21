import { describe, expect, it } from 'vitest';
import { ConfigError, loadBackupConfig, loadConfig } from '../src/config.ts';

const TOKEN = '123456:ABCdefGHIjklMNOpqrSTUvwx_yz-0123';

describe('loadConfig', () => {
  it('should apply the defaults the README promises', () => {
    const config = loadConfig({ BOT_TOKEN: TOKEN });
    expect(config).toMatchObject({
      TELEGRAM_API_ROOT: 'https://api.telegram.org',
      DATABASE_URL: 'file:./data/village-desk.db',
      TIMEZONE: 'Asia/Urumqi',
      DEFAULT_LOCALE: 'ug',
      ADMIN_TELEGRAM_IDS: [],
      BOT_MODE: 'polling',
      REMINDER_CRON: '0 10 * * *',
      DIGEST_CRON: '0 9 * * 1',
      QUIET_HOURS_START: '21:00',
    });
  });

  it('should parse admin ids and treat empty values as unset', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN, ADMIN_TELEGRAM_IDS: ' 12, 34 ,', TIMEZONE: '' })).toMatchObject({ ADMIN_TELEGRAM_IDS: [12, 34], TIMEZONE: 'Asia/Urumqi' });
  });

  it('should name every bad value in one clear error', () => {
    try {
      loadConfig({ BOT_TOKEN: 'nope', TIMEZONE: 'Mars/Olympus', DEFAULT_LOCALE: 'fr', ADMIN_TELEGRAM_IDS: 'abc', REMINDER_CRON: 'every day', BOT_MODE: 'webhook' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/^Invalid config:/);
      for (const name of ['BOT_TOKEN', 'TIMEZONE', 'DEFAULT_LOCALE', 'ADMIN_TELEGRAM_IDS', 'REMINDER_CRON', 'WEBHOOK_URL', 'WEBHOOK_SECRET']) expect(message).toContain(name);
    }
  });

  it('should require a token', () => {
    expect(() => loadConfig({})).toThrow(/BOT_TOKEN is required/);
  });

  it('should accept webhook mode with its URL and secret', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN, BOT_MODE: 'webhook', WEBHOOK_URL: 'https://desk.example.org/tg', WEBHOOK_SECRET: 's3cret_-X', PORT: '9000' })).toMatchObject({ PORT: 9000, BOT_MODE: 'webhook' });
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, BOT_MODE: 'webhook', WEBHOOK_URL: 'https://x.org', WEBHOOK_SECRET: 'has spaces' })).toThrow(/WEBHOOK_SECRET/);
  });

  it('should default the flood, daily report and backup settings, and refuse nonsense in them', () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN })).toMatchObject({
      UPDATES_PER_MINUTE: 30,
      STAFF_UPDATES_PER_MINUTE: 120,
      FLOOD_PAUSE_SECONDS: 60,
      REPORTS_PER_DAY: 10,
      STAFF_REPORTS_PER_DAY: 200,
      BACKUP_DIR: './data/backups',
      BACKUP_KEEP: 14,
      BACKUP_CRON: '30 3 * * *',
    });
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, REPORTS_PER_DAY: '0', UPDATES_PER_MINUTE: 'lots', BACKUP_KEEP: '1.5', BACKUP_CRON: 'nightly' })).toThrow(
      /REPORTS_PER_DAY must be at least 1[\s\S]*UPDATES_PER_MINUTE must be a whole number[\s\S]*BACKUP_KEEP must be a whole number[\s\S]*BACKUP_CRON is not a valid cron/,
    );
    // backup and restore need no bot token
    expect(loadBackupConfig({ DATABASE_URL: 'file:/srv/desk.db', BACKUP_KEEP: '3' })).toEqual({ DATABASE_URL: 'file:/srv/desk.db', BACKUP_DIR: './data/backups', BACKUP_KEEP: 3 });
  });
});

