import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import * as lsp from '../protocol/lsp';
import type { Recording } from '../protocol/recording';

type SessionListener = (u: lsp.SessionUpdate) => void;

/**
 * The language server that runs the reasoning core, started on first use so activation stays
 * cheap. Session updates are routed to the panel that owns the session.
 */
export class VirgoServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;
  private readonly listeners = new Map<string, SessionListener>();

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
        documentSelector: [],
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

  async prepareImage(params: lsp.PrepareImageParams): Promise<lsp.PrepareImageResult> {
    return (await this.start()).sendRequest(lsp.prepareImage, params);
  }

  async checkBackend(params: lsp.CheckBackendParams): Promise<lsp.CheckBackendResult> {
    return (await this.start()).sendRequest(lsp.checkBackend, params);
  }

  /** Runs a session; `onUpdate` gets its events until the returned promise settles. */
  async reason(params: lsp.ReasonParams, onUpdate: SessionListener): Promise<lsp.ReasonResult> {
    const client = await this.start();
    this.listeners.set(params.sessionId, onUpdate);
    try {
      return await client.sendRequest(lsp.reason, params);
    } finally {
      this.listeners.delete(params.sessionId);
    }
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
