import * as vscode from 'vscode';
import { panelHtml, type WebviewPage } from './panelHtml';

/**
 * One of our webview panels (the reasoning panel, the compare panel): its page under a strict
 * nonce CSP (panelHtml), our icon, scripts on and kept alive when hidden, resources from dist/webview
 * and media only; and messages to the page held until the page says it is ready, then sent in order.
 */
export class WebviewHost<Message> implements vscode.Disposable {
  readonly panel: vscode.WebviewPanel;
  private ready = false;
  private readonly queue: Message[] = [];
  private disposed = false;

  constructor(viewType: string, title: string, column: vscode.ViewColumn, extensionUri: vscode.Uri, page?: WebviewPage) {
    this.panel = vscode.window.createWebviewPanel(viewType, title, { viewColumn: column, preserveFocus: false }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'virgo.svg');
    this.panel.webview.html = panelHtml(this.panel.webview, extensionUri, page);
  }

  /** The page sent 'ready': what was posted before goes now. */
  pageReady(): void {
    this.ready = true;
    for (const m of this.queue.splice(0)) this.send(m);
  }

  post(message: Message): void {
    if (this.disposed) return;
    if (this.ready) this.send(message);
    else this.queue.push(message);
  }

  // A panel closed mid-stream rejects: whatever was streaming is being stopped anyway.
  private send(message: Message): void {
    this.panel.webview.postMessage(message).then(undefined, () => undefined);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.panel.dispose();
  }
}
