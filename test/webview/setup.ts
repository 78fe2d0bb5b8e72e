/**
 * The DOM shim for webview tests: a happy-dom Window installed as the browser globals the webview
 * code uses, an acquireVsCodeApi stub that records posted messages, and a manual animation-frame
 * queue. Import it first in every DOM test (before any webview module).
 *
 * Not for sanitizer tests: DOMPurify does not work on happy-dom (its maintainers say so, and it
 * returns unsanitized markup there). Sanitizing is tested in real Chromium (sanitize.browser.test.ts).
 */
import { Window } from 'happy-dom';
import type { WebviewToHost } from '../../protocol/webviewMessages';

const win = new Window({ url: 'https://webview.test/', width: 1024, height: 768 });
const g = globalThis as Record<string, unknown>;

// happy-dom has no compatMode; KaTeX warns about quirks mode without it.
Object.defineProperty(win.document, 'compatMode', { value: 'CSS1Compat' });
g.window = win;
g.document = win.document;
for (const name of [
  'Node', 'Element', 'HTMLElement', 'HTMLInputElement', 'HTMLTextAreaElement', 'HTMLButtonElement', 'HTMLLIElement',
  'DocumentFragment', 'DOMParser', 'NodeFilter', 'Event', 'KeyboardEvent', 'MouseEvent', 'WheelEvent', 'CustomEvent',
  'getComputedStyle',
]) {
  g[name] = (win as unknown as Record<string, unknown>)[name];
}
// happy-dom does no layout: scrolling is a no-op that tests can observe.
const proto = (win as unknown as { Element: { prototype: Record<string, unknown> } }).Element.prototype;
proto.scrollIntoView = function scrollIntoView(this: { dataset?: Record<string, string> }) {
  scrolledIntoView.push(this as unknown as HTMLElement);
};

export const scrolledIntoView: HTMLElement[] = [];
export const posted: WebviewToHost[] = [];
let state: unknown;
g.acquireVsCodeApi = () => ({
  postMessage: (m: WebviewToHost) => { posted.push(m); },
  getState: () => state,
  setState: (s: unknown) => { state = s; return s; },
});

/** Animation frames run only when a test says so, so "at most once per frame" is observable. */
const frames: Array<() => void> = [];
export function requestFrame(cb: () => void): void {
  frames.push(cb);
}
export function runFrames(): number {
  const n = frames.length;
  for (const cb of frames.splice(0)) cb();
  return n;
}
g.requestAnimationFrame = (cb: (t: number) => void) => { frames.push(() => cb(performance.now())); return frames.length; };

export function resetDom(): void {
  document.body.replaceChildren();
  posted.length = 0;
  scrolledIntoView.length = 0;
  frames.length = 0;
}

export function press(key: string, target: EventTarget = document.activeElement ?? document.body, init: KeyboardEventInit = {}): KeyboardEvent {
  const e = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(e);
  return e;
}
