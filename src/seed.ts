/**
 * `npm run seed -- <file.json>`: loads villages, categories, staff and owners for a first
 * deployment (see prisma/seed.example.json). Safe to run again: it updates what exists.
 */
import fs from 'node:fs';
import { migrateDatabase } from './db/migrate.ts';
import { openDatabase } from './db/client.ts';
import { AdminService, SeedFile } from './services/admin.ts';
import { CatalogService } from './services/catalog.ts';
import { systemClock } from './domain/time.ts';

async function main(): Promise<void> {
  if (fs.existsSync('.env')) process.loadEnvFile('.env');
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npm run seed -- <file.json>   (example: prisma/seed.example.json)');
    process.exit(2);
  }
  let seed: SeedFile;
  try {
    seed = SeedFile.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    console.error(`${file}: not a valid seed file: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  await migrateDatabase(process.env.DATABASE_URL);
  const db = await openDatabase(process.env.DATABASE_URL);
  try {
    await new CatalogService({ db }).seedDefaults(systemClock.now());
    const counts = await new AdminService({ db, clock: systemClock }).loadSeed(seed);
    console.log(`seeded ${counts.places} places, ${counts.categories} categories, ${counts.people} staff, ${counts.owners} owner rules`);
  } finally {
    await db.$disconnect();
  }
}

void main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
