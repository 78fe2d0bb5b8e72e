import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** Which webview page: its bundle in dist/webview, its stylesheets in media (in order), its title. */
export interface WebviewPage {
  script: string;
  styles: readonly string[];
  title: string;
}

/** The reasoning panel's page. */
export const REASONING_PAGE: WebviewPage = { script: 'main.js', styles: ['panel.css'], title: 'Virgo' };

/**
 * A webview's page (the reasoning panel's unless told): one script with a fresh nonce, our
 * stylesheets, and a CSP that allows nothing else — no inline styles or scripts, no remote loads,
 * no frames, no connections.
 */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage = REASONING_PAGE): string {
  const nonce = randomBytes(18).toString('base64');
  const asset = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...path)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
${page.styles.map((css) => `<link rel="stylesheet" href="${asset('media', css)}">`).join('\n')}
<title>${page.title}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${asset('dist', 'webview', page.script)}"></script>
</body>
</html>`;
}
