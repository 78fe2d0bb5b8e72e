// Feeding a page (our panel or the baseline) a token stream and measuring its main thread:
// the message batches both receive, the two pacings, the Chrome DevTools Protocol readings.
//
// Main-thread time is Chrome's own `TaskDuration` (Performance.getMetrics): the sum of all tasks
// the page's renderer main thread ran, script + style + layout + paint + GC + message handling,
// idle excluded. Long tasks come from a trace of the renderer main thread's top-level tasks
// (`ThreadControllerImpl::RunTask`, category `toplevel`), so tasks under 50 ms are measured too.

/** Tokens per message: the same batches go to our panel and to the baseline. */
export const BATCH_TOKENS = 16;
/** The "first/last 1k tokens" windows, in tokens (a whole number of batches). */
export const WINDOW_TOKENS = 1024;

/**
 * What the extension host posts to our panel for `tokens` (token-sized strings), batched:
 * per batch the segments the real ThoughtParser closed and one progress message with the open
 * segment. (The real host sends progress at most every 32 ms; one per 16 tokens is more.)
 */
export function panelBatches(tokens, ThoughtParser, batch = BATCH_TOKENS) {
  const parser = new ThoughtParser();
  const batches = [];
  for (let i = 0; i < tokens.length; i += batch) {
    const closed = [];
    for (let j = i; j < Math.min(tokens.length, i + batch); j++) closed.push(...parser.push({ content: tokens[j] }, j));
    const msgs = [];
    if (closed.length) msgs.push({ type: 'segments', segments: closed });
    msgs.push({ type: 'progress', open: parser.openSegment(), chunks: parser.chunks });
    batches.push({ tokens: Math.min(tokens.length, i + batch), msgs });
  }
  const end = parser.finish(tokens.length);
  const finish = [];
  if (end.segments.length) finish.push({ type: 'segments', segments: end.segments });
  finish.push({ type: 'progress', open: null, chunks: parser.chunks });
  finish.push({ type: 'answer', answer: end.answer });
  finish.push({ type: 'end', reason: 'stop', usage: { prompt_tokens: 430, completion_tokens: parser.chunks, total_tokens: 430 + parser.chunks } });
  return { batches, finish, segments: parser.segments.length };
}

/** The same stream for the baseline: the batch's text, appended to the message and re-rendered. */
export function baselineBatches(tokens, batch = BATCH_TOKENS) {
  const batches = [];
  for (let i = 0; i < tokens.length; i += batch) {
    batches.push({ tokens: Math.min(tokens.length, i + batch), msgs: [{ type: 'chunk', text: tokens.slice(i, i + batch).join('') }] });
  }
  return { batches, finish: [], segments: 0 };
}

/** The session messages our panel gets before the first token (not measured). */
export const panelPrelude = [
  { type: 'sessionStarted', question: 'What is the length of AB?', startedAt: 0 },
  { type: 'start', event: { type: 'start', model: 'virgo-72b', file: '/work/samples/right-triangle.png', width: 640, height: 480,
    sentWidth: 644, sentHeight: 476, imageTokens: 391, mime: 'image/png', bytes: 12595 } },
];

/** CDP session on the harness page with the Performance domain on. */
export async function openCdp(h) {
  const cdp = await h.page.context().newCDPSession(h.page);
  await cdp.send('Performance.enable', { timeDomain: process.env.TD ?? 'threadTicks' });
  return cdp;
}

/** Cumulative main-thread durations of the page so far, in ms. */
export async function mainThread(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const m = Object.fromEntries(metrics.map((x) => [x.name, x.value]));
  return { task: m.TaskDuration * 1000, script: m.ScriptDuration * 1000, layout: m.LayoutDuration * 1000, style: m.RecalcStyleDuration * 1000 };
}

export function diff(a, b) {
  return { task: b.task - a.task, script: b.script - a.script, layout: b.layout - a.layout, style: b.style - a.style };
}

/**
 * Lets deferred work finish (our panel renders in animation frames, at most every 32 ms and no
 * sooner than 4× its last render cost): a pause, then two frames. Idle time is not task time.
 */
