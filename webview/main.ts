// The reasoning panel's webview entry: wires the host's messages to the panel, keeps enough state
// to rebuild the panel if VS Code re-creates the webview, and tells the host it is ready.
import { Panel } from './panel';
import { isSavedPanel, replayMessages, SessionRecorder } from './persistence';
import { hostChannel, isHostMessage, type VsCodeApi } from './vscodeApi';

const api: VsCodeApi = acquireVsCodeApi();
// The host page provides <div id="app">; a bare page (a test harness) gets the body.
const panel = new Panel(document.getElementById('app') ?? document.body, { host: hostChannel(api) });
const recorder = new SessionRecorder();

const saved = api.getState();
if (isSavedPanel(saved)) {
  const messages = replayMessages(saved);
  for (const m of messages) recorder.record(m, () => saved.session?.stats ?? panel.statsSnapshot());
  panel.restore(messages, saved.session?.stats ?? null);
}

window.addEventListener('message', (event: MessageEvent) => {
  if (!isHostMessage(event.data)) return;
  panel.handle(event.data);
  if (recorder.record(event.data, () => panel.statsSnapshot())) api.setState(recorder.state());
});

api.postMessage({ type: 'ready' });
