/**
 * A tiny element builder. Deliberately no way to set `style` or inline HTML: the panel's CSP
 * forbids inline styles, and every HTML string must go through render/modelContent.
 */
export interface ElementSpec {
  class?: string;
  text?: string;
  attrs?: Record<string, string | number | boolean | null | undefined>;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  spec: ElementSpec = {},
  children: ReadonlyArray<Node | string> = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (spec.class) el.className = spec.class;
  if (spec.text !== undefined) el.textContent = spec.text;
  if (spec.attrs) {
    for (const [name, value] of Object.entries(spec.attrs)) {
      if (value === null || value === undefined || value === false) continue;
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  if (children.length > 0) el.append(...children);
  return el;
}

/** A button that never submits anything; `label` is its accessible name when it shows an icon. */
export function button(text: string, opts: { class?: string; label?: string; title?: string; keys?: string } = {}): HTMLButtonElement {
  return h('button', {
    class: opts.class ?? 'button',
    text,
    attrs: { type: 'button', 'aria-label': opts.label, title: opts.title, 'aria-keyshortcuts': opts.keys },
  });
}

/** Sets text only when it changed: avoids needless mutations (and screen-reader chatter in live regions). */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

export function setHidden(el: HTMLElement, hidden: boolean): void {
  if (el.hidden !== hidden) el.hidden = hidden;
}
