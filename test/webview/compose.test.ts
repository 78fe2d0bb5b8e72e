// Before sending: the image card, the question box, recent questions, paste and drop of images.
import './setup';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { composeMessage } from './fixtures';
import { $, $$, makePanel, type TestPanel } from './panelHarness';
import { posted, press } from './setup';

let t: TestPanel;
afterEach(() => t?.dispose());

const tick = () => new Promise((ok) => setTimeout(ok, 20));
const askButton = () => $$<HTMLButtonElement>('button').find((b) => /^Ask/.test(b.textContent ?? ''))!;

function fileEvent(type: 'paste' | 'drop', file: File | null, extra: Record<string, unknown> = {}): Event {
  const e = new Event(type, { bubbles: true, cancelable: true });
  const list = file ? [file] : [];
  const data = { files: list, items: [], types: file ? ['Files'] : ['text/plain'], ...extra };
  Object.defineProperty(e, type === 'paste' ? 'clipboardData' : 'dataTransfer', { value: data });
  return e;
}

test('shows the image with its sent size and visual-token cost', () => {
  t = makePanel();
  assert.match($('.compose')!.textContent ?? '', /paste|drop/i, 'without an image it says how to get one in');
  t.feed([composeMessage(['What is the length of AB?', 'Which angle is right?'])]);
  const img = $<HTMLImageElement>('.image-card__thumb')!;
  assert.match(img.src, /^blob:/);
  assert.match(img.alt, /right-triangle\.png/);
  assert.equal($('.image-card__sent')!.textContent, '644×476 sent · 391 visual tokens · 12.3 KB');
  assert.match($('.image-card__original')!.textContent ?? '', /640×480/);
  assert.match($<HTMLTextAreaElement>('#virgo-question')!.placeholder, /empty/);
  assert.deepEqual($$('.recent__item').map((b) => b.textContent), ['What is the length of AB?', 'Which angle is right?']);
});

test('Enter asks, Shift+Enter does not; the question is posted as typed', () => {
  t = makePanel();
  t.feed([composeMessage()]);
  const box = $<HTMLTextAreaElement>('#virgo-question')!;
  box.value = 'What is the length of AB?';
  assert.equal(press('Enter', box, { shiftKey: true }).defaultPrevented, false);
  assert.equal(posted.filter((m) => m.type === 'ask').length, 0);
  assert.equal(press('Enter', box).defaultPrevented, true);
  assert.deepEqual(posted.filter((m) => m.type === 'ask'), [{ type: 'ask', question: 'What is the length of AB?' }]);
  assert.equal(askButton().disabled, true, 'busy until the session starts');
  t.feed([{ type: 'sessionStarted', question: 'What is the length of AB?', startedAt: 0 }]);
  assert.equal(askButton().disabled, false);
});

test('an empty question is allowed; a recent question fills the box', () => {
  t = makePanel();
  t.feed([composeMessage(['Which angle is right?'])]);
  askButton().click();
  assert.deepEqual(posted.at(-1), { type: 'ask', question: '' });
  t.feed([composeMessage(['Which angle is right?'])]);
  $<HTMLButtonElement>('.recent__item')!.click();
  assert.equal($<HTMLTextAreaElement>('#virgo-question')!.value, 'Which angle is right?');
  askButton().click();
  assert.deepEqual(posted.at(-1), { type: 'ask', question: 'Which angle is right?' });
});

test('pasting an image file posts pasteImage with its bytes as base64', async () => {
  t = makePanel();
  const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 1, 2]);
  const e = fileEvent('paste', new File([bytes], 'image.png', { type: 'image/png' }));
  document.body.dispatchEvent(e);
  await tick();
  assert.equal(e.defaultPrevented, true);
  assert.deepEqual(posted.at(-1), { type: 'pasteImage', name: 'image.png', dataBase64: Buffer.from(bytes).toString('base64') });
});

test('pasting text is left to the text box', async () => {
  t = makePanel();
  t.feed([composeMessage()]);
  const e = fileEvent('paste', null);
  $('#virgo-question')!.dispatchEvent(e);
  await tick();
  assert.equal(e.defaultPrevented, false);
  assert.equal(posted.filter((m) => m.type === 'pasteImage').length, 0);
});

test('dropping an image posts it; dropping something else explains', async () => {
  t = makePanel();
  const enter = fileEvent('drop', new File([new Uint8Array([1])], 'x.png', { type: 'image/png' }));
  Object.defineProperty(enter, 'type', { value: 'dragenter' });
  const over = new Event('dragenter', { bubbles: true, cancelable: true });
  Object.defineProperty(over, 'dataTransfer', { value: { types: ['Files'], files: [] } });
  document.body.dispatchEvent(over);
  assert.ok($('.app')!.classList.contains('is-dragging'), 'drop overlay shows');
  const drop = fileEvent('drop', new File([new Uint8Array([7, 8, 9])], 'figure.jpg', { type: 'image/jpeg' }));
  document.body.dispatchEvent(drop);
  await tick();
  assert.equal(drop.defaultPrevented, true);
  assert.ok(!$('.app')!.classList.contains('is-dragging'));
  assert.deepEqual(posted.at(-1), { type: 'pasteImage', name: 'figure.jpg', dataBase64: 'BwgJ' });
  document.body.dispatchEvent(fileEvent('drop', new File(['hello'], 'notes.txt', { type: 'text/plain' })));
  await tick();
  assert.match($('.compose__error')!.textContent ?? '', /notes\.txt.*not an image/);
});

test('imageError shows the message in an alert', () => {
  t = makePanel();
  t.feed([composeMessage(), { type: 'imageError', message: 'The image is 40000×20 pixels: an aspect ratio over 200 cannot be sent.' }]);
  const alert = $('.compose [role="alert"]')!;
  assert.match(alert.textContent ?? '', /aspect ratio over 200/);
});

test('New question goes back to compose; Escape returns to the thought', () => {
  t = makePanel();
  t.feed([composeMessage(), { type: 'sessionStarted', question: 'q', startedAt: 0 }, { type: 'end', reason: 'stop', usage: null }]);
  assert.equal($('.session')!.hidden, false);
  $$<HTMLButtonElement>('.session__actions button').find((b) => b.textContent === 'New question')!.click();
  assert.equal($('.session')!.hidden, true);
  assert.equal($('.compose-pane')!.hidden, false);
  press('Escape', document.body);
  assert.equal($('.session')!.hidden, false);
});
