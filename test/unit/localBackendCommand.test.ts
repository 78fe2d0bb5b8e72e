// "Virgo: Start Local Backend"'s command line: templates, placeholders, and finding the program.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCommand, ENGINE_TEMPLATES, findProgram, localBaseUrl, programOf, type LocalBackendOptions } from '../../extension/localBackendCommand';

const options: LocalBackendOptions = {
  engine: 'vllm', command: '', model: 'RUC-AIBOX/Virgo-72B', port: 8000, tensorParallelSize: 8,
  maxModelLen: 32768, imageLimit: 4, servedModelName: 'virgo-72b',
};

describe('local backend command', () => {
  test("vLLM's template is Virgo's published serving recipe", () => {
    assert.equal(buildCommand(options),
      'vllm serve RUC-AIBOX/Virgo-72B --host 127.0.0.1 --port 8000 --tensor-parallel-size 8 --max-model-len 32768'
      + ' --limit-mm-per-prompt \'{"image":4}\' --served-model-name virgo-72b');
    assert.match(buildCommand({ ...options, engine: 'sglang', tensorParallelSize: 4 }), /^python3 -m sglang\.launch_server --model-path RUC-AIBOX\/Virgo-72B .*--tp 4 /);
    assert.equal(buildCommand({ ...options, engine: 'ollama', port: 11434 }), 'OLLAMA_HOST=127.0.0.1:11434 ollama serve');
    for (const t of Object.values(ENGINE_TEMPLATES)) assert.match(t, /\$\{port\}/, 'every template listens on the configured port');
  });

  test("a user's template gets the same placeholders; an unknown one or a shell-active value is refused", () => {
    assert.equal(buildCommand({ ...options, command: 'my-serve --port ${port} --tp ${tensorParallelSize}', port: 9001 }), 'my-serve --port 9001 --tp 8');
    assert.throws(() => buildCommand({ ...options, command: 'x ${gpu}' }), /\$\{gpu\}, which is not one of: \$\{model\}/);
    assert.throws(() => buildCommand({ ...options, model: 'a; rm -rf ~' }), /virgo\.localBackend\.model .* characters a shell would interpret/);
    assert.throws(() => buildCommand({ ...options, servedModelName: '$(id)' }), /servedModelName/);
  });

  test('the program is the first word after VAR=value assignments, quotes removed', () => {
    assert.equal(programOf('vllm serve x'), 'vllm');
    assert.equal(programOf('OLLAMA_HOST=127.0.0.1:1 ollama serve'), 'ollama');
    assert.equal(programOf('"/opt/my env/bin/vllm" serve x'), '/opt/my env/bin/vllm');
    assert.equal(programOf('   '), undefined);
  });

  test('finding the program: on PATH, by path, executable only; missing is undefined', () => {
    const dir = mkdtempSync(join(tmpdir(), 'virgo-path-'));
    const exe = join(dir, 'vllm');
    writeFileSync(exe, '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    writeFileSync(join(dir, 'sglang'), 'not executable');
    chmodSync(join(dir, 'sglang'), 0o644);
    const env = { PATH: ['/nonexistent', dir].join(':') };
    assert.equal(findProgram('vllm', env, 'linux'), exe);
    assert.equal(findProgram(exe, {}, 'linux'), exe);
    assert.equal(findProgram('sglang', env, 'linux'), undefined, 'a file that cannot be run does not count');
    assert.equal(findProgram('vllm', { PATH: '/nonexistent' }, 'linux'), undefined);
    assert.equal(findProgram(join(dir, 'nope'), env, 'linux'), undefined);
    assert.equal(localBaseUrl({ port: 8123 }), 'http://127.0.0.1:8123/v1');
  });
});
