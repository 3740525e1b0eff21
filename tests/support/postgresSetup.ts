import type { TestProject } from 'vitest/node';
import { startPostgresCluster } from './postgres.ts';

/**
 * globalSetup of the vitest project 'postgres': one throwaway PostgreSQL server for the run,
 * removed at the end. When it cannot start, the run fails here with the reason.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const cluster = await startPostgresCluster();
  project.provide('postgresUrl', cluster.url);
  return () => cluster.stop();
}
