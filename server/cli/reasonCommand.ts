import type { ReasonEvent } from '../../protocol/thought';
import { readCaCertificates } from '../backend/caCertificates';
import { ImageError, prepareImage, type PreparedImage } from '../image/imagePrep';
import { runReasoning } from '../reasoning/reasonSession';
import { SessionRecorder } from '../replay/sessionRecorder';
import { writeFileAtomic } from '../util/atomicWrite';
import { checkBackendUrl, DEFAULT_BACKEND_URL, defaultBackendUrl, EXIT, parseCommandLine, printJson, SESSION_OPTIONS, sessionOptions, UsageError } from './cliArgs';
import { ThoughtPrinter } from './thoughtPrinter';

const USAGE = `Usage: virgo reason IMAGE [options]

Sends IMAGE and a question to a Virgo backend (OpenAI-compatible: vLLM, SGLang, Ollama) and
prints the long thought as it streams: numbered steps, reflections marked, the answer last.
  -q, --question TEXT    the question (default: solve / describe what the figure asks)
  --backend URL          base URL (default $VIRGO_BACKEND_URL, else ${DEFAULT_BACKEND_URL})
  --model ID             model id (default: the first one the backend lists at /models)
  --max-tokens N         generation budget (default 8192, Virgo's evaluation setting)
  --temperature T        sampling temperature (default 0, Virgo's evaluation setting)
  --max-pixels N         image pixel budget (default 12845056)
  --idle-timeout MS      abort when no byte arrives for MS milliseconds (default 120000)
  --json                 one JSON event a line: start, segment…, answer, end
  --ca-file PEM          trust this CA for an https backend (self-signed or private CA)
  --record FILE          also save the session as a recording that \`virgo replay\` serves
The API key, if the backend needs one, is read from $VIRGO_API_KEY.
Exit codes: 0 done, 2 bad input (nothing sent), 3 backend failure, 130 cancelled (Ctrl-C).`;

export async function run(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  const fail = (message: string) => {
    process.stderr.write(`virgo: ${message}\n`);
    if (json) printJson({ type: 'end', reason: 'error', usage: null, error: message } satisfies ReasonEvent);
    return EXIT.badInput;
  };
  let image: PreparedImage;
  let caCertificates: string | undefined;
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
    if (args.help) { process.stdout.write(USAGE + '\n'); return EXIT.ok; }
    // The image is checked completely before any byte goes to the network.
    image = await prepareImage(args.file, { maxPixels: args.maxPixels });
    if (args.caFile) caCertificates = await readCaCertificates(args.caFile, '--ca-file').catch((e: Error) => { throw new UsageError(e.message); });
  } catch (e) {
    if (e instanceof ImageError || e instanceof UsageError) return fail(e.message);
    throw e;
  }

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.cancelled);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const printer = json ? undefined : new ThoughtPrinter(process.stdout, process.stderr);
  const recorder = args.record ? new SessionRecorder(image, args.question ?? '') : undefined;
  try {
    const outcome = await runReasoning(
      {
        image, question: args.question, model: args.model,
        max_tokens: args.maxTokens, temperature: args.temperature,
      },
      {
        baseUrl: args.backend,
        apiKey: process.env.VIRGO_API_KEY || undefined,
        idleTimeoutMs: args.idleTimeout,
        signal: controller.signal,
        caCertificates,
      },
      {
        onEvent: (e) => (json ? printJson(e) : printer!.event(e)),
        onProgress: (_open, chunks) => printer?.progress(chunks),
        onRetry: (attempt, delayMs, reason) =>
          process.stderr.write(`virgo: ${reason}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s\n`),
        onRequest: (body, model) => recorder?.requestSent(body, model),
        onChunk: (chunk) => recorder?.chunk(chunk),
      },
    );
    if (recorder && args.record) await writeFileAtomic(args.record, JSON.stringify(recorder.toRecording(), null, 1) + '\n');
    if (outcome.reason === 'error') return EXIT.backend;
    if (outcome.reason === 'cancelled') return EXIT.cancelled;
    return EXIT.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine(argv, {
    question: { type: 'string', short: 'q' },
    backend: { type: 'string' },
    ...SESSION_OPTIONS,
    json: { type: 'boolean' },
    record: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (!values.help && positionals.length !== 1) throw new UsageError(`virgo reason takes one IMAGE.\n\n${USAGE}`);
  return {
    help: values.help ?? false,
    file: positionals[0],
    question: values.question,
    backend: checkBackendUrl(values.backend ?? defaultBackendUrl()),
    ...sessionOptions(values),
    record: values.record,
  };
}