export function quiet(h, ms = 150) {
  return h.page.evaluate((wait) => new Promise((ok) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => ok())), wait)), ms);
}

/**
 * Puts the batches into the page, with a driver that delivers them as real `message` events
 * (window.postMessage: structured clone and a task per message, like the webview's host frame
 * posting into it), so no DevTools round trip sits between two batches. Not measured: call it
 * before starting a trace (feedFast / feedPaced load it themselves if it is not loaded yet).
 */
export async function loadFeed(h, { batches, finish }) {
  await h.page.evaluate(([bs, fin]) => {
    const ACK = '__benchAck';
    let acks = 0;
    const waiters = [];
    window.addEventListener('message', (e) => {
      if (e.data?.type !== ACK) return;
      acks++;
      while (waiters.length && waiters[0].n <= acks) waiters.shift().ok();
    });
    let sent = 0;
    /** Resolves once every message posted so far has been handled (the ack is queued behind them). */
    const taken = () => new Promise((ok) => { waiters.push({ n: ++sent, ok }); window.postMessage({ type: ACK }, '*'); });
    const post = (msgs) => { for (const m of msgs) window.postMessage(m, '*'); };
    window.__feed = {
      async fast(from, to) {
        for (let i = from; i < to; i++) { post(bs[i].msgs); await taken(); }
      },
      /** Batch i is due at t0 + tokens(i)/rate; returns the worst lateness seen, in ms. */
      async paced(from, to, t0, rate) {
        let lag = 0;
        for (let i = from; i < to; i++) {
          const due = t0 + (bs[i].tokens / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await new Promise((ok) => setTimeout(ok, wait));
          lag = Math.max(lag, performance.now() - due);
          post(bs[i].msgs);
          await taken();
        }
        return lag;
      },
      async finish() { post(fin); await taken(); },
    };
  }, [batches, finish]);
  h.feedLoaded = true;
}

/** Splits [0, n) at the marks: the ranges the driver runs between two readings. */
function ranges(n, marks) {
  const cuts = [...new Set([0, n, ...marks.filter((m) => m > 0 && m < n)])].sort((a, b) => a - b);
  return cuts.slice(0, -1).map((from, i) => [from, cuts[i + 1]]);
}

/**
 * "As fast as it can take it": each batch is posted as soon as the page has handled the previous
 * one (its message handlers ran; frames run in between whenever the page schedules them). At each
 * of `marks` (batch counts, e.g. [64, n - 64] for the first/last windows) the page is let settle
 * and the main-thread time read. Past `deadlineMs` no more ranges start (`delivered` says how far
 * it got; ranges are cut every 32 batches so the overshoot is small).
 */
export async function feedFast(h, cdp, feed, { marks = [], sendFinish = true, deadlineMs = Infinity } = {}) {
  const n = feed.batches.length;
  if (!h.feedLoaded) await loadFeed(h, feed);
  const readings = new Map();
  await quiet(h);
  const t0 = performance.now();
  const start = await mainThread(cdp);
  readings.set(0, start);
  let delivered = 0;
  const cuts = Number.isFinite(deadlineMs) ? [...marks, ...Array.from({ length: Math.ceil(n / 32) }, (_, i) => i * 32)] : marks;
  for (const [from, to] of ranges(n, cuts)) {
    if (performance.now() - t0 > deadlineMs) break;
    await h.page.evaluate(([a, b]) => window.__feed.fast(a, b), [from, to]);
    delivered = to;
    if (marks.includes(to) || to === n) {
      await quiet(h);
      readings.set(to, await mainThread(cdp));
    }
  }
  if (sendFinish && delivered === n) await h.page.evaluate(() => window.__feed.finish());
  await quiet(h);
  const end = await mainThread(cdp);
  return { wallMs: performance.now() - t0, total: diff(start, end), readings, delivered };
}

/**
 * Paced: a batch is due when its last token would have been written at `tokensPerSecond`; a
 * batch that is late (the page was busy) goes out at once, so a page that cannot keep up shows as
 * lag. Main-thread time is read at the marks without pausing the stream.
 */
export async function feedPaced(h, cdp, feed, { tokensPerSecond, marks = [] }) {
  const n = feed.batches.length;
  if (!h.feedLoaded) await loadFeed(h, feed);
  const readings = new Map();
  await quiet(h);
  const start = await mainThread(cdp);
  readings.set(0, start);
  const t0 = performance.now();
  const pageT0 = await h.page.evaluate(() => performance.now());
  let maxLagMs = 0;
  for (const [from, to] of ranges(n, marks)) {
    const lag = await h.page.evaluate(([a, b, t, r]) => window.__feed.paced(a, b, t, r), [from, to, pageT0, tokensPerSecond]);
    maxLagMs = Math.max(maxLagMs, lag);
    readings.set(to, await mainThread(cdp));
  }
  const streamMs = performance.now() - t0;
  await h.page.evaluate(() => window.__feed.finish());
  await quiet(h);
  const end = await mainThread(cdp);
  return { streamMs, maxLagMs, total: diff(start, end), readings };
}

/** Starts a trace of top-level tasks (and a long-task observer in the page as a cross-check). */
export async function startTaskTrace(browser, h) {
  await h.page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__longTasks.push(e.duration); })
      .observe({ type: 'longtask' });
  });
  await browser.startTracing(h.page, { categories: ['toplevel', '__metadata'] });
}

