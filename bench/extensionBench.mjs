// Extension benchmark: bundle sizes (as built in dist/, and minified as `npm run package` ships
// them, with what fills the extension bundle), the bundle's load time in plain Node, and activation
// time in the real host: code-server (scripts/codeServer.mjs) started fresh `hosts` times, each
// running bench/extensionProbe.cjs as extensionTestsPath, which times activate() of our extension
// from cold; VS Code's own figure (code loading + activate call, "Developer: Show Running
// Extensions") is read from the workbench page too.
//
//   node bench/extensionBench.mjs [--hosts N]          (after node scripts/build.mjs)
import * as esbuild from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import {
  createHostDirs, freePort, isCodeServerInstalled, removeHostDirs, startCodeServer, workbenchUrl, writeSettings,
} from '../scripts/codeServer.mjs';
import { vscodeOnce } from '../scripts/vscodeOnce.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const BUNDLES = {
  extension: { entry: 'extension/extension.ts', out: 'dist/extension.js', platform: 'node', alias: { 'vscode-jsonrpc': './extension/messageTypes.ts' }, plugins: [vscodeOnce] },
  languageClient: { entry: 'extension/languageClientModule.ts', out: 'dist/languageClient.js', platform: 'node' },
  server: { entry: 'server/lsp/serverMain.ts', out: 'dist/server.js', platform: 'node' },
  webview: { entry: 'webview/main.ts', out: 'dist/webview/main.js', platform: 'browser' },
};

/** Sizes of dist/ as built, and of the same entry points minified (scripts/build.mjs --minify's settings). */
async function bundleSizes() {
  const out = {};
  const dir = mkdtempSync(join(tmpdir(), 'virgo-bench-min-'));
  try {
    for (const [name, b] of Object.entries(BUNDLES)) {
      const built = readFileSync(join(repo, b.out));
      const result = await esbuild.build({
        entryPoints: [join(repo, b.entry)], outfile: join(dir, `${name}.js`), bundle: true, minify: true, metafile: true,
        legalComments: 'none', logLevel: 'error', write: true, absWorkingDir: repo, ...(b.alias ? { alias: b.alias } : {}), ...(b.plugins ? { plugins: b.plugins } : {}),
        ...(b.platform === 'node'
          ? { platform: 'node', format: 'cjs', target: 'node20', external: ['sharp', 'vscode'] }
          : { platform: 'browser', format: 'iife', target: 'es2022' }),
      });
      const min = readFileSync(join(dir, `${name}.js`));
      out[`${name}BundleBytes`] = built.length;
      out[`${name}BundleGzipBytes`] = gzipSync(built).length;
      out[`${name}MinifiedBytes`] = min.length;
      // What fills the minified bundle, by package (or our own folder).
      const byPackage = new Map();
      for (const [file, info] of Object.entries(Object.values(result.metafile.outputs)[0].inputs)) {
        const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
        const key = m ? m[1] : file.split('/')[0];
        byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
      }
      out[`${name}BundleContents`] = [...byPackage].sort((a, c) => c[1] - a[1]).slice(0, 6)
        .map(([k, v]) => `${k} ${(v / 1024).toFixed(0)} KB`).join(', ');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

/** require('dist/extension.js') in a fresh Node with `vscode` stubbed: the code-loading part alone. */
function nodeLoadMs(runs = 5) {
  const script = `
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === 'vscode') return new Proxy({}, { get: () => new Proxy(function () {}, { get: () => ({}) }) });
      return load.call(this, request, ...rest);
    };
    const t0 = performance.now();
    require(${JSON.stringify(join(repo, 'dist/extension.js'))});
    process.stdout.write(String(performance.now() - t0));`;
  const times = [];
  for (let i = 0; i < runs; i++) times.push(Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })));
  return median(times);
}

