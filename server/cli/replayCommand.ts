import { basename } from 'node:path';
import { startScriptedBackend } from '../replay/scriptedBackend';
import { readRecording } from '../replay/recordingFile';
import { EXIT, floatOption, intOption, parseCommandLine, UsageError } from './cliArgs';

const USAGE = `Usage: virgo replay FILE [--port N] [--speed X]

Serves a recorded session as an OpenAI-compatible streaming backend on 127.0.0.1, with the
original pacing, so the extension and the CLI can be tried without a GPU. Every chat request
gets the recorded answer, whatever its image and question.
  --port N    port to listen on (default 8000, vLLM's; 0 picks a free one)
  --speed X   2 plays twice as fast, 0 sends everything at once (default 1)`;

export async function run(argv: string[]): Promise<number> {
  let args;
  try {
    const { values, positionals } = parseCommandLine(argv, {
      port: { type: 'string' },
      speed: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }, USAGE);
    if (values.help) { process.stdout.write(USAGE + '\n'); return EXIT.ok; }
    if (positionals.length !== 1) throw new UsageError(`virgo replay takes one recording FILE.\n\n${USAGE}`);
    args = {
      file: positionals[0],
      port: intOption(values.port, 'port', 0) ?? 8000,
      speed: floatOption(values.speed, 'speed') ?? 1,
    };
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`virgo: ${e.message}\n`);
    return EXIT.badInput;
  }
  let recording;
  try {
    recording = await readRecording(args.file);
  } catch (e) {
    process.stderr.write(`virgo: ${(e as Error).message}\n`);
    return EXIT.badInput;
  }
  let backend;
  try {
    backend = await startScriptedBackend(
      { kind: 'replay', events: recording.events, speed: args.speed },
      { models: [recording.model], port: args.port },
    );
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const hint = code === 'EADDRINUSE' ? ' Another server uses that port: pick one with --port.' : '';
    process.stderr.write(`virgo: cannot listen on 127.0.0.1:${args.port} (${code ?? (e as Error).message}).${hint}\n`);
    return EXIT.badInput;
  }
  const last = recording.events.at(-1)?.t ?? 0;
  process.stdout.write(
    `Replaying ${basename(args.file)} (model ${recording.model}, ${recording.events.length} events, ` +
    `${(last / 1000 / (args.speed || Infinity)).toFixed(1)} s) at ${backend.url}\n` +
    `Point the extension's virgo.backendUrl or \`virgo reason --backend\` at it. Ctrl-C stops.\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await backend.close();
  return EXIT.ok;
}
