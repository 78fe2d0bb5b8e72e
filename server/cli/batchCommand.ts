import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { readCaCertificates } from '../backend/caCertificates';
import { displayUrl } from '../backend/backendErrors';
import { backendsFor, checkBackends, splitBackendUrls } from '../eval/backendChoice';
import { BatchInputError, readBatchItems } from '../eval/batchInput';
import { shouldRedo, type BatchResult } from '../eval/batchResult';
import { runBatch } from '../eval/batchRun';
import { prepareForResume, ResultsWriter } from '../eval/resultsFile';
import { BatchProgress, formatDuration } from './batchProgress';
import { checkBackendUrl, DEFAULT_BACKEND_URL, defaultBackendUrl, EXIT, intOption, parseCommandLine, SESSION_OPTIONS, sessionOptions, UsageError } from './cliArgs';

const DEFAULT_CONCURRENCY = 4;
/** Backend failures in a row that stop a batch: enough that one bad moment of a replica does not. */
const failuresToStop = (concurrency: number) => Math.max(5, 2 * concurrency);

const USAGE = `Usage: virgo batch DATA.jsonl --out RESULTS.jsonl [options]

Runs every item of DATA.jsonl (one {"id", "image", "question", "answer"?} a line; "answer" is the
gold answer) through a Virgo backend and appends one result line per item to RESULTS.jsonl, with
each session's recording in RESULTS.jsonl.recordings/. Run the same command again to resume:
ids already in RESULTS.jsonl are skipped, items the backend failed are redone.
  --out FILE             the results, JSON lines (appended; created when missing)
  --images DIR           folder the images are relative to (default: the folder of DATA.jsonl)
  --concurrency N        items in flight at once, over all backends (default ${DEFAULT_CONCURRENCY})
  --backend URL          base URL (default $VIRGO_BACKEND_URL, else ${DEFAULT_BACKEND_URL});
                         repeat it or comma-separate URLs to spread items over replicas
  --model ID             model id (default: the first one each backend lists at /models)
  --max-tokens N         generation budget (default 8192, Virgo's evaluation setting)
  --temperature T        sampling temperature (default 0, Virgo's evaluation setting)
  --max-pixels N         image pixel budget (default 12845056)
  --idle-timeout MS      abort an item when no byte arrives for MS milliseconds (default 120000)
  --ca-file PEM          trust this CA for an https backend (self-signed or private CA)
  --redo-failed          also redo items that failed for their own reasons (a bad image, a
                         request the backend refused)
The API key, if the backend needs one, is read from $VIRGO_API_KEY. Summarize with \`virgo report\`.
Exit codes: 0 done (an item's failure is in its line), 2 bad input (nothing sent), 3 the backend
failed (every item, or many in a row), 130 cancelled (finished items are kept).`;

