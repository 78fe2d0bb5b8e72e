// The language server's own reading of the `virgo` settings (inline QA): named backends resolve as
// the extension resolves them, so inline answers go to the same backend and replicas as the panel.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { settingsFrom } from '../../server/inlineQa/serverSettings';

describe('server settings', () => {
  test('the active named backend wins over virgo.backendUrl, with its replicas and model', () => {
    const s = settingsFrom({
      backendUrl: 'http://default:8000/v1', model: 'fallback',
      backends: [{ name: 'ws', url: 'http://ws:8000/v1' }, { name: 'lab', urls: ['http://a:8000/v1', 'http://b:8000/v1'], url: 'http://a:8000/v1', model: 'virgo-72b' }],
      activeBackend: 'lab',
    }, {});
    assert.equal(s.backend.backendUrl, 'http://a:8000/v1');
    assert.deepEqual(s.backend.replicas, ['http://a:8000/v1', 'http://b:8000/v1']);
    assert.equal(s.backend.backendName, 'lab');
    assert.equal(s.backend.model, 'virgo-72b');
  });

  test('no active backend, an unknown name or an entry without URLs: virgo.backendUrl and virgo.model', () => {
    for (const raw of [
      { backendUrl: 'http://default:8000/v1', model: 'm' },
      { backendUrl: 'http://default:8000/v1', model: 'm', activeBackend: 'gone', backends: [{ name: 'lab', url: 'http://a/v1' }] },
      { backendUrl: 'http://default:8000/v1', model: 'm', activeBackend: 'empty', backends: [{ name: 'empty', urls: [] }] },
    ]) {
      const s = settingsFrom(raw, {});
      assert.equal(s.backend.backendUrl, 'http://default:8000/v1');
      assert.equal(s.backend.replicas, undefined);
      assert.equal(s.backend.model, 'm');
    }
  });

  test('names are matched trimmed, as the extension matches them (protocol/settings.ts is the one reading)', () => {
    const s = settingsFrom({
      backendUrl: 'http://default:8000/v1',
      backends: [{ name: ' lab ', url: ' http://a:8000/v1 ' }, { name: '', url: 'http://nameless/v1' }, null],
      activeBackend: 'lab ',
    }, {});
    assert.equal(s.backend.backendName, 'lab');
    assert.deepEqual(s.backend.replicas, ['http://a:8000/v1']);
  });
});
