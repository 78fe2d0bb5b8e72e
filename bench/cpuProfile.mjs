// Where a page's main-thread JavaScript time goes: a V8 CPU profile taken over CDP, mapped back
// to the original sources through the bundle's source map, summed by source file / package
// (self time) and by function (self and inclusive time). Diagnostics for RESULTS.md, not goals.
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function startProfile(cdp, intervalUs = 250) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
}

export async function stopProfile(cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  await cdp.send('Profiler.disable');
  return profile;
}

/**
 * `bundles`: [{ match(url), map: the .map file or url => .map file, base?: the dir its sources are
 * relative to (default the map's) }].
 */
function locator(bundles, repo) {
  const maps = new Map();
  const load = (file) => {
    if (!maps.has(file)) {
      try { maps.set(file, new SourceMap(JSON.parse(readFileSync(file, 'utf8')))); } catch { maps.set(file, null); }
    }
    return maps.get(file);
  };
  const cache = new Map();
  return (frame) => {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    if (cache.has(key)) return cache.get(key);
    let where = null;
    const b = bundles.find((m) => frame.url && m.match(frame.url));
    const mapFile = b && (typeof b.map === 'function' ? b.map(frame.url) : b.map);
    const sm = mapFile && frame.lineNumber >= 0 ? load(mapFile) : null;
    if (sm) {
      const e = sm.findEntry(frame.lineNumber, frame.columnNumber);
      if (e?.originalSource) where = { file: cleanPath(e.originalSource, b.base ?? dirname(mapFile), repo), line: e.originalLine + 1 };
    }
    cache.set(key, where);
    return where;
  };
}

/** Regular expressions show up as functions named after their whole source. */
const short = (name) => (name.length > 60 ? `${name.slice(0, 57)}…` : name);

/** A map's source (relative to the map, or a file: URL) as a repo path: webview/render/markdown.ts, node_modules/katex/…. */
function cleanPath(source, base, repo) {
  const abs = source.startsWith('file://') ? fileURLToPath(source) : resolve(base, source);
  const p = relative(repo, abs);
  const nm = p.lastIndexOf('node_modules/');
  return nm >= 0 ? p.slice(nm) : p;
}

function area(where, frame) {
  if (!where) {
    if (frame.functionName.startsWith('(')) return frame.functionName; // (program), (garbage collector), (idle)
    return frame.url ? 'other script' : `native: ${frame.functionName || '(anonymous)'}`;
  }
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where.file);
  return m ? m[1] : where.file;
}

/**
 * Self time by area (source file or package, "(program)" for the engine's own work outside JS,
 * i.e. style, layout, paint, parsing HTML) and the functions with the most self / inclusive time.
 */
export function summarizeProfile(profile, { bundles, repo, top = 12, window = null }) {
  const locate = locator(bundles, repo);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = new Map();
  const areaOf = new Map();
  // Inclusive time is ranked for product code only (not wrappers, engine frames or the bench's own).
  const ranked = new Set();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const where = locate(f);
    const name = short(f.functionName || '(anonymous)');
    label.set(n.id, where ? `${name} (${where.file}:${where.line})` : name);
    areaOf.set(n.id, area(where, f));
    if (where && !where.file.startsWith('bench/')) ranked.add(n.id);
  }
  const selfByArea = new Map();
  const selfByFn = new Map();
  const inclByFn = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  const { samples, timeDeltas } = profile;
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one; `window` ([from, to] in the trace clock, µs)
    // keeps only the samples taken inside it.
    at += timeDeltas[i];
    const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    if (window && (at < window[0] || at > window[1])) continue;
    const id = samples[i];
    const node = nodes.get(id);
    if (node.callFrame.functionName === '(idle)') { idle += us; continue; }
    total += us;
    add(selfByArea, areaOf.get(id), us);
    add(selfByFn, label.get(id), us);
    const seen = new Set();
    for (let n = id; n !== undefined; n = parent.get(n)) {
      const l = label.get(n);
      if (!ranked.has(n) || seen.has(l)) continue;
      seen.add(l);
      add(inclByFn, l, us);
    }
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, us]) => ({ name: k, ms: us / 1000, share: total ? us / total : 0 }));
  return { busyMs: total / 1000, idleMs: idle / 1000, byArea: rank(selfByArea), selfByFunction: rank(selfByFn), inclusiveByFunction: rank(inclByFn) };
}

/**
 * The hot path of the samples inside `window` ([from, to], trace clock, µs): from the root, the
 * heaviest child while it holds at least half of its parent's time; the product-code frames on it
 * (mapped to sources), each with its inclusive ms, and where the time finally went (self).
 */
export function hotPath(profile, { bundles, repo, window }) {
  const locate = locator(bundles, repo);
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const incl = new Map();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i];
    const us = i + 1 < profile.timeDeltas.length ? profile.timeDeltas[i + 1] : 0;
    if (at < window[0] || at > window[1] || nodes.get(profile.samples[i]).callFrame.functionName === '(idle)') continue;
    for (let n = profile.samples[i]; n !== undefined; n = parent.get(n)) incl.set(n, (incl.get(n) ?? 0) + us);
  }
  const root = profile.nodes.find((n) => !parent.has(n.id));
  const path = [];
  let node = root;
  for (;;) {
    const kids = (node.children ?? []).map((c) => nodes.get(c)).filter((c) => incl.has(c.id));
    const heavy = kids.sort((a, b) => incl.get(b.id) - incl.get(a.id))[0];
    if (!heavy || incl.get(heavy.id) < incl.get(node.id) / 2) break;
    node = heavy;
    const f = node.callFrame;
    const where = locate(f);
    if (where && !where.file.startsWith('bench/')) path.push({ name: `${short(f.functionName || '(anonymous)')} (${where.file}:${where.line})`, ms: incl.get(node.id) / 1000 });
    else if (!f.url && !f.functionName.startsWith('(')) path.push({ name: `[native ${short(f.functionName)}]`, ms: incl.get(node.id) / 1000 });
  }
  return path;
}

/** A compact markdown rendering of a summary (for RESULTS.md). */
export function profileMarkdown(title, s, { areas = 8, fns = 8 } = {}) {
  const pct = (x) => `${(x * 100).toFixed(0)}%`;
  const lines = [`**${title}** — ${s.busyMs.toFixed(0)} ms of sampled main-thread time`, ''];
  lines.push(`- self time by source: ${s.byArea.slice(0, areas).map((a) => `${a.name} ${a.ms.toFixed(0)} ms (${pct(a.share)})`).join('; ')}`);
  lines.push(`- most self time: ${s.selfByFunction.slice(0, fns).map((a) => `\`${a.name}\` ${a.ms.toFixed(0)} ms`).join('; ')}`);
  lines.push(`- most inclusive time: ${s.inclusiveByFunction.slice(0, fns).map((a) => `\`${a.name}\` ${a.ms.toFixed(0)} ms (${pct(a.share)})`).join('; ')}`);
  return lines.join('\n');
}
