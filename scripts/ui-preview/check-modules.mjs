// Checks that index.html preloads exactly the modules of the app's start, and none of the lazy ones;
// that it has no inline script; and that only api.js touches window.__TAURI__.
// The start is main.js, what it imports, and app.js (which main.js imports as soon as it has sent
// the start calls) with everything app.js imports. The screens and dialogs that the list does not
// show are imported with import('...') (lazy.js) and must stay out of the start: each module
// preloaded is a request and a parse before the first paint, and a start module that is not
// preloaded is fetched only once its importer is parsed.
// Run: node scripts/ui-preview/check-modules.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
const failures = [];

/** The static and the dynamic imports of one module, as paths relative to ui/. */
function importsOf(module) {
  const source = readFileSync(join(ui, module), 'utf8');
  const resolve = (specifier) => relative(ui, normalize(join(ui, dirname(module), specifier)));
  return {
    static: [...source.matchAll(/^import\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => resolve(m[1])),
    dynamic: [...source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => resolve(m[1])),
  };
}

/** Every module reachable from `roots` by static imports, and every dynamic import among them. */
function graph(roots) {
  const reached = new Set();
  const dynamic = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const module = stack.pop();
    if (reached.has(module)) continue;
    reached.add(module);
    const found = importsOf(module);
    stack.push(...found.static);
    for (const target of found.dynamic) dynamic.add(target);
  }
  return { reached, dynamic };
}

const main = importsOf('main.js');
if (!main.dynamic.includes('app.js')) failures.push('main.js does not import app.js');
const start = graph(['main.js', 'app.js']);

const html = readFileSync(join(ui, 'index.html'), 'utf8');
const preloaded = new Set([...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]));
for (const module of start.reached) {
  if (module !== 'main.js' && !preloaded.has(module)) failures.push(`a start module is not preloaded: ${module}`);
}
for (const module of preloaded) {
  if (!start.reached.has(module)) failures.push(`preloaded, but not a start module: ${module}`);
}

// The lazy modules (and what they import, transitively) must not be part of the start.
const lazy = [...start.dynamic].filter((module) => module !== 'app.js');
if (lazy.length === 0) failures.push('no lazy module found: the start loads every screen');
for (const module of lazy) {
  if (start.reached.has(module)) failures.push(`imported lazily, but also part of the start: ${module}`);
}
// Every module in ui/ is either a start module or reached from a lazy one.
const later = graph(lazy);
for (const module of [...later.dynamic]) {
  if (!start.reached.has(module) && !lazy.includes(module)) failures.push(`a lazy module imports another lazily: ${module}`);
}
// And no module of ui/ is left out of both.
function sources(dir) {
  return readdirSync(join(ui, dir)).flatMap((name) => {
    const path = dir ? `${dir}/${name}` : name;
    if (statSync(join(ui, path)).isDirectory()) return sources(path);
    return path.endsWith('.js') ? [path] : [];
  });
}
for (const module of sources('')) {
  if (!start.reached.has(module) && !later.reached.has(module)) failures.push(`never imported: ${module}`);
}

// The page starts from main.js alone: no inline script (the CSP would need its hash, and it would
// hand its results over through a global), and only api.js talks to the shell.
for (const match of html.matchAll(/<script\b([^>]*)>/g)) {
  if (!/\bsrc=/.test(match[1])) failures.push('index.html holds an inline script: send calls from main.js instead');
}
for (const module of sources('')) {
  if (module !== 'api.js' && readFileSync(join(ui, module), 'utf8').includes('__TAURI__')) {
    failures.push(`${module} touches window.__TAURI__: only api.js talks to the shell`);
  }
}

for (const failure of failures) console.log(failure);
console.log(`${start.reached.size} start modules (${preloaded.size} preloaded), ${lazy.length} lazy ones, ${later.reached.size - [...later.reached].filter((m) => start.reached.has(m)).length} loaded after the first paint`);
console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
