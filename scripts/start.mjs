#!/usr/bin/env node
// `npm start` (after scripts/build.mjs): the whole extension in a real VS Code, no GPU needed.
//  1. makes sure code-server is installed (scripts/install-test-host.sh: idempotent, fast when cached);
//  2. unless $VIRGO_BACKEND_URL is set, starts the built-in replay backend
//     (`virgo replay media/samples/right-triangle.recording.json --port 0`);
//  3. starts code-server on 127.0.0.1 with the sample workspace media/samples and
//     virgo.backendUrl pointed at that backend, and prints the workbench URL that loads this repo
//     as a development extension;
//  4. serves until Ctrl-C (SIGINT) or SIGTERM, then stops code-server's process group and the replay.
//
// Environment:
//   VIRGO_BACKEND_URL    a real OpenAI-compatible backend (vLLM, SGLang, Ollama) instead of the replay
//   VIRGO_PORT           code-server's port (default: a free one)
//   VIRGO_TEST_HOST_DIR  code-server cache dir (see scripts/codeServer.mjs)
//   VIRGO_START_SMOKE    1: check that everything answers, then stop and exit 0 (the default when
//                        stdout is not a terminal, e.g. in CI); 0: always keep serving
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  CODE_SERVER_VERSION,
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
} from './codeServer.mjs';

const started = Date.now();
const samples = path.join(repoRoot, 'media/samples');
const recording = path.join(samples, 'right-triangle.recording.json');
const cli = path.join(repoRoot, 'dist/virgo.js');
const smokeEnv = process.env.VIRGO_START_SMOKE;
const smoke = smokeEnv === '1' || (smokeEnv !== '0' && !process.stdout.isTTY);
const rel = (p) => path.relative(repoRoot, p) || '.';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (msg) => console.log(`[start +${((Date.now() - started) / 1000).toFixed(1)}s] ${msg}`);

// ---- stopping: whatever happens, code-server and the replay go away ------------------------

let codeServer; // startCodeServer()'s handle (leader of its own process group)
let replay; // the replay backend's ChildProcess (also its own group, so Ctrl-C reaches only us)
let hostDirs;
let stopping;

function killReplay(signal) {
  if (!replay?.pid || replay.exitCode !== null || replay.signalCode !== null) return;
  try {
    process.kill(-replay.pid, signal);
  } catch {
    // already gone
  }
}

function stopAll() {
  stopping ??= (async () => {
    const replayGone = replay && replay.exitCode === null && replay.signalCode === null
      ? new Promise((r) => replay.once('exit', r))
      : null;
    killReplay('SIGTERM');
    await Promise.all([codeServer?.stop(5_000), replayGone && Promise.race([replayGone, sleep(3_000)])]);
    killReplay('SIGKILL');
    removeHostDirs(hostDirs);
  })();
  return stopping;
}

let exitCode;
async function finish(code, message) {
  exitCode ??= code;
  await stopAll();
  if (message) console.log(message);
  process.exit(exitCode);
}

