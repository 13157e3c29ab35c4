/**
 * `npm run build` (and `prepare`, so that `npm pack`, `npm install <git url>` and `npm link` ship a
 * built package): dist/ from scratch, an ES module build and a CommonJS one, each with source maps,
 * declarations and declaration maps pointing into the shipped src/. Plain JavaScript, so that it
 * needs nothing but TypeScript itself.
 */
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // `npm link` in a fresh clone runs `prepare` before any dependency is installed.
  console.error('[build] TypeScript is not installed: run `npm install` first (it builds dist/ too).');
  process.exit(1);
}

// A clean dist/: files of deleted or renamed modules must not ship.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  const { status } = spawnSync(process.execPath, [tsc, '-p', project], { cwd: root, stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
// The package is "type": "module"; this marks dist/cjs (its .js and its .d.ts) as CommonJS.
writeFileSync(new URL('../dist/cjs/package.json', import.meta.url), '{ "type": "commonjs" }\n');