export async function run(argv: string[]): Promise<number> {
  let args: NonNullable<ReturnType<typeof parse>>;
  let items: Awaited<ReturnType<typeof readBatchItems>>;
  let caCertificates: string | undefined;
  let resume: Awaited<ReturnType<typeof prepareForResume>>;
  try {
    const parsed = parse(argv);
    if (!parsed) { process.stdout.write(USAGE + '\n'); return EXIT.ok; }
    args = parsed;
    items = await readBatchItems(args.data);
    await expectDirectory(args.images, '--images');
    await expectDirectory(dirname(args.out), 'The folder of --out');
    if (args.caFile) caCertificates = await readCaCertificates(args.caFile, '--ca-file').catch((e: Error) => { throw new UsageError(e.message); });
    const redo = args.redoFailed ? (r: BatchResult) => r.error !== undefined : shouldRedo;
    resume = await prepareForResume(args.out, redo).catch((e: Error) => { throw new UsageError(e.message); });
  } catch (e) {
    if (e instanceof UsageError || e instanceof BatchInputError) {
      process.stderr.write(`virgo: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }

  const todo = items.filter((i) => !resume.done.has(i.key));
  const keys = new Set(items.map((i) => i.key));
  const previous = resume.kept.map((l) => l.result).filter((r) => keys.has(String(r.id)));
  const notes = [
    resume.kept.length > 0 ? `${items.length - todo.length} already in ${args.out}` : '',
    resume.redo > 0 ? `${resume.redo} failed on the backend before, redone` : '',
    resume.droppedPartial ? 'a half-written last line dropped' : '',
  ].filter(Boolean);
  process.stderr.write(`virgo batch: ${items.length} items${notes.length ? ` (${notes.join(', ')})` : ''}, ${todo.length} to do.\n`);
  if (todo.length === 0) return EXIT.ok;

  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(EXIT.cancelled);
    process.stderr.write('\nvirgo: stopping; finished items are kept (Ctrl-C again to quit at once).\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const backend = {
    apiKey: process.env.VIRGO_API_KEY || undefined,
    idleTimeoutMs: args.idleTimeout,
    caCertificates,
  };
  const started = Date.now();
  let writer: ResultsWriter | undefined;
  try {
    const checks = await checkBackends(args.backends, {
      ...backend,
      signal: controller.signal,
      onRetry: (attempt, delayMs, reason) => process.stderr.write(`virgo: ${reason}; retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s\n`),
    }, args.model);
    if (controller.signal.aborted) return EXIT.cancelled;
    const alive = checks.filter((c) => !c.error).map((c) => c.url);
    if (alive.length === 0) {
      for (const c of checks) process.stderr.write(`virgo: ${c.error!.message}\n`);
      process.stderr.write('Nothing was run; start the backend and run the same command again.\n');
      return EXIT.backend;
    }
    for (const c of checks) {
      if (c.error) process.stderr.write(`virgo: leaving out ${displayUrl(c.url)}: ${c.error.message}\n`);
      else if (c.warning) process.stderr.write(`virgo: ${c.warning}\n`);
    }

    const recordingsDir = `${args.out}.recordings`;
    await mkdir(recordingsDir, { recursive: true });
    writer = await ResultsWriter.open(args.out);
    const progress = new BatchProgress(process.stderr, {
      total: items.length,
      done: items.length - todo.length,
      correct: previous.filter((r) => r.correct === true).length,
      scored: previous.filter((r) => r.correct !== null && r.correct !== undefined).length,
      failed: previous.filter((r) => r.error !== undefined).length,
    });
    const w = writer;
    const summary = await runBatch({
      items: todo,
      concurrency: args.concurrency,
      maxConsecutiveFailures: failuresToStop(args.concurrency),
      append: (r) => w.append(r),
      onResult: (r) => {
        if (r.error !== undefined) progress.log(`virgo: ${r.id}: ${r.error}`);
        progress.record(r);
      },
      context: {
        imagesDir: args.images,
        maxPixels: args.maxPixels,
        sampling: { max_tokens: args.maxTokens, temperature: args.temperature },
        model: args.model,
        backendFor: backendsFor(alive, backend),
        signal: controller.signal,
        recordingsDir,
        resultsDir: dirname(args.out),
      },
    });
    progress.finish();
    const failed = summary.imageErrors + summary.requestErrors + summary.backendErrors;
    process.stderr.write(
      `virgo batch: ${summary.written} written in ${formatDuration((Date.now() - started) / 1000)}` +
        ` (${summary.answered} answered${failed ? `, ${failed} failed` : ''}) to ${args.out}.` +
        (summary.notDone > 0 ? ` ${summary.notDone} not done: run the same command again to continue.` : '') +
        ` Summary: virgo report ${args.out}\n`,
    );
    if (controller.signal.aborted) return EXIT.cancelled;
    if (summary.stoppedBy !== undefined) {
      process.stderr.write(`virgo: stopped: the backend failed ${failuresToStop(args.concurrency)} items in a row (last: ${summary.stoppedBy}).\n`);
      return EXIT.backend;
    }
    const allBackend = summary.backendErrors > 0 && summary.answered === 0 && summary.requestErrors === 0;
    return allBackend ? EXIT.backend : EXIT.ok;
  } finally {
    await writer?.close();
    process.off('SIGINT', onSigint);
  }
}

async function expectDirectory(dir: string, what: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory()) throw new UsageError(`${what} (${dir}) is not a folder.`);
}

function parse(argv: string[]) {
  const { values, positionals } = parseCommandLine(argv, {
    out: { type: 'string', short: 'o' },
    images: { type: 'string' },
    concurrency: { type: 'string' },
    backend: { type: 'string', multiple: true },
    ...SESSION_OPTIONS,
    'redo-failed': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, USAGE);
  if (values.help) return undefined;
  if (positionals.length !== 1) throw new UsageError(`virgo batch takes one DATA.jsonl file.\n\n${USAGE}`);
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError(`virgo batch needs --out RESULTS.jsonl.\n\n${USAGE}`);
  const backends = splitBackendUrls(values.backend ?? [defaultBackendUrl()]);
  if (backends.length === 0) throw new UsageError(`--backend needs a URL such as ${DEFAULT_BACKEND_URL}.`);
  backends.forEach(checkBackendUrl);
  const data = positionals[0];
  return {
    data,
    out: values.out,
    images: resolve(values.images ?? dirname(data)),
    concurrency: intOption(values.concurrency, 'concurrency') ?? DEFAULT_CONCURRENCY,
    backends,
    ...sessionOptions(values),
    redoFailed: values['redo-failed'] === true,
  };
}
