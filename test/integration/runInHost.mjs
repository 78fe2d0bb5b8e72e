#!/usr/bin/env node
// Runs the integration tests inside a real VS Code extension host, offline:
// code-server (installed by scripts/install-test-host.sh) serves the workbench and runs the
// extension host; Debian's chromium, driven by playwright-core, opens the workbench with
// extensionDevelopmentPath/extensionTestsPath in the URL payload; the workbench calls
// window.codeAutomationExit(code) when dist/test/integration/index.js's run() settles.
//
// It also serves the UI bridge (see test/integration/uiBridge.ts): in-host tests cannot reach
// the browser, so they POST to VIRGO_UI_BRIDGE (inherited by the extension host from
// code-server's environment) and this process acts on the Playwright page.
//
//   node test/integration/runInHost.mjs        (after: bash scripts/install-test-host.sh && npm run build)
// Environment:
//   VIRGO_TEST_HOST_DIR     code-server cache dir (default ~/.cache/virgo-vscode/code-server-4.100.3)
//   VIRGO_TEST_WORKSPACE    folder to open (default test/fixtures/workspace)
//   VIRGO_TEST_TIMEOUT_MS   overall timeout (default 600000)
//   VIRGO_TEST_GREP         only run tests whose full title matches
//   VIRGO_CHROMIUM          browser binary (default /usr/bin/chromium)
//   VIRGO_TEST_VERBOSE=1    also echo code-server's own output (always in test-results/code-server.log)
// Outputs (git-ignored): test-results/integration.json, screenshots/, code-server.log, host-logs/.
// Starting code-server and building the workbench URL: scripts/codeServer.mjs (shared with `npm start`).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import {
  codeServerHostDir,
  createHostDirs,
  freePort,
  isCodeServerInstalled,
  removeHostDirs,
  repoRoot,
  startCodeServer,
  tail,
  workbenchUrl,
  writeSettings,
} from '../../scripts/codeServer.mjs';

const hostDir = codeServerHostDir();
const workspace = path.resolve(repoRoot, process.env.VIRGO_TEST_WORKSPACE ?? 'test/fixtures/workspace');
const testsEntry = path.join(repoRoot, 'dist/test/integration/index.js');
const resultsDir = path.join(repoRoot, 'test-results');
const resultsFile = path.join(resultsDir, 'integration.json');
const screenshotsDir = path.join(resultsDir, 'screenshots');
const timeoutMs = Number(process.env.VIRGO_TEST_TIMEOUT_MS ?? 600_000);
const chromiumPath = process.env.VIRGO_CHROMIUM ?? '/usr/bin/chromium';
const verbose = process.env.VIRGO_TEST_VERBOSE === '1';
const started = Date.now();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[runInHost +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

// ---- cleanup: whatever happens, code-server and chromium go away ---------------------------

let codeServer; // startCodeServer()'s handle; the server leads its own process group
let context; // Playwright BrowserContext (persistent)
let bridgeServer;
let hostDirs; // createHostDirs(): temp user data, extensions, XDG dirs, chromium profile
let cleaningUp;

function cleanup() {
  cleaningUp ??= (async () => {
    bridgeServer?.close();
    if (context) await Promise.race([context.close().catch(() => {}), sleep(5_000)]);
    // SIGTERM to the whole group (server, extension host, pty host, watchers), then SIGKILL.
    await codeServer?.stop(5_000);
    removeHostDirs(hostDirs);
  })();
  return cleaningUp;
}

let exitCode;
/** Cleans up and exits; the first caller's code wins (a signal beats the error it causes). */
async function finish(code) {
  exitCode ??= code;
  await cleanup();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)}s, exit ${exitCode}`);
  process.exit(exitCode);
}

// Last resort if the process dies without finish(): Playwright kills its own browser on 'exit'.
process.on('exit', () => codeServer?.killGroup('SIGKILL'));
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.on(signal, () => {
    log(`${signal}: stopping`);
    void finish(code);
  });
}
process.on('uncaughtException', (err) => {
  console.error(err);
  void finish(1);
});
process.on('unhandledRejection', (err) => {
  console.error(err);
  void finish(1);
});


// ---- helpers -----------------------------------------------------------------------------

function ensureWorkspace() {
  if (fs.existsSync(workspace)) return;
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, 'README.md'), '# Integration test workspace\n\nOpened by runInHost.mjs.\n');
}

// ---- the UI bridge -------------------------------------------------------------------------

/** The visible webview's inner document: `iframe.webview.ready` > `iframe#active-frame`. */
async function webview(page, timeout) {
  const outer = page.locator('iframe.webview.ready').filter({ visible: true }).first();
  const innerIframe = outer.contentFrame().locator('iframe#active-frame');
  const handle = await innerIframe.elementHandle({ timeout });
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('the webview has no active frame');
  return { frame, outer, innerIframe };
}

