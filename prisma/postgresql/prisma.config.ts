// Prisma CLI configuration for the PostgreSQL twin (prisma/postgresql/schema.prisma, generated):
// `node scripts/prisma.mjs <command> --config prisma/postgresql/prisma.config.ts`.
import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  async adapter() {
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
});
