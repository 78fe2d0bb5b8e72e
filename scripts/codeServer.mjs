// Starting a real VS Code (code-server from npm, installed by scripts/install-test-host.sh) on
// 127.0.0.1 with throwaway user data, and building the workbench URL that loads this repo as a
// development extension. Shared by test/integration/runInHost.mjs (the real-host tests) and
// scripts/start.mjs (`npm start`). See docs/test-host.md in shared/ for why it is done this way.
//
//   const dirs = createHostDirs();                      // temp user data, extensions, XDG dirs
//   writeSettings(dirs.userDataDir, { 'virgo.backendUrl': url });
//   const server = startCodeServer({ port: await freePort(), dirs, workspace, logFile });
//   await server.waitForHealthz(30_000);
//   page.goto(workbenchUrl({ port: server.port, workspace }));
//   ...
//   await server.stop(); removeHostDirs(dirs);
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The cache dir install-test-host.sh fills: $VIRGO_TEST_HOST_DIR or ~/.cache/virgo-vscode/…. */
export function codeServerHostDir(env = process.env) {
  return env.VIRGO_TEST_HOST_DIR ?? path.join(os.homedir(), `.cache/virgo-vscode/code-server-${CODE_SERVER_VERSION}`);
}

/** code-server's Node entry point inside the cache dir (run with this Node). */
export function codeServerEntry(hostDir = codeServerHostDir()) {
  return path.join(hostDir, 'node_modules/code-server/out/node/entry.js');
}

export function isCodeServerInstalled(hostDir = codeServerHostDir()) {
  return fs.existsSync(codeServerEntry(hostDir));
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(host = '127.0.0.1') {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A fresh temp dir holding everything code-server would otherwise write into ~ (user data,
 * extensions, XDG config/data/cache); chromium profiles can go under it too (`root`).
 */
export function createHostDirs(prefix = 'virgo-host-') {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const dirs = {
    root,
    userDataDir: path.join(root, 'user-data'),
    extensionsDir: path.join(root, 'extensions'),
    xdgConfig: path.join(root, 'xdg/config'),
    xdgData: path.join(root, 'xdg/data'),
    xdgCache: path.join(root, 'xdg/cache'),
  };
  fs.mkdirSync(path.join(dirs.userDataDir, 'User'), { recursive: true });
  return dirs;
}

export function removeHostDirs(dirs) {
  if (dirs?.root) fs.rmSync(dirs.root, { recursive: true, force: true });
}

/** What every throwaway workbench gets: quiet, offline, no prompts. */
export const BASE_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'workbench.enableExperiments': false,
  // Workspaces inside this repo: no "open the parent git repository?" toast.
  'git.openRepositoryInParentFolders': 'never',
});

/**
 * Writes <user-data>/User/settings.json (BASE_SETTINGS + extra) and, when there are extra
 * settings, <user-data>/Machine/settings.json (extra only). The workbench is a remote window to
 * code-server: User is its user ("local") settings file, Machine the remote machine's. A
 * machine-scoped setting such as virgo.backendUrl is honoured from either today (checked in the
 * extension host: inspect() shows globalLocalValue and globalRemoteValue); writing the caller's
 * settings to both keeps it so whichever way VS Code resolves the scope.
 */
export function writeSettings(userDataDir, extra = {}) {
  const write = (sub, settings) => {
    fs.mkdirSync(path.join(userDataDir, sub), { recursive: true });
    fs.writeFileSync(path.join(userDataDir, sub, 'settings.json'), JSON.stringify(settings, null, 2) + '\n');
  };
  write('User', { ...BASE_SETTINGS, ...extra });
  if (Object.keys(extra).length > 0) write('Machine', { ...extra });
}

/**
 * code-server's environment: this process's minus anything that would make it talk to the VS
 * Code this runs in (VSCODE_*, ELECTRON_RUN_AS_NODE), with XDG dirs in `dirs`, no extension
 * gallery (offline, the default open-vsx only logs ENOTFOUND), plus `extra`. The extension host
 * inherits it.
 */
