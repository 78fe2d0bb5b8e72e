// The VS Code side of inline diagram QA. The language server does the work through standard LSP
// (lenses, hovers, code actions, inlay hints, commands); VS Code adds what only it has: a question
// prompt with recent questions, the API key from secret storage, the panel for a stored thought,
// workspace trust, and starting the server when a document that can reference images opens.
import * as vscode from 'vscode';
import type { DocumentSelector, LanguageClientOptions, Middleware } from 'vscode-languageclient/node';
import {
  ASK_ABOUT_REFERENCE, OPEN_THOUGHT,
  type AskReferenceArgs, type AskReferenceResult, type InlineQaInitOptions, type OpenThoughtArgs,
} from '../protocol/inlineQa';
import type { QuestionHistory } from './questionHistory';

/** What the server scans: the language ids, rST and AsciiDoc by extension (often plain text without an extension for them), notebook Markdown cells. */
const LANGUAGES = ['markdown', 'latex', 'tex', 'html', 'restructuredtext', 'asciidoc'];
const PATTERN = '**/*.{rst,rest,adoc,asciidoc}';

export const INLINE_QA_SELECTOR: DocumentSelector = [
  ...LANGUAGES.map((language) => ({ scheme: 'file', language })),
  { scheme: 'file', pattern: PATTERN },
  { notebook: '*', language: 'markdown' },
];
/** The same documents as a VS Code selector, to decide whether an opened document needs the server. */
const VSCODE_SELECTOR: vscode.DocumentSelector = [
  ...LANGUAGES.map((language) => ({ scheme: 'file', language })),
  { scheme: 'file', pattern: PATTERN },
  { notebookType: '*', language: 'markdown' },
];

export interface InlineQaHooks {
  questions: QuestionHistory;
  apiKey(): Promise<string | undefined>;
  /** Opens a stored answer's thought in the Virgo panel. */
  openThought(key: string): Promise<void>;
  log: vscode.LogOutputChannel;
}

export function inlineQaEnabled(): boolean {
  return vscode.workspace.getConfiguration('virgo').get<boolean>('inlineQa.enabled', true);
}

/** What the language client needs for inline QA (merged into its options by VirgoServer). */
export function inlineQaClientOptions(context: vscode.ExtensionContext, hooks: InlineQaHooks): Partial<LanguageClientOptions> {
  const storage = context.storageUri ?? context.globalStorageUri;
  const initializationOptions: InlineQaInitOptions = {
    storagePath: vscode.Uri.joinPath(storage, 'inline-answers').fsPath,
    workspaceTrusted: vscode.workspace.isTrusted,
    hoverThumbnails: true,
    clientReportsAskErrors: true,
  };
  return {
    documentSelector: INLINE_QA_SELECTOR,
    initializationOptions,
    // The server pulls `virgo` with workspace/configuration; this tells it when to pull again.
    synchronize: { configurationSection: 'virgo' },
    // Hover links run only these commands.
    markdown: { isTrusted: { enabledCommands: [ASK_ABOUT_REFERENCE, OPEN_THOUGHT] } },
    middleware: inlineQaMiddleware(hooks),
  };
}

function inlineQaMiddleware(h: InlineQaHooks): Middleware {
  return {
    executeCommand: async (command, args, next) => {
      if (command === OPEN_THOUGHT) {
        // The panel, not the Markdown file the server writes for editors without one.
        const key = (args[0] as OpenThoughtArgs | undefined)?.key;
        if (key) await h.openThought(key);
        return undefined;
      }
      if (command !== ASK_ABOUT_REFERENCE) return next(command, args);
      const a: AskReferenceArgs = { ...(args[0] as AskReferenceArgs) };
      if (a.question === undefined) {
        const question = await promptQuestion(a.suggestion, h.questions.recent());
        if (question === undefined) return undefined;
        a.question = question;
      }
      if (a.question.trim()) await h.questions.remember(a.question.trim());
      a.apiKey = await h.apiKey();
      const result = (await next(command, [a])) as AskReferenceResult | undefined;
      await report(result, h.log);
      return result;
    },
  };
}

const DEFAULT_ITEM = 'Solve or describe the figure (the default question)';

/** A question: typed, a recent one, or the default; undefined when dismissed. */
async function promptQuestion(suggestion: string | undefined, recent: string[]): Promise<string | undefined> {
  const pick = vscode.window.createQuickPick();
  pick.title = 'Ask Virgo about this image';
  pick.placeholder = 'Type a question, or pick a recent one';
  const recentItems: vscode.QuickPickItem[] = recent.map((q) => ({ label: q, description: 'recent' }));
  const update = () => {
    const typed = pick.value.trim();
    pick.items = [
      typed ? { label: typed, description: 'ask this', alwaysShow: true } : { label: DEFAULT_ITEM, alwaysShow: true },
      ...recentItems.filter((i) => i.label !== typed),
    ];
  };
  pick.value = suggestion ?? '';
  update();
  return new Promise((resolve) => {
    pick.onDidChangeValue(update);
    pick.onDidAccept(() => {
      const label = pick.selectedItems[0]?.label ?? pick.value.trim();
      resolve(label === DEFAULT_ITEM ? '' : label);
      pick.hide();
    });
    pick.onDidHide(() => { resolve(undefined); pick.dispose(); });
    pick.show();
  });
}

async function report(r: AskReferenceResult | undefined, log: vscode.LogOutputChannel): Promise<void> {
  if (!r || r.reason === 'cancelled') return;
  if (r.reason !== 'error') {
    const answer = r.shortAnswer ?? r.boxed ?? 'see the code lens';
    log.info(`inline answer${r.cached ? ' (from the store)' : ''}: ${answer}`);
    vscode.window.setStatusBarMessage(`Virgo${r.cached ? ' (stored answer)' : ''}: ${answer}`, 5000);
    return;
  }
  if (r.errorKind === 'refused') {
    void vscode.window.showErrorMessage(`Virgo: ${r.error}`);
    return;
  }
  const actions = r.status === 401 || r.status === 403 ? ['Set API Key', 'Open Settings'] : ['Check Backend', 'Open Settings', 'Show Log'];
  const choice = await vscode.window.showErrorMessage(`Virgo: ${r.error}`, ...actions);
  const run: Record<string, () => Thenable<unknown>> = {
    'Set API Key': () => vscode.commands.executeCommand('virgo.setApiKey'),
    'Open Settings': () => vscode.commands.executeCommand('workbench.action.openSettings', 'virgo.'),
    'Check Backend': () => vscode.commands.executeCommand('virgo.checkBackend'),
    'Show Log': () => vscode.commands.executeCommand('virgo.showLog'),
  };
  if (choice) await run[choice]();
}

/**
 * Starts the language server when a document it can read is open (or opens), so lenses appear
 * without a command first. Activation itself stays cheap: this only checks language ids.
 */
export function startForDocuments(start: () => Promise<unknown>, log: vscode.LogOutputChannel): vscode.Disposable {
  const wanted = (d: vscode.TextDocument) => vscode.languages.match(VSCODE_SELECTOR, d) > 0;
  let started = false;
  const kick = () => {
    if (started || !inlineQaEnabled()) return;
    started = true;
    void start().catch((e: Error) => { started = false; log.error(`language server did not start: ${e.message}`); });
  };
  if (vscode.workspace.textDocuments.some(wanted)) kick();
  return vscode.Disposable.from(
    vscode.workspace.onDidOpenTextDocument((d) => { if (wanted(d)) kick(); }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('virgo.inlineQa.enabled') && vscode.workspace.textDocuments.some(wanted)) kick();
    }),
  );
}
