// What index.html's inline script sent before any module ran (window.__clapayStart): the start
// calls' answers (api.js) and the faces' bytes (fonts.js). Each entry is taken once, by the first
// code that asks for it; later askers call or fetch again.

/** Takes `window.__clapayStart[name]`, or `[name][key]` when a key is given; null if absent. */
export function takeSent(name, key = null) {
  const sent = window.__clapayStart;
  const holder = key === null ? sent : sent && sent[name];
  const field = key === null ? name : key;
  const entry = holder && holder[field];
  if (!entry) return null;
  holder[field] = null;
  return entry;
}
