// Reports the first rendered list page to Rust once per app start (start-time benchmark).
import { uiReady } from './api.js';
import { nextFrame } from './dom.js';

let reported = false;

export async function reportListRendered() {
  if (reported) return;
  reported = true;
  // Two frames: the first runs before the page is painted, the second after.
  await nextFrame();
  await nextFrame();
  uiReady({ millis: performance.now() }).catch(() => {});
}
