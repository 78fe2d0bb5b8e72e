// A stand-in for the VS Code webview host, for looking at the reasoning panel in a real browser:
// the same CSP (with a nonce) served over http://127.0.0.1 so it applies for real, VS Code's theme
// variables for dark / light / high contrast, an acquireVsCodeApi stub, and headless Chromium.
//
//   node test/webview/harness.mjs            screenshots into test-results/screenshots/
//   node test/webview/harness.mjs --dist     use dist/webview/main.js (after node scripts/build.mjs)
//
// Also a module: openWebviewHarness() and streamTranscript() are what the benchmark builds on.
import * as esbuild from 'esbuild';
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { themeCss } from './harnessTheme.mjs';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const screenshotDir = join(repo, 'test-results', 'screenshots');

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Bundles webview/main.ts exactly like scripts/build.mjs does; returns the file path. */
export async function buildWebviewBundle(outDir = mkdtempSync(join(tmpdir(), 'virgo-webview-'))) {
  const outfile = join(outDir, 'main.js');
  await esbuild.build({
    entryPoints: [join(repo, 'webview/main.ts')], outfile, platform: 'browser', format: 'iife',
    target: 'es2022', bundle: true, sourcemap: 'inline', logLevel: 'warning', legalComments: 'none',
  });
  return outfile;
}

/** The real ThoughtParser, bundled for Node so no tsc output is needed. */
export async function loadThoughtParser() {
  const dir = mkdtempSync(join(tmpdir(), 'virgo-parser-'));
  const outfile = join(dir, 'thoughtParser.cjs');
  await esbuild.build({ entryPoints: [join(repo, 'server/thought/thoughtParser.ts')], outfile, platform: 'node',
    format: 'cjs', target: 'node20', bundle: true, logLevel: 'warning' });
  const { ThoughtParser } = createRequire(import.meta.url)(outfile);
  rmSync(dir, { recursive: true, force: true });
  return ThoughtParser;
}

