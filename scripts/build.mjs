// The one build script: bundles each runtime with esbuild into dist/.
// `node scripts/build.mjs [--watch] [--minify]`
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync } from 'node:fs';
import { vscodeOnce } from './vscodeOnce.mjs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

/** Native or large runtime packages stay in node_modules instead of the bundle. */
const nodeExternal = ['sharp', 'vscode'];
const nodeBundle = { outdir: 'dist', platform: 'node', format: 'cjs', target: 'node20', bundle: true, external: nodeExternal };

const builds = [
  {
    // The CLI: a tiny dispatcher plus one bundle per subcommand, loaded on demand so
    // `virgo prepare` never loads the HTTP stack and `virgo --help` loads nothing.
    entryPoints: {
      virgo: 'server/cli/virgo.ts',
      'cli/prepare': 'server/cli/prepareCommand.ts',
      'cli/reason': 'server/cli/reasonCommand.ts',
      'cli/replay': 'server/cli/replayCommand.ts',
      'cli/batch': 'server/cli/batchCommand.ts',
      'cli/report': 'server/cli/reportCommand.ts',
    },
    ...nodeBundle,
  },
  {
    // The language server (also `virgo-language-server --stdio` for other editors).
    entryPoints: { server: 'server/lsp/serverMain.ts' },
    ...nodeBundle,
  },
  {
    // The extension host side; the language client library is its own bundle, loaded on first use.
    entryPoints: { extension: 'extension/extension.ts' },
    ...nodeBundle,
    // Message-type constants only need their method name here (extension/messageTypes.ts).
    alias: { 'vscode-jsonrpc': './extension/messageTypes.ts' },
    plugins: [vscodeOnce],
  },
  {
    // The language client library, loaded on the first request.
    entryPoints: { languageClient: 'extension/languageClientModule.ts' },
    ...nodeBundle,
  },
  {
    // The reasoning panel's webview (browser code, loaded by the host page with a nonce). It needs
    // no other assets: math is KaTeX MathML (no fonts or CSS), and its stylesheet is media/panel.css.
    entryPoints: { 'webview/main': 'webview/main.ts', 'webview/compare': 'webview/compare/main.ts' },
    outdir: 'dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    bundle: true,
  },
  {
    // Integration tests, run inside the extension host by test/integration/runInHost.mjs;
    // mocha stays external and resolves from the repo's node_modules.
    entryPoints: Object.fromEntries(
      readdirSync('test/integration')
        .filter((f) => f.endsWith('.ts'))
        .map((f) => [`test/integration/${f.slice(0, -3)}`, `test/integration/${f}`]),
    ),
    ...nodeBundle,
    external: [...nodeExternal, 'mocha'],
  },
];

const common = { sourcemap: true, minify, logLevel: 'warning', legalComments: 'none' };

if (watch) {
  for (const b of builds) await (await esbuild.context({ ...common, ...b })).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build({ ...common, ...b })));
  for (const bin of ['dist/virgo.js', 'dist/server.js']) chmodSync(bin, 0o755);
}
