// Screens and dialogs that the first list page does not show are loaded when first needed, and all
// of them once that page is painted (app.js): before it, every module costs a request over the
// app's protocol and a parse on the page's only thread, so the start loads only the list's.
import { t } from './i18n.js';
import { toast } from './toast.js';

const everyLazyModule = [];

/**
 * A module loaded on first use. `get()` resolves to it; `now()` is the module once loaded, else
 * null, so a caller can use it in the same task (a click, a route change) without a promise.
 */
export function lazy(load) {
  let module = null;
  let loading = null;
  const entry = {
    get() {
      if (module) return Promise.resolve(module);
      // For the web inspector, and for the end-to-end test that checks no screen but the list is
      // imported before the list is painted (ready.js marks that moment `list-painted`).
      if (!loading) performance.mark('lazy-import');
      loading ??= load().then(
        (loaded) => (module = loaded),
        (error) => {
          // A later click tries again.
          loading = null;
          throw error;
        },
      );
      return loading;
    },
    now: () => module,
  };
  everyLazyModule.push(entry);
  return entry;
}

/** A module of the start, in the same shape as a lazy one. */
export const loaded = (module) => ({ get: () => Promise.resolve(module), now: () => module });

/** Loads every lazy module, so that no click waits for one. */
export function loadEveryModule() {
  for (const entry of everyLazyModule) entry.get().catch(() => {});
}

// What each click waits for while its entry's module loads: only the newest one runs.
const waiting = new WeakMap();

/**
 * Runs `use(module)` for a click: at once if the module is loaded; says so if it cannot load.
 * Clicks that arrive while the module loads (a double click, or another row's button) do not each
 * open a dialog once it arrives: the newest one runs, alone.
 */
export function withModule(entry, use) {
  const module = entry.now();
  if (module) {
    use(module);
    return;
  }
  const loading = waiting.has(entry);
  waiting.set(entry, use);
  if (loading) return;
  entry.get().then(
    (loaded) => {
      const newest = waiting.get(entry);
      waiting.delete(entry);
      newest(loaded);
    },
    () => {
      waiting.delete(entry);
      toast(t('app.moduleFailed'), { kind: 'error' });
    },
  );
}
