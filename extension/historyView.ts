import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HistorySession, HistorySummary } from '../protocol/history';
import * as lsp from '../protocol/lsp';
import { prettyTex } from '../protocol/prettyTex';
import type { RecordedSession } from './reasoningPanel';
import type { VirgoServer } from './virgoServer';

/** The `virgo.history.*` settings, as the language server takes them. */
export function readHistoryOptions(): { enabled: boolean; maxEntries: number } {
  const c = vscode.workspace.getConfiguration('virgo.history');
  return { enabled: c.get<boolean>('enabled', true), maxEntries: c.get<number>('maxEntries', 500) };
}

/** Where the language server keeps history (it writes; the view reads thumbnails from there). */
export function historyStoragePath(context: vscode.ExtensionContext): string {
  return vscode.Uri.joinPath(context.globalStorageUri, 'history').fsPath;
}

const LIST_LIMIT = 500;

/**
 * The "History" view in the Virgo activity-bar container: past sessions, newest first, each with
 * its thumbnail, question, boxed answer, model, tokens, reflections and date. Click reopens one in
 * the panel; delete, export (Markdown or JSON) and search from the view. The list lives in the
 * language server (server/history/), which tells us when it changes.
 */
export class HistoryView implements vscode.TreeDataProvider<HistorySummary>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private query = '';
  private readonly view: vscode.TreeView<HistorySummary>;

  constructor(
    private readonly server: VirgoServer,
    private readonly storagePath: string,
    private readonly open: (session: RecordedSession) => Promise<void>,
  ) {
    this.view = vscode.window.createTreeView('virgo.history', { treeDataProvider: this, showCollapseAll: false });
    server.onNotification(lsp.historyChanged, () => this.changed.fire());
  }

  refresh(): void { this.changed.fire(); }

  async getChildren(element?: HistorySummary): Promise<HistorySummary[]> {
    if (element) return [];
    const list = await this.server.request(lsp.listHistory, { ...(this.query ? { query: this.query } : {}), limit: LIST_LIMIT });
    this.view.message = this.query
      ? `${list.length} ${list.length === 1 ? 'session matches' : 'sessions match'} “${this.query}”.`
      : undefined;
    return list;
  }

  getTreeItem(s: HistorySummary): vscode.TreeItem {
    const item = new vscode.TreeItem(s.question.trim() || '(no question)', vscode.TreeItemCollapsibleState.None);
    item.id = s.id;
    const answer = s.boxed.length ? s.boxed.map(prettyTex).join(', ') : s.endReason === 'stop' ? 'no boxed answer' : ended(s.endReason);
    item.description = `${answer} · ${relativeDate(s.updatedAt)}`;
    item.iconPath = s.hasThumbnail ? vscode.Uri.file(path.join(this.storagePath, 'sessions', `${s.id}.png`)) : new vscode.ThemeIcon('file-media');
    item.contextValue = 'virgoHistorySession';
    item.command = { command: 'virgo.history.open', title: 'Open in Panel', arguments: [s] };
    const r = s.reflections;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendText(s.question || '(no question)');
    tip.appendMarkdown(`\n\n**Answer:** `);
    tip.appendText(answer);
    if (s.boxed.length) tip.appendMarkdown(` (${s.boxed.map((b) => `\`${b.replace(/`/g, '')}\``).join(', ')})`);
    tip.appendMarkdown('\n\n');
    tip.appendText([
      `${s.model} · ${s.image.name} (${s.image.sentWidth}×${s.image.sentHeight}, ${s.image.imageTokens} visual tokens)`,
      `${s.thoughtTokens.toLocaleString('en-US')} thought tokens · ${s.segments} segments`,
      `Reflections: ${r.verify + r.backtrack + r.alternative} (${r.verify} verify, ${r.backtrack} backtrack, ${r.alternative} alternative)`,
      `${new Date(s.updatedAt).toLocaleString()} · ${ended(s.endReason)}`,
    ].join('\n'));
    item.tooltip = tip;
    item.accessibilityInformation = { label: `${s.question}. Answer ${answer}. ${s.model}, ${relativeDate(s.updatedAt)}` };
    return item;
  }

  /** Reopens a kept session in the panel, every segment navigable as it was. */
  async openSession(s: HistorySummary): Promise<void> {
    const session = await this.server.request(lsp.getHistorySession, { id: s.id });
    if (!session) {
      void vscode.window.showErrorMessage('Virgo: that session is no longer kept (deleted or pruned).');
      this.refresh();
      return;
    }
    await this.open(toRecorded(session));
  }

  async search(): Promise<void> {
    const query = await vscode.window.showInputBox({
      title: 'Virgo: Search History',
      prompt: 'Words from the question or the answer (empty: show all)',
      value: this.query,
    });
    if (query === undefined) return;
    this.setQuery(query.trim());
  }

  setQuery(query: string): void {
    this.query = query;
    void vscode.commands.executeCommand('setContext', 'virgo.historyFiltered', query !== '');
    this.refresh();
  }

  /** Deletes a session (default: the one selected in the view), after a confirmation. */
  async delete(s: HistorySummary | undefined = this.view.selection[0]): Promise<void> {
    if (!s) {
      void vscode.window.showInformationMessage('Virgo: select a session in the History view first.');
      return;
    }
    // A quick pick, not a modal dialog: it is keyboard-first and does not block the window.
    const choice = await vscode.window.showQuickPick(['Delete', 'Cancel'], {
      title: `Delete “${clip(s.question)}” from history?`,
      placeHolder: 'Its recording and thumbnail are removed from this machine; this cannot be undone.',
    });
    if (choice !== 'Delete') return;
    await this.server.request(lsp.deleteHistorySession, { id: s.id });
    this.refresh();
  }

  async export(s: HistorySummary, format: 'markdown' | 'json'): Promise<vscode.Uri | undefined> {
    const ext = format === 'markdown' ? 'md' : 'json';
    const base = s.image.name.replace(/\.[^.]+$/, '') || 'virgo';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const target = await vscode.window.showSaveDialog({
      title: `Virgo: Export Session as ${format === 'markdown' ? 'Markdown' : 'JSON (recording)'}`,
      filters: format === 'markdown' ? { Markdown: ['md'] } : { 'Virgo recording': ['json'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.virgo.${ext}`) } : {}),
    });
    if (!target) return undefined;
    if (target.scheme !== 'file') {
      void vscode.window.showErrorMessage('Virgo: export writes local files only; choose a folder on this machine.');
      return undefined;
    }
    const result = await this.server.request(lsp.exportHistorySession, { id: s.id, format, path: target.fsPath });
    if (!result) {
      void vscode.window.showErrorMessage('Virgo: that session is no longer kept (deleted or pruned).');
      return undefined;
    }
    void vscode.window.showInformationMessage(`Virgo: exported to ${vscode.workspace.asRelativePath(target)}.`, 'Open').then((c) => {
      if (c) void vscode.window.showTextDocument(target);
    });
    return target;
  }

  dispose(): void {
    this.view.dispose();
    this.changed.dispose();
  }
}

/** A history entry in the shape the panel replays. */
export function toRecorded(h: HistorySession): RecordedSession {
  const { summary: s } = h;
  const info = {
    width: s.image.width, height: s.image.height, sentWidth: s.image.sentWidth, sentHeight: s.image.sentHeight,
    imageTokens: s.image.imageTokens, mime: s.image.mime, bytes: s.image.bytes,
  };
  return {
    question: s.question,
    model: s.model,
    createdAt: s.createdAt,
    start: { type: 'start', model: s.model, file: s.image.path ?? s.image.name, ...info },
    segments: h.segments,
    answer: h.answer,
    end: { reason: s.endReason, usage: s.usage },
    image: { name: s.image.name, info, thumbnailBase64: h.thumbnailBase64 ?? '' },
    ...(s.image.path ? { imagePath: s.image.path } : {}),
  };
}

function ended(reason: HistorySummary['endReason']): string {
  return { stop: 'finished', length: 'stopped at max tokens', cancelled: 'stopped', error: 'failed' }[reason];
}

function relativeDate(ms: number): string {
  const minutes = Math.round((Date.now() - ms) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return new Date(ms).toLocaleDateString();
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text || '(no question)';
}
