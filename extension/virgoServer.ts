import * as vscode from 'vscode';
import type { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';
import * as lsp from '../protocol/lsp';
import type { StoredThought } from '../protocol/inlineQa';
import type { Recording } from '../protocol/recording';

/** A session's updates, and notices about it (max tokens capped, moved to another replica). */
type SessionListener = (u: lsp.SessionUpdate | lsp.SessionNotice) => void;

/**
 * The language server that runs the reasoning core, started on first use (or when a document
 * inline QA reads is open) so activation stays cheap. Session updates are routed to the panel that owns the session.
 */
export class VirgoServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly listeners = new Map<string, SessionListener>();
  /** More client options (inline QA: documents, middleware, initialization options), set before the first start. */
  private extraOptions: Partial<LanguageClientOptions> = {};
  private readonly notificationHandlers: Array<[string, (params: unknown) => void]> = [];

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private start(): Promise<LanguageClient> {
    this.starting ??= (async () => {
      // A computed path keeps esbuild from pulling the client library into the activation bundle.
      const { LanguageClient, TransportKind } = require(this.context.asAbsolutePath('dist/languageClient.js')) as
        typeof import('./languageClientModule');
      const module = this.context.asAbsolutePath('dist/server.js');
      const serverOptions: ServerOptions = {
        run: { module, transport: TransportKind.ipc },
        debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
      };
      const clientOptions: LanguageClientOptions = {
        ...this.extraOptions,
        documentSelector: this.extraOptions.documentSelector ?? [],
        outputChannel: this.log,
        // Message traces show request params, API key included: they go through the redacting log too.
        traceOutputChannel: this.log,
      };
      const client = new LanguageClient('virgo', 'Virgo', serverOptions, clientOptions);
      client.onNotification(lsp.sessionUpdate.method, (u: lsp.SessionUpdate) => this.listeners.get(u.sessionId)?.(u));
      client.onNotification(lsp.sessionNotice.method, (n: lsp.SessionNotice) => this.listeners.get(n.sessionId)?.(n));
      for (const [method, handler] of this.notificationHandlers) client.onNotification(method, handler);
      await client.start();
      this.client = client;
      this.log.info('language server started');
      return client;
    })();
    return this.starting;
  }

  /**
   * A typed request of protocol/lsp.ts. Sent by method name: the client library is a separate
   * bundle with its own copy of vscode-jsonrpc, whose message-type objects it would not recognise.
   */
  async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    return (await this.start()).sendRequest(type.method, params) as Promise<R>;
  }

  /** A typed notification to the server; dropped when the server is not running (nothing to tell). */
  async notify<P>(type: NotificationType<P>, params: P): Promise<void> {
    if (this.client) await this.client.sendNotification(type.method, params);
  }

  /** A typed notification from the server (registered now or when the server starts). */
  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.notificationHandlers.push([type.method, handler as (params: unknown) => void]);
    this.client?.onNotification(type.method, handler);
  }

  withClientOptions(options: Partial<LanguageClientOptions>): void {
    this.extraOptions = options;
  }

  /** Starts the server now (a document it reads is open), not on the first request. */
  async ensureStarted(): Promise<void> {
    await this.start();
  }

  async storedThought(key: string): Promise<StoredThought | null> {
    return this.request(lsp.storedThought, { key });
  }

  /** Trust granted: the server stops being read-only (a server not started yet reads it at start). */
  async notifyTrust(trusted: boolean): Promise<void> {
    await this.notify(lsp.workspaceTrust, { trusted });
  }

  async prepareImage(params: lsp.PrepareImageParams): Promise<lsp.PrepareImageResult> {
    return this.request(lsp.prepareImage, params);
  }

  async checkBackend(params: lsp.CheckBackendParams): Promise<lsp.CheckBackendResult> {
    return this.request(lsp.checkBackend, params);
  }

  /** Runs a session; `onUpdate` gets its events until the returned promise settles. */
  reason(params: lsp.ReasonParams, onUpdate: SessionListener): Promise<lsp.ReasonResult> {
    return this.session(params.sessionId, onUpdate, () => this.request(lsp.reason, params));
  }

  /** Continues an interrupted session, with updates as for reason. */
  continueSession(params: lsp.ContinueParams, onUpdate: SessionListener): Promise<lsp.ReasonResult> {
    return this.session(params.sessionId, onUpdate, () => this.request(lsp.continueSession, params));
  }

  private async session(sessionId: string, onUpdate: SessionListener, send: () => Promise<lsp.ReasonResult>): Promise<lsp.ReasonResult> {
    await this.start();
    this.listeners.set(sessionId, onUpdate);
    try {
      return await send();
    } finally {
      this.listeners.delete(sessionId);
    }
  }

  async saveRecording(sessionId: string, path: string): Promise<{ events: number } | null> {
    return this.request(lsp.saveRecording, { sessionId, path });
  }

  async recording(sessionId: string): Promise<Recording | null> {
    return this.request(lsp.getRecording, { sessionId });
  }

  async cancel(sessionId: string): Promise<void> {
    await this.notify(lsp.cancelSession, { sessionId });
  }

  dispose(): void {
    void this.client?.stop();
  }
}
