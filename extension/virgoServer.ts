import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import * as lsp from '../protocol/lsp';
import type { StoredThought } from '../protocol/inlineQa';
import type { Recording } from '../protocol/recording';

type SessionListener = (u: lsp.SessionUpdate) => void;

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

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private start(): Promise<LanguageClient> {
    this.starting ??= (async () => {
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
      client.onNotification(lsp.sessionUpdate, (u) => this.listeners.get(u.sessionId)?.(u));
      await client.start();
      this.client = client;
      this.log.info('language server started');
      return client;
    })();
    return this.starting;
  }

  withClientOptions(options: Partial<LanguageClientOptions>): void {
    this.extraOptions = options;
  }

  /** Starts the server now (a document it reads is open), not on the first request. */
  async ensureStarted(): Promise<void> {
    await this.start();
  }

  async storedThought(key: string): Promise<StoredThought | null> {
    return (await this.start()).sendRequest(lsp.storedThought, { key });
  }

  /** Trust granted: the server stops being read-only (a server not started yet reads it at start). */
  async notifyTrust(trusted: boolean): Promise<void> {
    if (this.client) await this.client.sendNotification(lsp.workspaceTrust, { trusted });
  }

  async prepareImage(params: lsp.PrepareImageParams): Promise<lsp.PrepareImageResult> {
    return (await this.start()).sendRequest(lsp.prepareImage, params);
  }

  async checkBackend(params: lsp.CheckBackendParams): Promise<lsp.CheckBackendResult> {
    return (await this.start()).sendRequest(lsp.checkBackend, params);
  }

  /** Runs a session; `onUpdate` gets its events until the returned promise settles. */
  reason(params: lsp.ReasonParams, onUpdate: SessionListener): Promise<lsp.ReasonResult> {
    return this.session(params.sessionId, onUpdate, (client) => client.sendRequest(lsp.reason, params));
  }

  /** Continues an interrupted session, with updates as for reason. */
  continueSession(params: lsp.ContinueParams, onUpdate: SessionListener): Promise<lsp.ReasonResult> {
    return this.session(params.sessionId, onUpdate, (client) => client.sendRequest(lsp.continueSession, params));
  }

  private async session(sessionId: string, onUpdate: SessionListener, send: (c: LanguageClient) => Promise<lsp.ReasonResult>): Promise<lsp.ReasonResult> {
    const client = await this.start();
    this.listeners.set(sessionId, onUpdate);
    try {
      return await send(client);
    } finally {
      this.listeners.delete(sessionId);
    }
  }

  async saveRecording(sessionId: string, path: string): Promise<{ events: number } | null> {
    return (await this.start()).sendRequest(lsp.saveRecording, { sessionId, path });
  }

  async recording(sessionId: string): Promise<Recording | null> {
    return (await this.start()).sendRequest(lsp.getRecording, { sessionId });
  }

  async cancel(sessionId: string): Promise<void> {
    if (this.client) await this.client.sendNotification(lsp.cancelSession, { sessionId });
  }

  dispose(): void {
    void this.client?.stop();
  }
}
