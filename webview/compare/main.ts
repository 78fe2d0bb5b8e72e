// The compare webview's entry ("Virgo: Compare N samples"): wires the host's messages to the view
// and tells the host it is ready. The panel keeps its context when hidden, so no state is saved.
import type { CompareToHost } from '../../protocol/compare';
import { CompareView } from './compareView';
import { isHostToCompare } from './compareMessages';

declare function acquireVsCodeApi(): { postMessage(message: CompareToHost): void };

const api = acquireVsCodeApi();
const view = new CompareView(document.getElementById('app') ?? document.body, { post: (m) => api.postMessage(m) });

window.addEventListener('message', (event: MessageEvent) => {
  if (isHostToCompare(event.data)) view.handle(event.data);
});

api.postMessage({ type: 'ready' });
