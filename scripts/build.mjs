// The one build script: bundles each runtime with esbuild into dist/.
// `node scripts/build.mjs [--watch] [--minify]`
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

/** Native or large runtime packages stay in node_modules instead of the bundle. */
const nodeExternal = ['sharp', 'vscode'];

const builds = [
  {
    // The CLI: a tiny dispatcher plus one bundle per subcommand, loaded on demand so
    // `virgo prepare` never loads the HTTP stack and `virgo --help` loads nothing.
    entryPoints: {
      virgo: 'server/cli/virgo.ts',
      'cli/prepare': 'server/cli/prepareCommand.ts',
      'cli/reason': 'server/cli/reasonCommand.ts',
      'cli/replay': 'server/cli/replayCommand.ts',
    },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    external: nodeExternal,
  },
  {
    // The extension host side.
    entryPoints: { extension: 'extension/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    external: nodeExternal,
  },
  {
    // Integration tests, run inside the extension host by test/integration/runInHost.mjs;
    // mocha stays external and resolves from the repo's node_modules.
    entryPoints: Object.fromEntries(
      readdirSync('test/integration')
        .filter((f) => f.endsWith('.ts'))
        .map((f) => [`test/integration/${f.slice(0, -3)}`, `test/integration/${f}`]),
    ),
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    bundle: true,
    external: [...nodeExternal, 'mocha'],
  },
];

const common = { sourcemap: true, minify, logLevel: 'warning', legalComments: 'none' };

if (watch) {
  for (const b of builds) await (await esbuild.context({ ...common, ...b })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
  chmodSync('dist/virgo.js', 0o755);
}
