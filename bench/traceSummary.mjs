// Where a page's main-thread time goes by kind of work (script, style, layout, paint, …), from a
// Chrome trace with the `devtools.timeline` category: what a JS CPU profile shows only as
// "(program)". Diagnostics for RESULTS.md, not goals.

export const TIMELINE_CATEGORIES = ['devtools.timeline', 'toplevel', '__metadata'];

/** Event name → kind of work (first match wins); anything else is "other". */
const KINDS = [
  ['script', /^(FunctionCall|EvaluateScript|v8\.|V8\.|TimerFire|EventDispatch|FireAnimationFrame|RunMicrotasks|MajorGC|MinorGC|BlinkGC|ThreadState::)/],
  ['style', /^(UpdateLayoutTree|RecalculateStyles|Document::recalcStyle|Document::rebuildLayoutTree|StyleEngine|ScheduleStyleRecalculation)/],
  ['layout', /^(Layout$|LocalFrameView::performLayout|InlineNode::|LayoutNG|Document::UpdateStyleAndLayout|LocalFrameView::UpdateStyleAndLayout|InvalidateLayout)/],
  ['intersection observers (content-visibility)', /IntersectionObserver/],
  ['paint + composite', /^(Paint|PrePaint|Blink\.(PrePaint|Paint|CompositingInputs|UpdateLayer)|PaintArtifactCompositor|Layerize|ProxyMain::BeginMainFrame|Commit|UpdateLayer|LocalFrameView::Run(Paint|CompositingInputs|PrePaint)|cc::|RasterTask|Decode)/],
  ['HTML parsing', /^ParseHTML/],
  ['postMessage delivery', /^(DOMWindow::DoPostMessage|LocalDOMWindow::DispatchMessageEvent|HandlePostMessage)/],
  // Mostly the DevTools protocol, i.e. the benchmark reading the page (tracing, profiling, metrics).
  ['IPC (mostly DevTools: the harness)', /^Receive mojo/],
];

function kindOf(name) {
  for (const [kind, re] of KINDS) if (re.test(name)) return kind;
  return 'other';
}

