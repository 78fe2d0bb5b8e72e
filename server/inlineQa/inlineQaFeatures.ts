/**
 * Inline diagram QA as standard LSP, so every editor gets it: code lenses ("Ask Virgo…" and the
 * stored answer), hovers, code actions that insert the answer, inlay hints, and two commands
 * through workspace/executeCommand. Opening a document only indexes its references: nothing is
 * read from the network and nothing is sent until the user runs the ask command.
 */
import { mkdir } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CodeActionKind, CodeLensRefreshRequest, DidChangeWatchedFilesNotification, MessageType, ShowMessageNotification,
  type CancellationToken, type ClientCapabilities, type CodeAction, type CodeActionParams, type CodeLens, type Connection,
  type Hover, type HoverParams, type InitializeParams, type InlayHint, type InlayHintParams, type Range, type ServerCapabilities,
} from 'vscode-languageserver/node';
import {
  ASK_ABOUT_REFERENCE, OPEN_THOUGHT,
  type AskReferenceArgs, type InlineQaInitOptions, type OpenThoughtArgs, type StoredThought,
} from '../../protocol/inlineQa';
import * as lsp from '../../protocol/lsp';
import { writeFileAtomic } from '../util/atomicWrite';
import { answerInsertions, suggestedQuestion } from './answerInsertions';
import { hoverMarkdown, inlayLabel, lensTitle, thoughtMarkdown } from './answerPresentation';
import { AnswerStore, sha256, sourceKeys, type Freshness, type SourceEntry } from './answerStore';
import { askAboutReference, type AskContext } from './askReference';
import { imageFacts, loadImageBytes, REMOTE_OFF_MESSAGE } from './referenceImage';
import { OpenDocuments, type DocumentReferences, type ImageReference } from './referenceIndex';
import { resolveReference, type ImageLocation } from './referenceResolver';
import { SettingsSource, type ServerSettings } from './serverSettings';

/** Images whose change on disk can make a stored answer stale. */
const IMAGE_GLOB = '**/*.{png,jpg,jpeg,webp,gif,bmp,tif,tiff,PNG,JPG,JPEG,WEBP,GIF,BMP,TIF,TIFF,ipynb}';

const UNTRUSTED = 'This workspace is not trusted: Virgo only shows answers stored earlier. Trust the workspace to ask.';

/** Where answers go when the client names no place: per user, shared by every editor that runs the server. */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VIRGO_ANSWERS_DIR) return env.VIRGO_ANSWERS_DIR;
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(state, 'virgo-vscode', 'answers');
}

interface Placed {
  ref: ImageReference;
  location: ImageLocation;
  askable: boolean;
  answer?: { entry: SourceEntry; summary: NonNullable<ReturnType<AnswerStore['summary']>>; freshness: Freshness };
}

export class InlineQaService {
  private readonly documents = new OpenDocuments();
  private storeDir = defaultStorageDir();
  private storeOpening: Promise<AnswerStore> | undefined;
  private trusted = true;
  private folders: string[] = [];
  private capabilities: ClientCapabilities = {};
  private hoverThumbnails = false;
  private settings!: SettingsSource;
  private readonly running = new Set<string>();

  constructor(private readonly connection: Connection) {}