/**
 * Stops the trace; returns the renderer main thread's top-level tasks and the page's own
 * long-task entries. The page's renderer is the CrRendererMain
 * thread that ran the most task time (other renderers are idle).
 */
export async function stopTaskTrace(browser, h) {
  const { traceEvents } = JSON.parse((await browser.stopTracing()).toString('utf8'));
  const mains = new Set(traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const byThread = new Map();
  const devtools = [];
  for (const e of traceEvents) {
    const key = `${e.pid}/${e.tid}`;
    if (e.ph !== 'X' || !mains.has(key)) continue;
    if (e.name === 'Receive mojo message' && e.args?.chrome_mojo_event_info?.mojo_interface_tag === 'blink.mojom.DevToolsSession') devtools.push(e);
    if (e.name !== 'ThreadControllerImpl::RunTask') continue;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  let tasks = [];
  let most = -1;
  for (const events of byThread.values()) {
    events.sort((a, b) => a.ts - b.ts);
    const top = [];
    let until = -Infinity;
    for (const e of events) {
      if (e.ts < until) continue; // nested in the previous task
      top.push(e);
      until = e.ts + e.dur;
    }
    const sum = top.reduce((s, e) => s + e.dur, 0);
    if (sum > most) { most = sum; tasks = top; }
  }
  // No task at all means the trace missed the page: never report that as "no long task".
  if (tasks.length === 0) throw new Error('the trace holds no renderer main-thread task');
  // Tasks that handle a DevTools message are the benchmark reading the page, not the page's work.
  const harness = (t) => devtools.some((d) => d.pid === t.pid && d.tid === t.tid && d.ts >= t.ts && d.ts < t.ts + t.dur);
  const longTasks = await h.page.evaluate(() => window.__longTasks ?? []);
  // Where in the stream a task ran: between the first and the last message the driver posted.
  const messages = tasks.filter((e) => e.args?.src_func === 'SchedulePostMessage');
  const from = messages[0]?.ts ?? 0;
  const span = Math.max(1, (messages.at(-1)?.ts ?? 1) - from);
  const all = tasks.map((e) => ({
    wall: e.dur / 1000, cpu: (e.tdur ?? e.dur) / 1000, ts: e.ts, harness: harness(e),
    /** What posted the task: ScheduledActionSendBeginMainFrame is a rendering frame, SchedulePostMessage a message. */
    source: e.args?.src_func ?? '?', at: (e.ts - from) / span,
  })).sort((a, b) => b.wall - a.wall);
  return {
    /** Wall and thread (CPU) time per task of the page's own, longest wall first. */
    durations: all.filter((t) => !t.harness),
    /** The longest task that served DevTools (the harness), for the record. */
    longestHarnessMs: all.find((t) => t.harness)?.wall ?? 0,
    observedLongTasks: longTasks.sort((a, b) => b - a),
  };
}