/** The page's renderer main thread: the CrRendererMain that ran the most top-level task time. */
function mainThreadEvents(traceEvents) {
  const mains = new Set(traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}/${e.tid}`));
  const busy = new Map();
  for (const e of traceEvents) {
    const k = `${e.pid}/${e.tid}`;
    if (e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(k)) busy.set(k, (busy.get(k) ?? 0) + e.dur);
  }
  const best = [...busy].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (!best) throw new Error('the trace holds no renderer main-thread task');
  return traceEvents.filter((e) => e.ph === 'X' && `${e.pid}/${e.tid}` === best && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur - a.dur);
}

/** Self time (µs) by event name over `events` (sorted by start, parents before children). */
function selfTimes(events) {
  const self = new Map();
  const stack = [];
  for (const e of events) {
    while (stack.length && stack.at(-1).ts + stack.at(-1).dur <= e.ts) stack.pop();
    const parent = stack.at(-1);
    if (parent) self.set(parent.name, (self.get(parent.name) ?? 0) - e.dur);
    self.set(e.name, (self.get(e.name) ?? 0) + e.dur);
    stack.push(e);
  }
  return self;
}

function byKind(self) {
  const kinds = new Map();
  for (const [name, us] of self) {
    if (name === 'ThreadControllerImpl::RunTask') continue; // the task's own bookkeeping
    kinds.set(kindOf(name), (kinds.get(kindOf(name)) ?? 0) + us);
  }
  return [...kinds].filter(([, us]) => us > 0).sort((a, b) => b[1] - a[1]);
}

/**
 * Totals by kind of work, frames rendered, the busiest event names, and for the longest
 * top-level tasks what they were made of.
 */
export function summarizeTimeline(traceEvents, { longest = 3, functionsIn = null } = {}) {
  const events = mainThreadEvents(traceEvents);
  const self = selfTimes(events);
  const tasks = [];
  let until = -Infinity;
  for (const e of events) {
    if (e.name !== 'ThreadControllerImpl::RunTask' || e.ts < until) continue;
    tasks.push(e);
    until = e.ts + e.dur;
  }
  const total = tasks.reduce((s, t) => s + t.dur, 0);
  // Rendering updates of the page (its renderer's "AnimationFrame::Render" async events).
  const pid = events[0]?.pid;
  const frameStarts = traceEvents.filter((e) => e.name === 'AnimationFrame::Render' && e.ph === 'b' && e.pid === pid).map((e) => e.ts);
  const frames = frameStarts.length;
  const within = (t) => events.filter((e) => e.ts >= t.ts && e.ts + e.dur <= t.ts + t.dur);
  // Tasks that handle a DevTools message are the benchmark reading the page: not listed.
  const harness = (t) => within(t).some((e) => e.args?.chrome_mojo_event_info?.mojo_interface_tag === 'blink.mojom.DevToolsSession');
  // Per-frame cost in the first and the last tenth of the run: does a frame get dearer as the thought grows?
  const tenth = (first) => {
    const start = tasks[0]?.ts ?? 0;
    const end = tasks.at(-1) ? tasks.at(-1).ts + tasks.at(-1).dur : 0;
    const [a, b] = first ? [start, start + (end - start) / 10] : [end - (end - start) / 10, end];
    const n = frameStarts.filter((ts) => ts >= a && ts < b).length;
    const kinds = byKind(selfTimes(events.filter((e) => e.ts >= a && e.ts < b)));
    return { frames: n, kinds: kinds.map(([k, us]) => [k, n ? us / 1000 / n : 0]) };
  };
  const picked = [];
  for (const t of [...tasks].sort((a, b) => b.dur - a.dur)) {
    if (picked.length === longest) break;
    if (!harness(t)) picked.push(t);
  }
  const top = picked.map((t) => {
    const inside = within(t);
    return {
      ms: t.dur / 1000,
      kinds: byKind(selfTimes(inside)).slice(0, 4).map(([k, us]) => [k, us / 1000]),
      // The hot path a CPU profile taken at the same time found in the task.
      functions: functionsIn ? functionsIn(t.ts, t.ts + t.dur) : [],
    };
  });
  return {
    totalMs: total / 1000,
    frames,
    firstTenth: tenth(true),
    lastTenth: tenth(false),
    kinds: byKind(self).map(([k, us]) => [k, us / 1000]),
    names: [...self].filter(([n]) => n !== 'ThreadControllerImpl::RunTask').sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, us]) => [n, us / 1000]),
    longest: top,
  };
}

/** The entry point and the four deepest frames of a hot path (null marks the cut). */
function shorten(path) {
  return path.length <= 6 ? path : [path[0], null, ...path.slice(-4)];
}

export function timelineMarkdown(title, s) {
  const f = (ms) => `${ms.toFixed(0)} ms`;
  const perFrame = (ms) => (s.frames ? ` (${(ms / s.frames).toFixed(1)} ms/frame)` : '');
  return [
    `**${title}** — ${f(s.totalMs)} of main-thread tasks (wall), ${s.frames} frames`,
    '',
    `- by kind of work: ${s.kinds.map(([k, ms]) => `${k} ${f(ms)}${perFrame(ms)}`).join('; ')}`,
    `- busiest trace events (self): ${s.names.map(([n, ms]) => `\`${n}\` ${f(ms)}`).join('; ')}`,
    ...[['first', s.firstTenth], ['last', s.lastTenth]].map(([which, t]) => `- per frame in the ${which} tenth of the run (${t.frames} frames): ` +
      `${t.kinds.reduce((sum, [, ms]) => sum + ms, 0).toFixed(1)} ms = ${t.kinds.slice(0, 5).map(([k, ms]) => `${k} ${ms.toFixed(1)}`).join(' + ')}`),
    ...s.longest.map((t, i) => `- longest task ${i + 1} (harness tasks left out): ${f(t.ms)} = ${t.kinds.map(([k, ms]) => `${k} ${f(ms)}`).join(' + ')}` +
      (t.functions.length ? `; hot path: ${shorten(t.functions).map((fn) => (fn ? `\`${fn.name}\` ${f(fn.ms)}` : '…')).join(' → ')}` : '')),
  ].join('\n');
}