/** Gives keyboard focus to the webview's inner document unless it already has it. */
async function focusWebview(page, timeout) {
  const { frame, outer, innerIframe } = await webview(page, timeout);
  if (await frame.evaluate(() => document.hasFocus())) return;
  await outer.focus({ timeout });
  await innerIframe.focus({ timeout });
}

function bridgeOps(page) {
  return {
    async screenshot({ name }) {
      const safe = String(name).replace(/[^\w.-]+/g, '_') || 'screenshot';
      const file = path.join(screenshotsDir, `${safe}.png`);
      await page.screenshot({ path: file });
      return { path: file };
    },
    async evalInWebview({ expression, timeoutMs = 10_000 }) {
      const { frame } = await webview(page, timeoutMs);
      return frame.evaluate(expression);
    },
    /** Evaluates in every webview's document, shown or hidden (panels kept alive in background tabs). */
    async evalInAllWebviews({ expression }) {
      const results = [];
      for (const frame of page.frames()) {
        const element = await frame.frameElement().catch(() => null);
        if (!element || (await element.getAttribute('id')) !== 'active-frame') continue;
        results.push(await frame.evaluate(expression));
      }
      return results;
    },
    async evalInPage({ expression }) {
      return page.evaluate(expression);
    },
    async press({ key, inWebview }) {
      if (inWebview) await focusWebview(page, 10_000);
      await page.keyboard.press(key);
      return null;
    },
    async type({ text, inWebview }) {
      if (inWebview) await focusWebview(page, 10_000);
      await page.keyboard.type(text);
      return null;
    },
    async click({ selector, inWebview, timeoutMs = 10_000, button = 'left' }) {
      const root = inWebview
        ? page.locator('iframe.webview.ready').filter({ visible: true }).first().contentFrame().frameLocator('iframe#active-frame')
        : page;
      await root.locator(selector).filter({ visible: true }).first().click({ timeout: timeoutMs, button });
      return null;
    },
  };
}