/** One fresh code-server + workbench: the probe's numbers and VS Code's own "Activation: N ms". */
async function activateOnce(log) {
  const dirs = createHostDirs('virgo-bench-host-');
  const workspace = join(dirs.root, 'workspace');
  mkdirSync(workspace, { recursive: true });
  writeSettings(dirs.userDataDir);
  const probeOut = join(dirs.root, 'probe.json');
  let server;
  let context;
  try {
    const port = await freePort();
    server = startCodeServer({ port, dirs, workspace, env: { VIRGO_BENCH_PROBE_OUT: probeOut } });
    await server.waitForHealthz(30_000);
    context = await chromium.launchPersistentContext(join(dirs.root, 'chromium'), {
      executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 800 },
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.exposeFunction('codeAutomationLog', () => {});
    await page.exposeFunction('codeAutomationExit', () => {});
    const t0 = performance.now();
    await page.goto(workbenchUrl({ port, workspace, extensionDevelopmentPath: repo, extensionTestsPath: join(repo, 'bench/extensionProbe.cjs') }));
    while (!existsSync(probeOut)) {
      if (performance.now() - t0 > 90_000) throw new Error('the probe did not report within 90 s');
      await sleep(100);
    }
    const probe = JSON.parse(readFileSync(probeOut, 'utf8'));
    // VS Code's own figure, from the Running Extensions editor the probe opened.
    let vscodeMs = null;
    try {
      const row = page.locator('.runtime-extensions-editor .monaco-list-row').filter({ hasText: 'virgo-vscode' }).first();
      const text = await row.locator('.activation-time').textContent({ timeout: 15_000 });
      const m = /(\d+)\s*ms/.exec(text ?? '');
      vscodeMs = m ? Number(m[1]) : null;
    } catch (e) {
      log(`  (could not read VS Code's Running Extensions: ${String(e.message ?? e).split('\n')[0]})`);
    }
    return { ...probe, vscodeMs };
  } finally {
    try { writeFileSync(`${probeOut}.done`, ''); } catch { /* the dir may be gone */ }
    if (context) await Promise.race([context.close().catch(() => {}), sleep(5_000)]);
    await server?.stop(5_000);
    removeHostDirs(dirs);
  }
}

export async function runExtensionBench({ hosts = 3, log = console.error } = {}) {
  const out = {};
  log('extension: bundle sizes (as built and minified)…');
  Object.assign(out, await bundleSizes());
  for (const [name, b] of Object.entries(BUNDLES)) out[`${name}BundleBytesOnDisk`] = statSync(join(repo, b.out)).size;
  out.extensionNodeLoadMs = nodeLoadMs();
  if (!isCodeServerInstalled()) {
    log('extension: code-server is not installed (npm run setup:test-host): activation not measured');
    out.activationError = 'code-server not installed';
    return out;
  }
  const runs = [];
  for (let i = 0; i < hosts; i++) {
    log(`extension: activation in fresh host ${i + 1}/${hosts}…`);
    const r = await activateOnce(log);
    if (!r.found || r.wasActive || r.error || typeof r.activateMs !== 'number') throw new Error(`activation probe: ${JSON.stringify(r)}`);
    runs.push(r);
  }
  Object.assign(out, {
    activationHosts: runs.length,
    activationMs: median(runs.map((r) => r.activateMs)),
    activationRunsMs: runs.map((r) => Math.round(r.activateMs * 10) / 10),
    activationVsCodeMs: runs.every((r) => r.vscodeMs !== null) ? median(runs.map((r) => r.vscodeMs)) : null,
    activationVsCodeRunsMs: runs.map((r) => r.vscodeMs),
    activeCallMs: median(runs.map((r) => r.activeCallMs)),
    activationLoadedFromRepo: runs[0].repoModules.join(', '),
    vscodeVersion: runs[0].vscodeVersion,
  });
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const i = process.argv.indexOf('--hosts');
  console.log(JSON.stringify(await runExtensionBench({ hosts: i >= 0 ? Number(process.argv[i + 1]) : 3 }), null, 1));
}
