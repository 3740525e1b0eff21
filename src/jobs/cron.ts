import cron from 'node-cron';

/** True when node-cron accepts the expression. */
export function isValidCron(expression: string): boolean {
  return cron.validate(expression);
}
