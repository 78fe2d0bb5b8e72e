import { spawn, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type { ActiveBackend, BackendSelection } from './backends';
import { readSettings } from './config';
import {
  buildCommand, findProgram, INSTALL_HINTS, localBaseUrl, programOf, type Engine, type LocalBackendOptions,
} from './localBackendCommand';
import type { VirgoServer } from './virgoServer';

/** The machine-scoped `virgo.localBackend.*` settings (a workspace cannot choose what is run). */
export function readLocalBackendOptions(): LocalBackendOptions {
  const c = vscode.workspace.getConfiguration('virgo.localBackend');
  return {
    engine: c.get<Engine>('engine', 'vllm'),
    command: c.get<string>('command', ''),
    model: c.get<string>('model', 'RUC-AIBOX/Virgo-72B').trim(),
    port: c.get<number>('port', 8000),
    tensorParallelSize: c.get<number>('tensorParallelSize', 8),
    maxModelLen: c.get<number>('maxModelLen', 32768),
    imageLimit: c.get<number>('imageLimit', 4),
    servedModelName: c.get<string>('servedModelName', 'virgo-72b').trim(),
  };
}

/** A backend the extension itself knows how to run (not the user's template). */
export interface LocalPreset {
  name: string;
  label: string;
  command: string;
  port: number;
  env?: Record<string, string>;
}

const POLL_MS = 1500;
const STOP_GRACE_MS = 10_000;

/**
 * "Virgo: Start / Stop Local Backend": runs the engine's command in a VS Code task (its output in
 * the task's terminal and in the Virgo log), shows progress until the server answers /health or
 * /v1/models, then makes it the active backend for this window; stops it on command, when its
 * terminal is closed, or when VS Code closes.
 */
export class LocalBackend implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private execution: vscode.TaskExecution | undefined;
  private state: 'stopped' | 'starting' | 'running' = 'stopped';

  constructor(
    private readonly server: VirgoServer,
    private readonly selection: BackendSelection,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get running(): boolean { return this.state !== 'stopped'; }

  /**
   * Starts the configured engine, or `preset` (the built-in replay of the sample session, for
   * trying Virgo without a GPU). Resolves true once it answers and is the active backend.
   */
  async start(preset?: LocalPreset): Promise<boolean> {
    if (this.state !== 'stopped') {
      void vscode.window.showInformationMessage(`Virgo: the local backend is already ${this.state}. Stop it first to start another.`);
      return false;
    }
    const options = preset ? { ...readLocalBackendOptions(), port: preset.port, command: preset.command } : readLocalBackendOptions();
    const engine = preset?.label ?? options.engine;
    let command: string;
    try {
      command = buildCommand(options);
    } catch (e) {
      void vscode.window.showErrorMessage(`Virgo: ${(e as Error).message}`, 'Open Settings').then(openSettings);
      return false;
    }
    const program = programOf(command);
    if (!preset && (!program || !findProgram(program))) {
      const hint = options.command.trim() ? 'Check virgo.localBackend.command.' : INSTALL_HINTS[options.engine];
      this.log.error(`local backend: "${program ?? command}" not found on PATH (${process.env.PATH ?? ''})`);
      void vscode.window.showErrorMessage(`Virgo: "${program ?? command}" was not found, so the local backend cannot start. ${hint}`, 'Open Settings', 'Show Log')
        .then((c) => (c === 'Show Log' ? this.log.show() : openSettings(c)));
      return false;
    }
    const url = localBaseUrl(options);
    this.state = 'starting';
    this.log.info(`local backend: starting ${command}`);
    try {
      await this.runTask(command, engine, preset?.env);
    } catch (e) {
      this.state = 'stopped';
      void vscode.window.showErrorMessage(`Virgo: the local backend could not start: ${(e as Error).message}`);
      return false;
    }
    const name = preset?.name ?? 'local';
    const up = await this.waitUntilUp(url, engine, name);
    if (!up) return false;
    this.state = 'running';
    const local: ActiveBackend = { name, urls: [url], model: '', local: true };
    this.selection.setLocal(local);
    void vscode.window.showInformationMessage(`Virgo: the local backend answers at ${url}${up.models.length ? ` (serving ${up.models.join(', ')})` : ''}. Sessions in this window now go to it.`);
    return true;
  }

  /** Stops the process (SIGTERM to its process group, SIGKILL after 10 s) and forgets the backend. */
  async stop(): Promise<void> {
    const child = this.child;
    this.execution?.terminate();
    if (child && child.exitCode === null && child.signalCode === null) {
      this.log.info('local backend: stopping');
      const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
      signal(child, 'SIGTERM');
      const timer = setTimeout(() => signal(child, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    this.stopped();
  }

  private stopped(): void {
    const wasRunning = this.state === 'running';
    this.state = 'stopped';
    this.child = undefined;
    this.execution = undefined;
    if (this.selection.localBackend) this.selection.setLocal(undefined);
    if (wasRunning) this.log.info('local backend: stopped');
  }

  private async runTask(command: string, engine: string, env: Record<string, string> = {}): Promise<void> {
    const write = new vscode.EventEmitter<string>();
    const close = new vscode.EventEmitter<number | void>();
    const pty: vscode.Pseudoterminal = {
      onDidWrite: write.event,
      onDidClose: close.event,
      open: () => {
        write.fire(`\x1b[2m$ ${command}\x1b[0m\r\n`);
        // Its own process group, so stopping it stops the engine's workers too.
        const child = spawn(command, { shell: true, detached: process.platform !== 'win32', env: { ...process.env, ...env } });
        this.child = child;
        const forward = (stream: 'stdout' | 'stderr') => {
          let partial = '';
          child[stream]?.on('data', (d: Buffer) => {
            const text = d.toString('utf8');
            write.fire(text.replace(/\r?\n/g, '\r\n'));
            const lines = (partial + text).split(/\r?\n/);
            partial = lines.pop() ?? '';
            for (const line of lines) if (line.trim()) this.log.info(`[${engine}] ${line}`);
          });
        };
        forward('stdout');
        forward('stderr');
        child.on('error', (e) => this.log.error(`local backend: ${e.message}`));
        child.on('exit', (code, sig) => {
          this.log.info(`local backend exited (${sig ?? `code ${code}`})`);
          write.fire(`\r\n\x1b[2m[exited: ${sig ?? `code ${code}`}]\x1b[0m\r\n`);
          close.fire(code ?? undefined);
          if (this.child === child) this.stopped();
        });
      },
      // The user closed the task's terminal: stop the engine with it.
      close: () => { if (this.child) void this.stop(); },
    };
    const task = new vscode.Task(
      { type: 'virgo', kind: 'localBackend' },
      vscode.workspace.workspaceFolders?.[0] ?? vscode.TaskScope.Workspace,
      `Local backend (${engine})`,
      'Virgo',
      new vscode.CustomExecution(async () => pty),
    );
    task.isBackground = true;
    task.presentationOptions = { reveal: vscode.TaskRevealKind.Silent, panel: vscode.TaskPanelKind.Dedicated, clear: true };
    this.execution = await vscode.tasks.executeTask(task);
  }

  /** Progress until the server answers; undefined when it exited, or the user cancelled (then it is stopped). */
  private waitUntilUp(url: string, engine: string, name: string): Promise<{ models: string[] } | undefined> {
    return Promise.resolve(vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Virgo: starting the local backend (${engine})`, cancellable: true },
      async (progress, token) => {
        const started = Date.now();
        // The same pool (by name) the sessions will use once it answers.
        const settings = readSettings();
        while (!token.isCancellationRequested) {
          if (this.state === 'stopped') {
            void vscode.window.showErrorMessage('Virgo: the local backend exited before it answered. Its output is in the Virgo log.', 'Show Log')
              .then((c) => { if (c) this.log.show(); });
            return undefined;
          }
          const check = await this.server.checkBackend({ ...settings, backendUrl: url, replicas: [url], backendName: name, model: '' })
            .catch((e: Error) => ({ ok: false, models: [] as string[], error: e.message }));
          if (check.ok && this.state === 'starting') return { models: check.models };
          progress.report({ message: `waiting for ${url} to answer (${Math.round((Date.now() - started) / 1000)} s; loading a 72B model takes minutes)` });
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        await this.stop();
        return undefined;
      },
    ));
  }

  dispose(): void {
    // VS Code is closing (or the extension is unloaded): the engine must not outlive it.
    if (this.child) signal(this.child, 'SIGTERM');
    this.execution?.terminate();
  }
}

function signal(child: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid) process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // Already gone.
  }
}

function openSettings(choice: string | undefined): void {
  if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.localBackend');
}
