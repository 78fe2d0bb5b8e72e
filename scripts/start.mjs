// `npm start`: the whole path on the built-in default. With no GPU backend configured
// ($VIRGO_BACKEND_URL unset) it replays the sample recording as an OpenAI-compatible backend on
// 127.0.0.1 and asks it about the sample diagram; with $VIRGO_BACKEND_URL set it asks that
// backend (vLLM, SGLang, Ollama) instead.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'virgo.js');
const image = process.env.VIRGO_SAMPLE_IMAGE ?? join(root, 'media', 'samples', 'right-triangle.png');
const question = process.env.VIRGO_SAMPLE_QUESTION ?? 'What is the length of AB?';

let replay;
let backend = process.env.VIRGO_BACKEND_URL;
if (!backend) {
  replay = spawn(process.execPath, [cli, 'replay', join(root, 'media', 'samples', 'right-triangle.recording.json'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  backend = await new Promise((resolve, reject) => {
    let out = '';
    replay.stdout.on('data', (b) => {
      out += b;
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
      if (m) resolve(m[1]);
    });
    replay.on('exit', (code) => reject(new Error(`the replay backend exited (${code})`)));
  });
  console.log(`No GPU backend configured ($VIRGO_BACKEND_URL): replaying the sample recording at ${backend}\n`);
}

const reason = spawn(process.execPath, [cli, 'reason', image, '--question', question, '--backend', backend], { stdio: 'inherit' });
process.on('SIGINT', () => {}); // Ctrl-C reaches the child, which cancels and prints the end
const code = await new Promise((resolve) => reason.on('exit', (c) => resolve(c ?? 1)));
replay?.kill('SIGTERM');
process.exit(code);
