#!/usr/bin/env node
// Compiles src/ into dist/ only when a source is newer than the last build, so that `npm start`
// does not spend seconds in tsc on every start (the build also runs once at install).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const stamp = path.join(root, 'dist', '.build-stamp');
const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** The newest modification time under a file or folder (0 when it does not exist). */
function newest(p) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const name of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, name)));
  return max;
}

const builtAt = newest(stamp);
const changedAt = Math.max(...inputs.map((p) => newest(path.join(root, p))));
if (builtAt > 0 && builtAt >= changedAt && fs.existsSync(path.join(root, 'dist', 'main.js'))) process.exit(0);

if (process.argv.includes('--quiet') === false) console.error('building (sources changed since the last build)…');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // an install without dev dependencies: nothing to build with (and nothing to fail the install over)
  console.error('TypeScript is not installed (npm ci installs it); dist/ was not built');
  process.exit(process.argv.includes('--quiet') ? 0 : 1);
}
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
fs.mkdirSync(path.dirname(stamp), { recursive: true });
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