/** Serves POST /<token>/<op>; one operation at a time, in arrival order. */
function startBridge(page) {
  const token = randomBytes(12).toString('hex');
  const ops = bridgeOps(page);
  let queue = Promise.resolve();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const [, reqToken, op] = (req.url ?? '').split('/');
      const reply = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || reqToken !== token || !Object.hasOwn(ops, op)) {
        reply(404, { ok: false, error: `unknown bridge request ${req.method} ${req.url}` });
        return;
      }
      queue = queue.then(async () => {
        try {
          const args = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
          const result = await ops[op](args);
          reply(200, { ok: true, result: result ?? null });
        } catch (err) {
          reply(500, { ok: false, error: String(err?.message ?? err) });
        }
      });
    });
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/${token}` }));
  });
}

// ---- main ----------------------------------------------------------------------------------

async function main() {
  if (!isCodeServerInstalled(hostDir)) {
    throw new Error(`code-server is not installed in ${hostDir}: run \`npm run setup:test-host\` first`);
  }
  if (!fs.existsSync(testsEntry) || !fs.existsSync(path.join(repoRoot, 'dist/extension.js'))) {
    throw new Error('dist/extension.js or dist/test/integration/index.js is missing: run `npm run build` first');
  }
  ensureWorkspace();
  fs.rmSync(resultsFile, { force: true });
  fs.rmSync(screenshotsDir, { recursive: true, force: true });
  fs.rmSync(path.join(resultsDir, 'host-logs'), { recursive: true, force: true });
  fs.mkdirSync(screenshotsDir, { recursive: true });

  hostDirs = createHostDirs('virgo-host-');
  writeSettings(hostDirs.userDataDir);

  // The browser and the bridge come first so the bridge URL can go into code-server's
  // environment, which the extension host inherits.
  context = await chromium.launchPersistentContext(path.join(hostDirs.root, 'chromium'), {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const bridge = await startBridge(page);
  bridgeServer = bridge.server;

  const port = await freePort();
  const codeServerLog = path.join(resultsDir, 'code-server.log');
  codeServer = startCodeServer({
    hostDir,
    port,
    dirs: hostDirs,
    workspace,
    // The extension host inherits these.
    env: { VIRGO_UI_BRIDGE: bridge.url, VIRGO_TEST_RESULTS: resultsFile },
    logFile: codeServerLog,
    echo: verbose ? (line) => console.log(`[code-server] ${line}`) : undefined,
  });
  codeServer.child.on('exit', (code, signal) => {
    if (!cleaningUp) {
      log(`code-server exited unexpectedly (${signal ?? code}); its log:\n${tail(codeServerLog)}`);
      void finish(1);
    }
  });
  log(`code-server ${codeServer.pid} on 127.0.0.1:${port}, workspace ${path.relative(repoRoot, workspace) || '.'}`);
  await codeServer.waitForHealthz(30_000);
  log('code-server is healthy');

  let settle;
  const exited = new Promise((r) => (settle = r));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = Array.isArray(args) ? args.join(' ') : String(args);
    for (const line of text.split('\n')) console.log(`[host ${type}] ${line}`);
  });
  await page.exposeFunction('codeAutomationExit', (code, logs) => {
    settle({ code: Number(code), logs });
  });

  await page.goto(workbenchUrl({ port, workspace, extensionDevelopmentPath: repoRoot, extensionTestsPath: testsEntry }));
  log('workbench opened; running tests');

  const timedOut = sleep(Math.max(0, started + timeoutMs - Date.now())).then(() => null);
  const outcome = await Promise.race([exited, timedOut]);
  if (!outcome) {
    log(`timed out after ${timeoutMs} ms`);
    await page.screenshot({ path: path.join(screenshotsDir, 'timeout.png') }).catch(() => {});
    return 1;
  }

  // The workbench hands over its log files (exthost, renderer, ...): keep them for debugging.
  for (const { relativePath, contents } of outcome.logs ?? []) {
    const file = path.join(resultsDir, 'host-logs', relativePath);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, contents);
  }

  let code = outcome.code;
  if (!fs.existsSync(resultsFile)) {
    log(`no ${path.relative(repoRoot, resultsFile)}: the tests did not run (see test-results/host-logs/)`);
    code ||= 1;
  } else {
    const { stats, failures } = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    for (const f of failures) log(`FAILED ${f.title}: ${f.message}`);
    if (stats.failures > 0) code ||= 1;
    // The plain summary line CI looks for.
    console.log(`integration: ${stats.passes} passed, ${stats.failures} failed, ${stats.pending} skipped`);
  }
  if (code !== 0) {
    await page.screenshot({ path: path.join(screenshotsDir, 'failure.png') }).catch(() => {});
  }
  return code;
}

main().then(finish, (err) => {
  // Once cleanup has started, errors are its consequences (closed page, dead server): not news.
  if (!cleaningUp) console.error(`[runInHost] ${err?.stack ?? err}`);
  void finish(1);
});
