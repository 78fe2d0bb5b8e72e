import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { StoredAnswer, StoredThought } from '../protocol/inlineQa';
import type * as lsp from '../protocol/lsp';
import type { ReasonEvent, Usage } from '../protocol/thought';
import type { ErrorAction, HostToWebview, WebviewToHost } from '../protocol/webviewMessages';
import { describeBackend } from './backends';
import { backendSelection, readSettings, type ApiKeyStore } from './config';
import { WebviewHost } from './webviewHost';
import type { QuestionHistory } from './questionHistory';
import type { VirgoServer } from './virgoServer';

export interface PanelDeps {
  extensionUri: vscode.Uri;
  server: VirgoServer;
  apiKeys: ApiKeyStore;
  questions: QuestionHistory;
  log: vscode.LogOutputChannel;
  /** Called when a session starts, so the status bar can check the backend. */
  onBackendUsed(): void;
}

/**
 * One reasoning panel: an image, the question asked about it, and the live thought. Each panel
 * runs its own sessions, so several can stream at once without seeing each other's updates.
 */
export class ReasoningPanel implements vscode.Disposable {
  static readonly viewType = 'virgo.reasoning';
  private static readonly all = new Set<ReasoningPanel>();

  private readonly view: WebviewHost<HostToWebview>;
  private readonly panel: vscode.WebviewPanel;
  private readonly disposables: vscode.Disposable[] = [];
  private image: lsp.PrepareImageResult | undefined;
  private sessionId: string | undefined;
  /** The last session that sent a request, for "Save Recording". */
  private lastSessionId: string | undefined;
  /** A session that stopped early and can be continued. */
  private continuable: string | undefined;
  private claimed = false;
  private lastQuestion = '';

  /** A panel that is not streaming (to reuse), or a new one. */
  static forNewImage(deps: PanelDeps): ReasoningPanel {
    for (const p of ReasoningPanel.all) if (!p.running) { p.panel.reveal(undefined, false); return p; }
    return new ReasoningPanel(deps);
  }

  /** Every open panel (tests and commands that act on the active one). */
  static panels(): readonly ReasoningPanel[] { return [...ReasoningPanel.all]; }

  /** The panel in front, else the most recently opened one. */
  static current(): ReasoningPanel | undefined {
    const panels = [...ReasoningPanel.all];
    return panels.find((p) => p.panel.active) ?? panels.at(-1);
  }

