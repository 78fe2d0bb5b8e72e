// The extension benchmark's probe: loaded by VS Code inside a fresh extension host as the
// extensionTestsPath module (bench/extensionBench.mjs puts it in the workbench URL). It activates
// our extension from cold, timing the activate() call, writes what it saw to
// $VIRGO_BENCH_PROBE_OUT, then opens "Developer: Show Running Extensions" (VS Code's own
// activation times, read by the benchmark from the page) and waits for the benchmark to say done.
'use strict';
const fs = require('node:fs');

const EXTENSION_ID = 'virgo-vscode.virgo-vscode';

exports.run = async function run() {
  const vscode = require('vscode');
  const out = process.env.VIRGO_BENCH_PROBE_OUT;
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const result = { found: Boolean(ext), wasActive: ext ? ext.isActive : null, vscodeVersion: vscode.version };
  try {
    if (ext && !ext.isActive) {
      const t0 = performance.now();
      await ext.activate();
      result.activateMs = performance.now() - t0;
      // Again, now that it is active: what the same call costs with nothing to load or run.
      const t1 = performance.now();
      await ext.activate();
      result.activeCallMs = performance.now() - t1;
      // Bundles the extension host loaded from this repository by activation (lazy loading check).
      result.repoModules = Object.keys(require.cache).filter((f) => f.startsWith(ext.extensionPath) && !f.includes('node_modules') && !f.endsWith('.cjs'))
        .map((f) => f.slice(ext.extensionPath.length + 1));
    }
  } catch (e) {
    result.error = String(e && e.stack || e);
  }
  fs.writeFileSync(out, JSON.stringify(result));
  try {
    await vscode.commands.executeCommand('workbench.action.showRuntimeExtensions');
  } catch (e) {
    fs.writeFileSync(`${out}.runtime-error`, String(e));
  }
  const deadline = Date.now() + 30_000;
  while (!fs.existsSync(`${out}.done`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
};
