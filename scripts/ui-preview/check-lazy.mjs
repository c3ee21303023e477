// Checks ui/lazy.js's withModule: a click runs at once when its module is loaded; clicks that
// arrive while it loads run once, the newest, when it arrives (a double click on a row's button
// must not stack two dialogs); a module that cannot load says so, and a later click tries again.
// Run: node scripts/ui-preview/check-lazy.mjs
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
// ui/ has no package.json: a copy marked as ES modules lets node import lazy.js with its imports.
const copy = mkdtempSync(join(tmpdir(), 'clapay-lazy-'));
cpSync(ui, copy, { recursive: true });
writeFileSync(join(copy, 'package.json'), '{ "type": "module" }');

// toast.js writes into #toasts: just enough of a document to see what it says.
const toasts = [];
globalThis.document = {
  getElementById: () => ({ append: (node) => toasts.push(node.text) }),
  createElement: () => {
    const node = { dataset: {}, text: '', append(...children) { node.text += children.join(''); }, remove() {} };
    return node;
  },
  createTextNode: (text) => text,
  documentElement: {},
};
globalThis.Node = class Node {};

const failures = [];
const expect = (what, actual, expected) => {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    failures.push(`${what}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
};
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

try {
  const { lazy, withModule } = await import(pathToFileURL(join(copy, 'lazy.js')).href);

  let arrive;
  const dialog = lazy(() => new Promise((resolve) => { arrive = resolve; }));
  const opened = [];
  withModule(dialog, () => opened.push('first click'));
  withModule(dialog, () => opened.push('second click'));
  withModule(dialog, () => opened.push('other row'));
  expect('nothing runs before the module arrives', opened, []);
  arrive({ name: 'dialog' });
  await settled();
  expect('clicks made while it loaded', opened, ['other row']);
  withModule(dialog, (module) => opened.push(`loaded ${module.name}`));
  expect('a click once it is loaded runs at once', opened, ['other row', 'loaded dialog']);

  let attempts = 0;
  const broken = lazy(() => {
    attempts += 1;
    return attempts === 1 ? Promise.reject(new Error('gone')) : Promise.resolve({ name: 'back' });
  });
  const used = [];
  withModule(broken, () => used.push('never'));
  withModule(broken, () => used.push('never either'));
  await settled();
  expect('a module that cannot load runs no click', used, []);
  expect('and says so once', toasts.length, 1);
  withModule(broken, (module) => used.push(module.name));
  await settled();
  expect('a later click tries again', [attempts, used], [2, ['back']]);
} finally {
  rmSync(copy, { recursive: true, force: true });
}

for (const failure of failures) console.log(failure);
console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