function page(nonce, origin, theme, extraScripts) {
  const csp = `default-src 'none'; img-src ${origin} blob:; style-src ${origin}; script-src 'nonce-${nonce}'; font-src ${origin};`;
  const kind = theme === 'light' ? 'vscode-light' : theme === 'hc' ? 'vscode-high-contrast' : 'vscode-dark';
  // acquireVsCodeApi: like VS Code's, callable once; posted messages are kept for the test to read.
  const stub = `(() => {
    let acquired = false;
    window.__posted = [];
    window.__state = undefined;
    window.acquireVsCodeApi = () => {
      if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
      acquired = true;
      return Object.freeze({
        postMessage: (m) => { window.__posted.push(JSON.parse(JSON.stringify(m))); },
        getState: () => window.__state,
        setState: (s) => { window.__state = s; return s; },
      });
    };
  })();`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${origin}/theme.css?kind=${theme}">
<link rel="stylesheet" href="${origin}/media/panel.css">
<title>Virgo</title>
</head>
<body class="${kind}" data-vscode-theme-kind="${kind}">
<div id="app"></div>
<script nonce="${nonce}">${stub}</script>
${extraScripts.map((s) => `<script nonce="${nonce}" src="${origin}/extra/${s.name}"></script>`).join('\n')}
<script nonce="${nonce}" src="${origin}/main.js"></script>
</body>
</html>`;
}

/**
 * Opens the panel in headless Chromium behind a VS Code-like host page.
 * Returns { page, post, postMany, posted, violations, assertClean, settle, screenshot, close }.
 * `extraScripts: [{ name, path }]` load before main.js (test probes).
 */
export async function openWebviewHarness({
  theme = 'dark', width = 960, height = 720, bundle, useDist = false, extraScripts = [], browser: shared,
} = {}) {
  const bundlePath = bundle ?? (useDist ? join(repo, 'dist/webview/main.js') : await buildWebviewBundle());
  const nonce = randomBytes(16).toString('base64');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (type, body) => { res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }); res.end(body); };
    try {
      if (url.pathname === '/') return send('text/html; charset=utf-8', page(nonce, origin, theme, extraScripts));
      if (url.pathname === '/theme.css') return send('text/css', themeCss(url.searchParams.get('kind') ?? theme));
      if (url.pathname === '/media/panel.css') return send('text/css', readFileSync(join(repo, 'media/panel.css')));
      if (url.pathname === '/main.js') return send('text/javascript', readFileSync(bundlePath));
      // Chromium asks every http origin for a favicon; a webview never does.
      if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
      const extra = extraScripts.find((s) => url.pathname === `/extra/${s.name}`);
      if (extra) return send('text/javascript', readFileSync(extra.path));
      res.writeHead(404).end();
    } catch (err) {
      res.writeHead(500).end(String(err));
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;

  const browser = shared ?? await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const pg = await context.newPage();
  const problems = [];
  pg.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  pg.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  pg.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('blob:')) problems.push(`remote request: ${r.url()}`); });
  await pg.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} ${e.sample ?? ''}`.trim());
    });
  });
  await pg.goto(`${origin}/`);
  await pg.waitForFunction(() => window.__posted?.some((m) => m.type === 'ready'));

  const h = {
    page: pg,
    origin,
    /** Delivers a host → webview message the way VS Code does (a message event on window). */
    post: (msg) => pg.evaluate((m) => window.postMessage(m, '*'), msg),
    /** Several messages in one round trip, delivered in order within the same task. */
    postMany: (msgs) => pg.evaluate((ms) => { for (const m of ms) window.dispatchEvent(new MessageEvent('message', { data: m })); }, msgs),
    /** Messages the webview posted to the host so far. */
    posted: () => pg.evaluate(() => window.__posted),
    /** CSP violations, console errors, page errors and remote requests seen so far. */
    violations: async () => [...(await pg.evaluate(() => window.__csp)).map((v) => `CSP: ${v}`), ...problems],
    async assertClean(where = '') {
      const v = await h.violations();
      if (v.length > 0) throw new Error(`webview problems${where ? ` (${where})` : ''}:\n  ${v.join('\n  ')}`);
    },
    /** Waits until the page has painted twice (message handlers and the coalesced frame have run). */
    settle: () => pg.evaluate(() => new Promise((ok) => requestAnimationFrame(() => requestAnimationFrame(() => ok())))),
    async screenshot(name) {
      mkdirSync(screenshotDir, { recursive: true });
      const path = join(screenshotDir, `${name}.png`);
      await h.settle();
      await pg.screenshot({ path });
      return path;
    },
    async close() {
      await context.close();
      if (!shared) await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
  return h;
}

/** The sample image as the host would describe it (Qwen2-VL smart_resize of 640×480 → 644×476). */
export function sampleCompose(recentQuestions = ['What is the length of AB?', 'Which angle is the right angle?']) {
  const png = readFileSync(join(repo, 'media/samples/right-triangle.png'));
  return {
    type: 'compose',
    image: {
      name: 'right-triangle.png',
      info: { width: 640, height: 480, sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 12595 },
      thumbnailBase64: png.toString('base64'),
    },
    recentQuestions,
    backendLabel: 'virgo-72b · http://gpu-node:8000/v1',
  };
}

export const sampleTranscript = () => readFileSync(join(repo, 'media/samples/right-triangle.transcript.txt'), 'utf8');

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Streams a transcript through the real ThoughtParser into the panel as the host would:
 * sessionStarted, start, then per frame the closed segments and a progress message, then answer
 * and end. Chunks are ~4 characters (≈ one token). `stopAfterTokens` pauses mid-stream (the
 * session stays live); call the returned `finish()` to end it with a reason.
 */
export async function streamTranscript(h, text, {
  question = 'What is the length of AB?', model = 'virgo-72b', tokensPerSecond = 400, frameMs = 16,
  chunkChars = 4, stopAfterTokens = Infinity, ThoughtParser,
} = {}) {
  const Parser = ThoughtParser ?? await loadThoughtParser();
  const parser = new Parser();
  const chunks = [];
  for (let i = 0; i < text.length; i += chunkChars) chunks.push(text.slice(i, i + chunkChars));
  await h.post({ type: 'sessionStarted', question, startedAt: Date.now() });
  await h.post({ type: 'start', event: { type: 'start', model, file: '/work/samples/right-triangle.png', width: 640, height: 480,
    sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 12595 } });
  const t0 = Date.now();
  let sent = 0;
  while (sent < chunks.length && sent < stopAfterTokens) {
    const due = Math.min(chunks.length, stopAfterTokens, Math.max(sent + 1, Math.floor(((Date.now() - t0) / 1000) * tokensPerSecond)));
    const closed = [];
    for (; sent < due; sent++) closed.push(...parser.push({ content: chunks[sent] }, Date.now() - t0));
    const msgs = [];
    if (closed.length) msgs.push({ type: 'segments', segments: closed });
    msgs.push({ type: 'progress', open: parser.openSegment(), chunks: parser.chunks });
    await h.postMany(msgs);
    await sleep(frameMs);
  }
  const finish = async (reason = 'stop', extra = {}) => {
    const end = parser.finish(Date.now() - t0);
    const msgs = [];
    if (end.segments.length) msgs.push({ type: 'segments', segments: end.segments });
    msgs.push({ type: 'progress', open: null, chunks: parser.chunks });
    if (reason === 'stop' || reason === 'length') msgs.push({ type: 'answer', answer: end.answer });
    const usage = { prompt_tokens: 430, completion_tokens: parser.chunks, total_tokens: 430 + parser.chunks };
    msgs.push({ type: 'end', reason, usage: reason === 'error' ? null : usage, ...extra });
    await h.postMany(msgs);
    await h.settle();
  };
  /** Ends the stream abruptly (error / stop) without closing the open segment first. */
  const abort = async (reason, extra = {}) => {
    await h.post({ type: 'end', reason, usage: null, ...extra });
    await h.settle();
  };
  if (sent >= chunks.length) await finish();
  return { parser, finish, abort, tokensSent: sent, done: sent >= chunks.length };
}

async function pressKeys(h, keys) {
  for (const k of keys) {
    await h.page.keyboard.press(k);
    await h.settle();
  }
}

/** The screenshot run (node test/webview/harness.mjs): fails on any CSP violation or page error. */
async function main() {
  const useDist = process.argv.includes('--dist');
  const bundle = useDist ? join(repo, 'dist/webview/main.js') : await buildWebviewBundle();
  const ThoughtParser = await loadThoughtParser();
  const text = sampleTranscript();
  const shots = [];
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  try {
    // 1. Compose, dark; then ask through the real textarea (Enter submits).
    let h = await openWebviewHarness({ theme: 'dark', bundle, browser });
    await h.post(sampleCompose());
    shots.push(await h.screenshot('webview-compose-dark'));
    await h.page.fill('#virgo-question', 'What is the length of AB?');
    await h.page.press('#virgo-question', 'Enter');
    const asked = (await h.posted()).find((m) => m.type === 'ask');
    if (asked?.question !== 'What is the length of AB?') throw new Error(`no ask message posted: ${JSON.stringify(await h.posted())}`);
    // 2. Mid-stream, dark.
    const run = await streamTranscript(h, text, { ThoughtParser, tokensPerSecond: 250, stopAfterTokens: 420 });
    shots.push(await h.screenshot('webview-midstream-dark'));
    // 3. Finished, stepping onto a reflection, dark.
    await run.finish('stop');
    await pressKeys(h, ['g', 'n', 'n']);
    shots.push(await h.screenshot('webview-stepping-dark'));
    await h.assertClean('dark session');
    await h.close();

    // 4. The same in the light theme, landing on a verify reflection from the end.
    h = await openWebviewHarness({ theme: 'light', bundle, browser });
    await h.post(sampleCompose());
    shots.push(await h.screenshot('webview-compose-light'));
    const light = await streamTranscript(h, text, { ThoughtParser, tokensPerSecond: 4000 });
    if (!light.done) await light.finish();
    await pressKeys(h, ['G', 'p', 'p']);
    shots.push(await h.screenshot('webview-stepping-light'));
    await h.assertClean('light session');
    await h.close();

    // 5. An error mid-thought with the host's suggested actions, dark.
    h = await openWebviewHarness({ theme: 'dark', bundle, browser });
    await h.post(sampleCompose());
    const failing = await streamTranscript(h, text, { ThoughtParser, tokensPerSecond: 4000, stopAfterTokens: 300 });
    await failing.abort('error', {
      error: 'Connection to http://gpu-node:8000/v1 was reset after 300 tokens (ECONNRESET). Check that the vLLM server is still running.',
      actions: ['retry', 'checkBackend', 'showLog'],
    });
    shots.push(await h.screenshot('webview-error-dark'));
    await h.assertClean('error state');
    await h.close();

    // 6. High contrast and a narrow panel, end state.
    h = await openWebviewHarness({ theme: 'hc', bundle, browser, width: 520, height: 760 });
    await h.post(sampleCompose());
    const hc = await streamTranscript(h, text, { ThoughtParser, tokensPerSecond: 4000 });
    if (!hc.done) await hc.finish();
    await pressKeys(h, ['g', 'n']);
    shots.push(await h.screenshot('webview-stepping-hc-narrow'));
    await h.assertClean('high contrast');
    await h.close();
  } finally {
    await browser.close();
  }
  console.log(`no CSP violations or page errors; screenshots:\n  ${shots.join('\n  ')}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

