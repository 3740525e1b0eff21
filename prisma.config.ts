// Prisma CLI configuration. The CLI runs offline through the JavaScript schema
// engine and the better-sqlite3 driver adapter (see ../shared/notes/toolchain.md):
// no native engine binary is downloaded or executed.
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { databaseFileUrl } from './src/db/url.ts';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  async adapter() {
    return new PrismaBetterSQLite3({ url: databaseFileUrl(process.env.DATABASE_URL) });
  },
});
