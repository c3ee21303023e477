// Reports the first rendered list page to Rust once per app start (start-time benchmark), with the
// moments the page passed on the way, so the benchmark shows where the page's time goes.
import { uiReady } from './api.js';
import { nextFrame } from './dom.js';

let reported = false;
const phases = {};
let painted;
/** Resolves once the first list page is on screen. */
export const listPainted = new Promise((resolve) => { painted = resolve; });

/** Records the first time the page reached `name` (ms since navigation start). */
export function markPhase(name) {
  if (!reported && !(name in phases)) phases[name] = performance.now();
}

export async function reportListRendered() {
  if (reported) return;
  markPhase('dom');
  reported = true;
  // Two frames: the first runs before the page is painted, the second after.
  await nextFrame();
  await nextFrame();
  // For the web inspector, and for the end-to-end test that checks the other screens' scripts are
  // fetched after this moment, not before it.
  performance.mark('list-painted');
  const navigation = performance.getEntriesByType('navigation')[0];
  if (navigation) phases.html = navigation.responseEnd;
  uiReady({ millis: performance.now(), phases }).catch(() => {});
  painted();
}