  private constructor(private readonly deps: PanelDeps) {
    // Beside the editor for the first panel; later ones stack as tabs with it, not in new columns.
    const column = [...ReasoningPanel.all].at(-1)?.panel.viewColumn ?? vscode.ViewColumn.Beside;
    this.view = new WebviewHost(ReasoningPanel.viewType, 'Virgo', column, deps.extensionUri);
    this.panel = this.view.panel;
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: WebviewToHost) => void this.onMessage(m).catch((e) => this.deps.log.error(String(e)))),
      this.panel.onDidDispose(() => this.dispose()),
    );
    ReasoningPanel.all.add(this);
    ReasoningPanel.updateContext();
  }

  /** `virgo.panelOpen` shows "Save Recording" in the palette only when there is a panel. */
  private static updateContext(): void {
    void vscode.commands.executeCommand('setContext', 'virgo.panelOpen', ReasoningPanel.all.size > 0);
  }

  /** Streaming, or about to: a panel given an image and a question is not up for reuse. */
  get running(): boolean { return this.sessionId !== undefined || this.claimed; }

  /** The prepared image and the last question asked about it ('' when none), for "Sample N Times". */
  get prepared(): { image: lsp.PrepareImageResult; question: string } | undefined {
    return this.image ? { image: this.image, question: this.lastQuestion } : undefined;
  }

  /** Shows an image and, with a question, asks it at once; the panel is claimed meanwhile. */
  async showAndAsk(source: lsp.ImageSource, question?: string): Promise<void> {
    this.claimed = question !== undefined;
    try {
      await this.showImage(source);
      if (question !== undefined && this.image) await this.ask(question);
    } finally {
      this.claimed = false;
    }
  }

  /** Prepares an image (file or pasted bytes) and shows it, ready for a question. */
  async showImage(source: lsp.ImageSource): Promise<void> {
    const settings = readSettings();
    try {
      this.image = await this.deps.server.prepareImage({ source, maxPixels: settings.maxPixels });
    } catch (e) {
      const message = (e as Error).message;
      this.deps.log.warn(`image refused: ${message}`);
      this.post({ type: 'imageError', message });
      if (!this.image) this.panel.title = 'Virgo';
      void vscode.window.showErrorMessage(`Virgo: ${message}`);
      return;
    }
    const { name, info, thumbnailBase64 } = this.image;
    this.panel.title = `Virgo: ${name}`;
    this.post({
      type: 'compose',
      image: { name, info, thumbnailBase64 },
      recentQuestions: this.deps.questions.recent(),
      backendLabel: describeBackend(backendSelection.active(), settings.model),
    });
  }

  /** A stored inline answer in the panel (see showRecorded). */
  showStoredThought({ answer, imagePath }: StoredThought): Promise<void> {
    return this.showRecorded({ ...answer, ...(imagePath ? { imagePath } : {}) });
  }

  /**
   * A session kept earlier (an inline answer, or history), replayed as the messages of a live
   * session: nothing is sent, every segment is navigable. With the image file still there the
   * panel prepares it, so asking again from here works as usual.
   */
  async showRecorded(s: RecordedSession): Promise<void> {
    if (s.imagePath) await this.showImage({ path: s.imagePath });
    if (!s.imagePath || !this.image) {
      this.image = undefined;
      this.post({ type: 'compose', image: s.image, recentQuestions: this.deps.questions.recent(), backendLabel: describeBackend(backendSelection.active(), s.model) });
    }
    this.panel.title = `Virgo: ${s.image.name}`;
    this.lastQuestion = s.question;
    this.post({ type: 'sessionStarted', question: s.question, startedAt: s.createdAt });
    this.post({ type: 'start', event: s.start });
    this.post({ type: 'segments', segments: s.segments });
    // The token count comes from progress messages; times cannot be replayed (the stats show the replay's).
    this.post({ type: 'progress', open: null, chunks: s.segments.reduce((n, seg) => n + seg.tokens, 0) });
    this.post({ type: 'answer', answer: s.answer });
    this.post({ type: 'end', reason: s.end.reason, usage: s.end.usage });
  }

  /** Asks the current image a question (from the panel, or a command with the question given). */
  async ask(question: string): Promise<void> {
    if (!this.image || this.sessionId !== undefined) return;
    this.lastQuestion = question;
    if (question.trim()) await this.deps.questions.remember(question.trim());
    const sessionId = randomUUID();
    this.lastSessionId = sessionId;
    this.post({ type: 'sessionStarted', question, startedAt: Date.now() });
    const imageId = this.image.imageId;
    await this.runSession(sessionId, (params, onUpdate) =>
      this.deps.server.reason({ ...params, imageId, question }, onUpdate));
  }

  /** Continue: the partial answer goes back to the model; new segments follow the old ones. */
  async continue(): Promise<void> {
    const sessionId = this.continuable;
    if (!sessionId || this.running) return;
    this.post({ type: 'sessionContinued' });
    await this.runSession(sessionId, (params, onUpdate) => this.deps.server.continueSession(params, onUpdate));
  }

  private async runSession(
    sessionId: string,
    request: (params: { sessionId: string; settings: ReturnType<typeof readSettings>; apiKey?: string }, onUpdate: (u: lsp.SessionUpdate | lsp.SessionNotice) => void) => Promise<lsp.ReasonResult>,
  ): Promise<void> {
    this.sessionId = sessionId;
    this.continuable = undefined;
    this.deps.onBackendUsed();
    let end: Extract<ReasonEvent, { type: 'end' }> | undefined;
    let result: lsp.ReasonResult;
    try {
      result = await request({ sessionId, settings: readSettings(), apiKey: await this.deps.apiKeys.get() }, (u) => {
        if (u.kind === 'progress') this.post({ type: 'progress', open: u.open, chunks: u.chunks });
        else if (u.kind === 'retrying') this.post({ type: 'retrying', attempt: u.attempt, delayMs: u.delayMs, reason: u.reason });
        else if (u.kind === 'queued') this.post({ type: 'queued', ahead: u.ahead });
        else if (u.kind === 'maxTokensCapped' || u.kind === 'failover') this.post({ type: 'notice', kind: 'info', ...noticeText(u) });
        else if (u.event.type === 'end') end = u.event; // posted below, with what to do about it
        else this.forward(u.event);
      });
    } catch (e) {
      result = { reason: 'error', error: `The Virgo language server failed: ${(e as Error).message}`, errorKind: 'server' };
    } finally {
      this.sessionId = undefined;
    }
    if (result.canContinue) this.continuable = sessionId;
    const usage: Usage | null = end?.usage ?? null;
    const actions = actionsFor(result);
    if (result.reason === 'error') {
      this.deps.log.error(`session ended with an error: ${result.error}`);
      this.post({ type: 'end', reason: 'error', usage, error: result.error, actions });
    } else {
      this.deps.log.info(`session ended: ${result.reason}${usage ? `, ${usage.completion_tokens} tokens` : ''}`);
      this.post({ type: 'end', reason: result.reason, usage, actions });
    }
  }

  /** "Virgo: Save Recording": the last session as a replayable recording file. */
  async saveRecording(): Promise<vscode.Uri | undefined> {
    const recording = this.lastSessionId ? await this.deps.server.recording(this.lastSessionId) : null;
    if (!recording) {
      void vscode.window.showInformationMessage('Virgo: this panel has no session to save yet. Ask a question first.');
      return undefined;
    }
    const base = (this.image?.name ?? 'virgo').replace(/\.[^.]+$/, '');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: 'Virgo: Save Recording',
      saveLabel: 'Save Recording',
      filters: { 'Virgo recording': ['json'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.recording.json`) } : {}),
    });
    if (!target) return undefined;
    if (target.scheme === 'file') await this.deps.server.saveRecording(this.lastSessionId!, target.fsPath);
    else await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(recording, null, 1) + '\n'));
    this.deps.log.info(`recording saved: ${target.toString(true)} (${recording.events.length} events)`);
    return target;
  }

  async stop(): Promise<void> {
    if (this.sessionId) await this.deps.server.cancel(this.sessionId);
  }

  private forward(e: Exclude<ReasonEvent, { type: 'end' }>): void {
    if (e.type === 'start') this.post({ type: 'start', event: e });
    else if (e.type === 'answer') this.post({ type: 'answer', answer: { text: e.text, boxed: e.boxed } });
    else {
      const { type: _type, ...segment } = e;
      this.post({ type: 'segments', segments: [segment] });
    }
  }

  private async onMessage(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.view.pageReady();
        return;
      case 'ask': return this.ask(m.question);
      case 'stop': return this.stop();
      case 'retry': return this.ask(this.lastQuestion);
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        void vscode.window.setStatusBarMessage(m.what === 'answer' ? 'Virgo: answer copied' : 'Virgo: thought copied as Markdown', 3000);
        return;
      case 'pasteImage': return this.showImage({ name: m.name, dataBase64: m.dataBase64 });
      case 'action': return this.runAction(m.action);
      case 'openLink': return openLinkWithConsent(m.href);
    }
  }

  private async runAction(action: ErrorAction): Promise<void> {
    switch (action) {
      case 'openSettings': await vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.'); return;
      case 'setApiKey': await vscode.commands.executeCommand('virgo.setApiKey'); return;
      case 'checkBackend': await vscode.commands.executeCommand('virgo.checkBackend'); return;
      case 'showLog': this.deps.log.show(); return;
      case 'retry': await this.ask(this.lastQuestion); return;
      case 'continue': await this.continue(); return;
    }
  }

  private post(message: HostToWebview): void {
    this.view.post(message);
  }

  dispose(): void {
    if (!ReasoningPanel.all.delete(this)) return;
    ReasoningPanel.updateContext();
    void this.stop();
    this.view.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** What the user can do about how a session ended. */
export function actionsFor(r: lsp.ReasonResult): ErrorAction[] {
  if (r.reason === 'stop') return [];
  // Continue comes first when the model can carry on from where it stopped.
  const more = r.canContinue && (r.reason === 'length' || r.reason === 'cancelled' || r.errorKind === 'stream' || r.errorKind === 'idle')
    ? ['continue' as const] : [];
  return [...more, ...errorActions(r)];
}

function errorActions(r: lsp.ReasonResult): ErrorAction[] {
  if (r.reason === 'length' || r.reason === 'cancelled') return [];
  if (r.status === 401 || r.status === 403) return ['setApiKey', 'openSettings', 'retry'];
  if (r.status === 404) return ['openSettings', 'checkBackend'];
  if (r.errorKind === 'connection' || r.errorKind === 'timeout') return ['checkBackend', 'openSettings', 'retry'];
  if (r.errorKind === 'idle') return ['retry', 'openSettings'];
  if (r.errorKind === 'config') return ['openSettings'];
  return ['retry', 'showLog'];
}

/** What the panel needs to show a session kept earlier. */
export type RecordedSession = Pick<StoredAnswer, 'question' | 'model' | 'createdAt' | 'start' | 'segments' | 'answer' | 'end' | 'image'> & { imagePath?: string };

/** What the panel says about a session notice from the server. */
function noticeText(n: lsp.SessionNoticeBody): { title: string; detail: string } {
  if (n.kind === 'failover') {
    return { title: `Sent to another replica: ${n.to}`, detail: `${n.from} did not take the request (${n.reason}); it is skipped until it answers again.` };
  }
  return {
    title: `Max tokens lowered to ${n.maxTokens.toLocaleString('en-US')} to fit the context`,
    detail: `The model's context is ${n.maxModelLen.toLocaleString('en-US')} tokens and the prompt takes about ${n.promptTokens.toLocaleString('en-US')} (of which the image most), so ${n.requested.toLocaleString('en-US')} could not fit. Serve the model with a larger --max-model-len for longer thoughts.`,
  };
}

/** Links in model output: only http(s), and only after the user says yes (every Virgo webview). */
export async function openLinkWithConsent(href: string): Promise<void> {
  let uri: vscode.Uri;
  try { uri = vscode.Uri.parse(href, true); } catch { return; }
  if (uri.scheme !== 'http' && uri.scheme !== 'https') return;
  const open = 'Open Link';
  const choice = await vscode.window.showWarningMessage(
    `The model's answer links to ${uri.toString(true)}. Open it in your browser?`, { modal: true }, open,
  );
  if (choice === open) await vscode.env.openExternal(uri);
}
