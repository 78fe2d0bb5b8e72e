/** A Panel on the happy-dom document with a fake clock and manual frames. Import after './setup'. */
import './setup';
import type { HostToWebview } from '../../protocol/webviewMessages';
import { Panel } from '../../webview/panel';
import { posted, requestFrame, resetDom, runFrames } from './setup';

export class FakeClock {
  constructor(public t = 1_000) {}
  advance(ms: number): void { this.t += ms; }
}

export interface TestPanel {
  panel: Panel;
  clock: FakeClock;
  /** Delivers messages in order, then runs the pending animation frame(s). */
  feed(messages: readonly HostToWebview[], msBetween?: number): void;
  dispose(): void;
}

export function makePanel(): TestPanel {
  resetDom();
  const clock = new FakeClock();
  const panel = new Panel(document.body, {
    host: { post: (m) => { posted.push(m); } },
    now: () => clock.t,
    requestFrame,
    frameIntervalMs: 0,
    setInterval: () => 0,
    clearInterval: () => undefined,
  });
  return {
    panel,
    clock,
    feed(messages, msBetween = 0) {
      for (const m of messages) {
        clock.advance(msBetween);
        panel.handle(m);
      }
      runFrames();
    },
    dispose: () => panel.dispose(),
  };
}

export const $ = <T extends Element = HTMLElement>(selector: string): T | null => document.querySelector<T>(selector);
export const $$ = <T extends Element = HTMLElement>(selector: string): T[] => [...document.querySelectorAll<T>(selector)];

/** The element(s) carrying aria-current, as "index" for segments or "answer". */
export function currentMarks(): string[] {
  return $$('[aria-current]').map((el) => (el.matches('[data-role="answer"]') ? 'answer' : el.getAttribute('data-index') ?? '?'));
}
