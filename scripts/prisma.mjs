#!/usr/bin/env node
// Runs the Prisma CLI offline: with the JavaScript schema engine (prisma.config.ts) neither
// native engine is executed, but the CLI still checks that their paths exist, so we point
// both at a file that does (see ../shared/notes/toolchain.md).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(import.meta.url);
const cli = require.resolve('prisma/build/index.js');
const placeholder = path.join(root, 'package.json');
const result = spawnSync(process.execPath, [cli, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: placeholder,
    PRISMA_QUERY_ENGINE_LIBRARY: placeholder,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  },
});
process.exit(result.status ?? 1);
