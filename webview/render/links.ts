/** The only link targets kept from model output; the host asks the user before opening them. */
export function safeHref(href: string): string | null {
  try {
    const url = new URL(href.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/**
 * Links in model output never navigate the webview: every click or middle-click on one inside
 * `root` is stopped, and a safe (http/https) target goes to `open`, which asks the host (the host
 * asks the user before opening anything).
 */
export function interceptLinks(root: HTMLElement, open: (href: string) => void): void {
  const onLink = (e: MouseEvent): void => {
    const a = (e.target as Element | null)?.closest?.('a[href]');
    if (!a || !root.contains(a)) return;
    e.preventDefault();
    const href = safeHref(a.getAttribute('href') ?? '');
    if (href && (e.type === 'click' || e.button === 1)) open(href);
  };
  root.addEventListener('click', onLink);
  root.addEventListener('auxclick', onLink);
}
