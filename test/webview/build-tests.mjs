// Bundles each test/webview/*.test.ts into out/test/webview/*.test.js (Node, CommonJS) so the
// webview's browser code and its ESM-only dependencies run under `node --test` without VS Code.
// Helpers (setup.ts, fixtures.ts) are bundled into each test, so out/ holds only test files.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'test/webview');
const outdir = join(root, 'out/test/webview');

rmSync(outdir, { recursive: true, force: true });
const entries = readdirSync(src).filter((f) => f.endsWith('.test.ts'));
await esbuild.build({
  entryPoints: Object.fromEntries(entries.map((f) => [f.slice(0, -3), join(src, f)])),
  outdir,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  bundle: true,
  sourcemap: 'inline',
  logLevel: 'warning',
  // Tools the browser tests drive from Node stay in node_modules.
  external: ['playwright-core', 'esbuild'],
});
console.log(`built ${entries.length} webview test files into ${outdir}`);