  /** Reads the client's options and returns the capabilities to announce. */
  initialize(params: InitializeParams): ServerCapabilities {
    const o = (params.initializationOptions ?? {}) as InlineQaInitOptions & { settings?: unknown };
    if (typeof o.storagePath === 'string' && o.storagePath) this.storeDir = o.storagePath;
    this.trusted = o.workspaceTrusted !== false;
    this.hoverThumbnails = o.hoverThumbnails === true;
    this.capabilities = params.capabilities;
    this.folders = (params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri }] : []))
      .flatMap((f) => { try { return [fileURLToPath(f.uri)]; } catch { return []; } });
    this.settings = new SettingsSource(this.connection, params.capabilities.workspace?.configuration === true, o.settings);
    const askContext: AskContext = {
      connection: this.connection, documents: this.documents, store: () => this.store(), settings: this.settings,
      trusted: () => this.trusted, workspaceFolders: () => this.folders, running: this.running,
      refresh: () => this.refresh(), showErrors: o.clientReportsAskErrors !== true,
      showError: (message) => this.showMessage(MessageType.Error, message),
      log: (m) => this.connection.console.log(m),
    };
    this.register(askContext);
    return {
      codeLensProvider: { resolveProvider: false },
      hoverProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.RefactorRewrite, CodeActionKind.Empty] },
      inlayHintProvider: true,
      executeCommandProvider: { commands: [ASK_ABOUT_REFERENCE, OPEN_THOUGHT] },
    };
  }

  /** After `initialized`: watch images so answers about changed files are redrawn as stale. */
  initialized(): void {
    if (this.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration) {
      void this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: IMAGE_GLOB }] })
        .catch(() => {});
    }
  }

  private register(askContext: AskContext): void {
    const c = this.connection;
    c.onDidOpenTextDocument(({ textDocument: d }) => { this.documents.open(d.uri, d.languageId, d.version, d.text); });
    c.onDidChangeTextDocument(({ textDocument, contentChanges }) => this.documents.change(textDocument.uri, textDocument.version, contentChanges));
    c.onDidCloseTextDocument(({ textDocument }) => this.documents.close(textDocument.uri));
    c.onDidChangeConfiguration(() => { this.settings.invalidate(); this.refresh(); });
    c.onDidChangeWatchedFiles(() => this.refresh());
    c.onNotification(lsp.workspaceTrust, ({ trusted }) => { this.trusted = trusted; this.refresh(); });
    c.onRequest(lsp.storedThought, (p) => this.storedThought(p));
    c.onCodeLens(({ textDocument }) => this.codeLenses(textDocument.uri));
    c.onHover((p) => this.hover(p));
    c.onCodeAction((p) => this.codeActions(p));
    c.languages.inlayHint.on((p) => this.inlayHints(p));
    c.onExecuteCommand((p, token: CancellationToken) => {
      if (p.command === ASK_ABOUT_REFERENCE) return askAboutReference(askContext, p.arguments?.[0] as AskReferenceArgs | undefined, token);
      if (p.command === OPEN_THOUGHT) return this.openThought(p.arguments?.[0] as OpenThoughtArgs | undefined);
      return undefined;
    });
  }

  private store(): Promise<AnswerStore> {
    this.storeOpening ??= AnswerStore.open(this.storeDir, (m) => this.connection.console.warn(m));
    return this.storeOpening;
  }

  /** The document's references with where they point, whether they can be asked about, and their stored answer. */
  private async placed(doc: DocumentReferences, settings: ServerSettings, refs = doc.references()): Promise<Placed[]> {
    const store = await this.store();
    return Promise.all(refs.map(async (ref): Promise<Placed> => {
      const location = resolveReference(doc, ref, this.folders);
      const askable = location.kind !== 'unavailable' && (location.kind !== 'remote' || settings.inlineQa.allowRemoteImages);
      const latest = location.kind !== 'unavailable' ? store.latest(sourceKeys(doc.document.uri, location.source)) : undefined;
      if (!latest) return { ref, location, askable };
      return { ref, location, askable, answer: { ...latest, freshness: await this.freshness(store, location, latest.entry) } };
    }));
  }

  private async freshness(store: AnswerStore, location: ImageLocation, entry: SourceEntry): Promise<Freshness> {
    switch (location.kind) {
      case 'file': return store.fileFreshness(location.path, entry);
      case 'inline':
      case 'notebookAttachment': {
        const bytes = await loadImageBytes(location, false).then((b) => b.bytes, () => undefined);
        return !bytes ? 'missing' : sha256(bytes) === entry.sha256 ? 'fresh' : 'stale';
      }
      default: return 'unknown';
    }
  }

  private askArgs(doc: DocumentReferences, ref: ImageReference): AskReferenceArgs {
    const suggestion = suggestedQuestion(doc, ref);
    return { uri: doc.document.uri, position: ref.range.start, ...(suggestion ? { suggestion } : {}) };
  }

  private async enabled(uri: string): Promise<{ doc: DocumentReferences; settings: ServerSettings } | undefined> {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const settings = await this.settings.get();
    return settings.inlineQa.enabled ? { doc, settings } : undefined;
  }

  private async codeLenses(uri: string): Promise<CodeLens[]> {
    const on = await this.enabled(uri);
    if (!on) return [];
    const lenses: CodeLens[] = [];
    for (const p of await this.placed(on.doc, on.settings)) {
      const range: Range = { start: p.ref.range.start, end: p.ref.range.start };
      const source = p.location.kind !== 'unavailable' ? p.location.source : undefined;
      if (source && this.running.has(source)) lenses.push({ range, command: { title: 'Virgo is thinking…', command: '' } });
      else if (p.askable && this.trusted) {
        lenses.push({ range, command: { title: 'Ask Virgo…', command: ASK_ABOUT_REFERENCE, arguments: [this.askArgs(on.doc, p.ref)] } });
      }
      if (p.answer) {
        lenses.push({
          range,
          command: { title: lensTitle(p.answer.summary, p.answer.freshness), command: OPEN_THOUGHT, arguments: [{ key: p.answer.summary.key } satisfies OpenThoughtArgs] },
        });
      }
    }
    return lenses;
  }

  private async inlayHints(p: InlayHintParams): Promise<InlayHint[]> {
    const on = await this.enabled(p.textDocument.uri);
    if (!on || !on.settings.inlineQa.inlayHints) return [];
    const inRange = on.doc.references().filter((r) => r.range.end.line >= p.range.start.line && r.range.start.line <= p.range.end.line);
    const placed = await this.placed(on.doc, on.settings, inRange);
    return placed.flatMap(({ ref, answer }) => answer
      ? [{ position: ref.range.end, label: inlayLabel(answer.summary, answer.freshness), paddingLeft: true, tooltip: `Virgo, asked: ${answer.summary.question}` }]
      : []);
  }

  private async hover(p: HoverParams): Promise<Hover | null> {
    const on = await this.enabled(p.textDocument.uri);
    const ref = on?.doc.referenceAt(p.position);
    if (!on || !ref) return null;
    const [placed] = await this.placed(on.doc, on.settings, [ref]);
    const { location } = placed;
    let name = ref.target.length > 60 ? `${ref.target.slice(0, 57)}…` : ref.target;
    let imageLine: string;
    let thumbnailDataUri: string | undefined;
    if (location.kind === 'unavailable') imageLine = location.message;
    else if (location.kind === 'remote') {
      imageLine = on.settings.inlineQa.allowRemoteImages ? 'remote image: downloaded only when you ask' : REMOTE_OFF_MESSAGE;
    } else {
      try {
        const f = await imageFacts(location, on.settings.backend.maxPixels, this.hoverThumbnails);
        name = f.name;
        imageLine = `${f.width}×${f.height} px, sent as ${f.sentWidth}×${f.sentHeight} · ${f.imageTokens.toLocaleString('en-US')} visual tokens · ${formatBytes(f.bytes)}`;
        thumbnailDataUri = f.thumbnailDataUri;
      } catch (e) {
        imageLine = (e as Error).message;
      }
    }
    const value = hoverMarkdown({
      name, imageLine, thumbnailDataUri,
      ...(placed.answer ? { answer: { summary: placed.answer.summary, freshness: placed.answer.freshness } } : {}),
      ...(placed.askable && this.trusted ? { askArgs: this.askArgs(on.doc, ref) } : {}),
      ...(placed.askable && !this.trusted ? { cannotAsk: UNTRUSTED } : {}),
    });
    return { contents: { kind: 'markdown', value }, range: ref.range };
  }

  private async codeActions(p: CodeActionParams): Promise<CodeAction[]> {
    const on = await this.enabled(p.textDocument.uri);
    if (!on) return [];
    const touching = on.doc.references().filter((r) => r.range.end.line >= p.range.start.line && r.range.start.line <= p.range.end.line);
    if (touching.length === 0) return [];
    const actions: CodeAction[] = [];
    for (const placed of await this.placed(on.doc, on.settings, touching)) {
      if (placed.answer) {
        for (const ins of answerInsertions(on.doc, placed.ref, placed.answer.summary)) {
          actions.push({ title: ins.title, kind: CodeActionKind.RefactorRewrite, edit: { changes: { [p.textDocument.uri]: [ins.edit] } } });
        }
      }
      if (placed.askable && this.trusted) {
        const name = path.posix.basename(placed.ref.target) || 'this image';
        actions.push({ title: `Ask Virgo about ${name}…`, kind: CodeActionKind.Empty, command: { title: 'Ask Virgo…', command: ASK_ABOUT_REFERENCE, arguments: [this.askArgs(on.doc, placed.ref)] } });
      }
    }
    return actions;
  }

  private async storedThought({ key }: OpenThoughtArgs): Promise<StoredThought | null> {
    const store = await this.store();
    const answer = await store.load(key);
    if (!answer) return null;
    const file = path.isAbsolute(answer.source) && !answer.source.includes('#') ? answer.source : undefined;
    const fresh = file && (await store.fileFreshness(file, { key, sha256: answer.imageSha256 })) === 'fresh';
    return { answer, ...(fresh ? { imagePath: file } : {}) };
  }

  /** Editors without Virgo's panel get the thought as a Markdown file (VS Code's client opens the panel instead). */
  private async openThought(args: OpenThoughtArgs | undefined): Promise<{ uri: string } | null> {
    const stored = args?.key ? await (await this.store()).load(args.key) : null;
    if (!stored) {
      this.showMessage(MessageType.Error, 'Virgo: that answer is no longer stored. Ask again.');
      return null;
    }
    const dir = path.join(this.storeDir, 'thoughts');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${stored.key}.md`);
    await writeFileAtomic(file, thoughtMarkdown(stored));
    const uri = pathToFileURL(file).toString();
    if (this.capabilities.window?.showDocument?.support) await this.connection.window.showDocument({ uri, takeFocus: true });
    else this.showMessage(MessageType.Info, `Virgo: the reasoning is in ${file}`);
    return { uri };
  }

  private showMessage(type: MessageType, message: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, { type, message });
  }

  /** Asks the client to fetch lenses and hints again (answers, trust or settings changed). */
  private refresh(): void {
    const w = this.capabilities.workspace;
    if (w?.codeLens?.refreshSupport) void this.connection.sendRequest(CodeLensRefreshRequest.type).catch(() => {});
    if (w?.inlayHint?.refreshSupport) void this.connection.languages.inlayHint.refresh().catch(() => {});
  }
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${Math.round(n / 1024)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