export function codeServerEnv(dirs, extra = {}, base = process.env) {
  const env = Object.fromEntries(
    Object.entries(base).filter(([k]) => !k.startsWith('VSCODE_') && k !== 'ELECTRON_RUN_AS_NODE'),
  );
  return Object.assign(env, {
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    EXTENSIONS_GALLERY: '{}',
    ...extra,
  });
}

/**
 * Spawns code-server on host:port as the leader of its own process group (so the server,
 * extension host, pty host and watchers can all be signalled at once), output to `logFile`
 * (truncated), or also echoed line by line to `echo(line)` when given.
 * Returns a handle: { child, pid, port, url, exited(), killGroup(signal), waitForHealthz(ms), stop(graceMs) }.
 */
export function startCodeServer({
  hostDir = codeServerHostDir(),
  host = '127.0.0.1',
  port,
  dirs,
  workspace,
  env = {},
  logFile,
  echo,
}) {
  const entry = codeServerEntry(hostDir);
  if (!fs.existsSync(entry)) {
    throw new Error(`code-server is not installed in ${hostDir}: run \`bash scripts/install-test-host.sh\` first`);
  }
  const logFd = fs.openSync(logFile ?? path.join(dirs.root, 'code-server.log'), 'w');
  const out = echo ? 'pipe' : logFd;
  const args = [
    entry,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  if (workspace) args.push(workspace);
  const child = spawn(process.execPath, args, {
    env: codeServerEnv(dirs, env),
    cwd: dirs.root,
    detached: true,
    stdio: ['ignore', out, out],
  });
  let logClosed = false;
  if (echo) {
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (d) => {
        if (!logClosed) fs.writeSync(logFd, d);
        for (const line of d.toString().trimEnd().split('\n')) echo(line);
      });
    }
  }
  child.on('exit', () => {
    // Piped streams may still deliver their last chunks; close the log a little later.
    setTimeout(() => {
      logClosed = true;
      fs.close(logFd, () => {});
    }, 200).unref();
  });

  let groupGone = false;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const handle = {
    child,
    pid: child.pid,
    host,
    port,
    url: `http://${host}:${port}/`,
    exited,
    /** Signals the whole process group; false once nothing is left in it. */
    killGroup(signal) {
      if (!child.pid || groupGone) return false;
      try {
        process.kill(-child.pid, signal);
        return true;
      } catch {
        groupGone = true; // ESRCH: nothing left in it
        return false;
      }
    },
    /** Resolves once GET /healthz answers 200; rejects if code-server exits or time runs out. */
    async waitForHealthz(deadlineMs = 30_000) {
      const end = Date.now() + deadlineMs;
      while (Date.now() < end) {
        if (child.exitCode !== null) throw new Error(`code-server exited early with ${child.exitCode}`);
        try {
          const res = await fetch(`http://${host}:${port}/healthz`);
          if (res.ok) return;
        } catch {
          // not listening yet
        }
        await sleep(200);
      }
      throw new Error(`code-server did not answer /healthz within ${deadlineMs} ms`);
    },
    /** SIGTERM to the group, up to graceMs for the server to exit, then SIGKILL to what is left. */
    async stop(graceMs = 5_000) {
      if (!child.pid) return;
      if (!exited()) {
        const gone = new Promise((r) => child.once('exit', r));
        handle.killGroup('SIGTERM');
        await Promise.race([gone, sleep(graceMs)]);
      }
      // Children that outlive the server (or ignored SIGTERM) go too.
      handle.killGroup('SIGKILL');
      groupGone = true;
    },
  };
  return handle;
}

/**
 * The workbench URL that opens `workspace` with this repo (or `extensionDevelopmentPath`) loaded
 * as a development extension and, when given, runs `extensionTestsPath` (code-server's CLI
 * rejects both flags; VS Code's web client takes them from the URL payload).
 */
export function workbenchUrl({
  host = '127.0.0.1',
  port,
  workspace,
  extensionDevelopmentPath = repoRoot,
  extensionTestsPath,
}) {
  const remote = (p) => `vscode-remote://${host}:${port}${path.resolve(p)}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  return (
    `http://${host}:${port}/?folder=${encodeURIComponent(workspace)}` +
    `&payload=${encodeURIComponent(JSON.stringify(payload))}`
  );
}

/** The last lines of a log file, for error messages. */
export function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(none)';
  }
}
