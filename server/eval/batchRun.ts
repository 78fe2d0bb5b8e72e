/**
 * Runs the items of a batch, `concurrency` at a time, appending each result line as it finishes
 * (finished items survive a kill). Stops starting items on cancel, or when the backend has failed
 * so many items in a row that going on would only write failures.
 */
import type { BatchItem } from './batchInput';
import { runBatchItem, type ItemContext } from './batchItem';
import type { BatchResult } from './batchResult';

export interface BatchRunOptions {
  items: readonly BatchItem[];
  concurrency: number;
  context: ItemContext;
  append(result: BatchResult): Promise<void>;
  /** After each line is written (progress, messages). */
  onResult?(result: BatchResult): void;
  /** Backend failures in a row (no answer nor refusal in between) after which no item is started. */
  maxConsecutiveFailures: number;
}

export interface BatchRunSummary {
  /** Lines written this run. */
  written: number;
  answered: number;
  /** Lines with an error, by kind. */
  imageErrors: number;
  requestErrors: number;
  backendErrors: number;
  /** Stopped early because the backend kept failing: its last error. */
  stoppedBy?: string;
  /** Items never started or cancelled in flight (redone on the next run). */
  notDone: number;
}

export async function runBatch(o: BatchRunOptions): Promise<BatchRunSummary> {
  const summary: BatchRunSummary = { written: 0, answered: 0, imageErrors: 0, requestErrors: 0, backendErrors: 0, notDone: 0 };
  const { signal } = o.context;
  let next = 0;
  let failuresInARow = 0;
  let stopped = false;
  const worker = async () => {
    while (!stopped && !signal.aborted && next < o.items.length) {
      const item = o.items[next++];
      const result = await runBatchItem(item, o.context);
      if (result === null) { summary.notDone++; continue; }
      await o.append(result);
      summary.written++;
      if (result.errorKind === 'backend') {
        summary.backendErrors++;
        if (++failuresInARow >= o.maxConsecutiveFailures && !stopped) {
          stopped = true;
          summary.stoppedBy = result.error;
        }
      } else if (result.errorKind === 'image') {
        summary.imageErrors++;
      } else {
        if (result.errorKind === 'request') summary.requestErrors++;
        else summary.answered++;
        failuresInARow = 0;
      }
      o.onResult?.(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, o.items.length)) }, worker));
  summary.notDone += o.items.length - next;
  return summary;
}
