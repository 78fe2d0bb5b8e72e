// In-host client of the UI bridge that runInHost.mjs serves on 127.0.0.1: the extension host
// cannot reach the browser that renders the workbench, so tests ask the outer runner (which holds
// the Playwright page) to take screenshots, press keys, click and evaluate in a webview.
//
// Protocol: POST <VIRGO_UI_BRIDGE>/<op> with a JSON body; the answer is
// {"ok":true,"result":...} or {"ok":false,"error":"..."} (HTTP 500).
import * as http from 'node:http';

export interface InWebviewOption {
  /** Act inside the visible webview's document (two iframes deep) instead of the workbench. */
  inWebview?: boolean;
}

export class UiBridgeError extends Error {}

export function bridgeUrl(): string {
  const url = process.env.VIRGO_UI_BRIDGE;
  if (!url) throw new UiBridgeError('VIRGO_UI_BRIDGE is not set: run the tests with runInHost.mjs');
  return url;
}

function call<T>(op: string, body: object): Promise<T> {
  const url = new URL(`${bridgeUrl()}/${op}`);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          try {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as
              | { ok: true; result: T }
              | { ok: false; error: string };
            if (answer.ok) resolve(answer.result);
            else reject(new UiBridgeError(`ui bridge ${op}: ${answer.error}`));
          } catch (err) {
            reject(new UiBridgeError(`ui bridge ${op}: bad answer (HTTP ${res.statusCode}): ${String(err)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Saves a PNG of the whole workbench to test-results/screenshots/<name>.png; returns its absolute path. */
export function screenshot(name: string): Promise<string> {
  return call<{ path: string }>('screenshot', { name }).then((r) => r.path);
}

/**
 * Evaluates a JS expression (a string, may return a promise) in the visible webview's inner
 * document and returns its JSON-serializable result. Waits up to timeoutMs for a webview.
 */
export function evalInWebview<T = unknown>(expression: string, timeoutMs = 10_000): Promise<T> {
  return call<T>('evalInWebview', { expression, timeoutMs });
}

/** Evaluates a JS expression in the workbench page itself (e.g. to read the DOM of a notification). */
/** Evaluates in every webview's document (background tabs included); one result each. */
export function evalInAllWebviews<T = unknown>(expression: string): Promise<T[]> {
  return call<T[]>('evalInAllWebviews', { expression });
}

export function evalInPage<T = unknown>(expression: string): Promise<T> {
  return call<T>('evalInPage', { expression });
}

/** Presses a key or chord in Playwright's syntax ('Enter', 'Control+A', 'F1'). */
export async function press(key: string, options: InWebviewOption = {}): Promise<void> {
  await call('press', { key, inWebview: !!options.inWebview });
}

/** Clicks the first visible element matching a CSS (or Playwright) selector. */
export async function click(selector: string, options: InWebviewOption & { timeoutMs?: number; button?: 'left' | 'right' } = {}): Promise<void> {
  await call('click', { selector, inWebview: !!options.inWebview, timeoutMs: options.timeoutMs ?? 10_000, button: options.button ?? 'left' });
}

/** Types text into whatever has focus, one key event per character. */
export async function type(text: string, options: InWebviewOption = {}): Promise<void> {
  await call('type', { text, inWebview: !!options.inWebview });
}