process.on('exit', () => {
  codeServer?.killGroup('SIGKILL');
  killReplay('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (stopping) return;
    console.log(`\n${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping code-server and the backend…`);
    void finish(0, 'Stopped.');
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

// ---- steps ---------------------------------------------------------------------------------

class StartError extends Error {}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/** Starts `virgo replay` on a free port and resolves with its base URL (…/v1). */
function startReplay() {
  replay = spawn(process.execPath, [cli, 'replay', recording, '--port', '0'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    replay.stdout.setEncoding('utf8');
    replay.stdout.on('data', (text) => {
      if (out === null) return; // what it prints later is not for us
      out += text;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
      if (m) {
        out = null;
        resolve(m[1]);
      }
    });
    replay.on('error', reject);
    replay.on('exit', (code, signal) => {
      const err = new StartError(`the replay backend exited (${signal ?? code})`);
      if (out !== null) reject(err);
      else if (!stopping) {
        console.error(`virgo: ${err.message}; stopping.`);
        void finish(1);
      }
    });
  });
}

/** GET {backend}/models; resolves with the model ids, rejects with a readable reason. */
async function listModels(backend) {
  const headers = process.env.VIRGO_API_KEY ? { authorization: `Bearer ${process.env.VIRGO_API_KEY}` } : {};
  const res = await fetch(`${backend.replace(/\/+$/, '')}/models`, { headers, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${backend}/models`);
  const body = await res.json();
  return (body?.data ?? []).map((m) => m.id);
}

function portIsFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function choosePort() {
  const wanted = process.env.VIRGO_PORT;
  if (!wanted) return freePort();
  const port = Number(wanted);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StartError(`VIRGO_PORT=${wanted} is not a port number (1–65535)`);
  }
  if (!(await portIsFree(port))) {
    throw new StartError(`127.0.0.1:${port} (VIRGO_PORT) is in use: pick another port, or unset VIRGO_PORT for a free one`);
  }
  return port;
}

async function main() {
  for (const f of ['dist/extension.js', 'dist/virgo.js']) {
    if (!fs.existsSync(path.join(repoRoot, f))) throw new StartError(`${f} is missing: run \`npm start\` (it builds first)`);
  }

  if (!isCodeServerInstalled()) {
    log(`first run: installing code-server ${CODE_SERVER_VERSION} into ${codeServerHostDir()} (about 1–2 minutes and 300 MB, once)`);
  }
  // The install (a no-op when cached) and the replay backend start side by side.
  const externalBackend = process.env.VIRGO_BACKEND_URL?.trim();
  const [installCode, backend] = await Promise.all([
    run('bash', [path.join(repoRoot, 'scripts/install-test-host.sh')]),
    externalBackend || startReplay(),
  ]);
  if (installCode !== 0) {
    throw new StartError(`scripts/install-test-host.sh failed (exit ${installCode}): code-server is needed to open VS Code`);
  }

  const port = await choosePort();
  hostDirs = createHostDirs('virgo-start-');
  writeSettings(hostDirs.userDataDir, { 'virgo.backendUrl': backend });
  codeServer = startCodeServer({ port, dirs: hostDirs, workspace: samples });
  const codeServerLog = path.join(hostDirs.root, 'code-server.log');
  codeServer.child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`code-server exited unexpectedly (${signal ?? code}); its log:\n${tail(codeServerLog)}`);
      void finish(1);
    }
  });
  await codeServer.waitForHealthz(60_000);

  // The backend should answer before anyone clicks: the replay must, a real one may be down.
  let backendNote;
  try {
    const models = await listModels(backend);
    backendNote = `answers /models: ${models.join(', ') || '(none listed)'}`;
  } catch (e) {
    const why = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(e);
    if (!externalBackend || smoke) throw new StartError(`the backend at ${backend} does not answer /models (${why})`);
    backendNote = `NOT answering /models right now (${why}); the extension will say so until it does`;
  }

  const url = workbenchUrl({ port, workspace: samples });
  const lines = [
    '',
    `Virgo for VS Code is running in a real VS Code (code-server ${CODE_SERVER_VERSION}) — ready in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    '',
    'Open this URL in a browser (it loads the extension from this repo as a development extension):',
    '',
    `  ${url}`,
    '',
    `Workspace: ${rel(samples)} (its README.md says what to try: right-click right-triangle.png → "Reason about Image").`,
    externalBackend
      ? `Backend:   ${backend} ($VIRGO_BACKEND_URL), ${backendNote}.`
      : `Backend:   the built-in replay of ${rel(recording)} at ${backend} (no GPU; set VIRGO_BACKEND_URL for a real Virgo server).`,
  ];
  if (process.env.VIRGO_API_KEY) {
    lines.push('           VIRGO_API_KEY is not handed to the extension: run "Virgo: Set API Key" in VS Code.');
  }
  lines.push(`Remote machine? Forward the port first: ssh -L ${port}:127.0.0.1:${port} <this host>`, '');
  console.log(lines.join('\n'));

  if (smoke) {
    const page = await fetch(url);
    if (!page.ok) throw new StartError(`the workbench page answered HTTP ${page.status}`);
    const why = smokeEnv === '1' ? 'VIRGO_START_SMOKE=1' : 'stdout is not a terminal; VIRGO_START_SMOKE=0 keeps serving';
    log(`smoke mode (${why}): code-server /healthz ok, workbench page ok, backend /models ok; stopping`);
    return 0;
  }

  console.log('Ctrl-C to stop.');
  // If whatever started us goes away without signalling (a killed npm, a closed IDE), stop too.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !stopping) {
      console.log('The parent process went away: stopping.');
      void finish(0, 'Stopped.');
    }
  }, 1_000);
  return new Promise(() => {}); // until a signal
}

main().then(finish, (err) => {
  if (stopping) return; // errors while stopping are its consequences
  console.error(err instanceof StartError ? `npm start: ${err.message}` : err);
  void finish(1);
});
