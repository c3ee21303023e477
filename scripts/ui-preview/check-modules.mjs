// Checks that index.html preloads exactly the modules of the app's start, and none of the lazy ones.
// The start is main.js, what it imports, and app.js (which main.js imports as soon as it has sent
// the start calls) with everything app.js imports. The screens and dialogs that the list does not
// show are imported with import('...') (lazy.js) and must stay out of the start: each module
// preloaded is a request and a parse before the first paint, and a start module that is not
// preloaded is fetched only once its importer is parsed. The app's build reads the same links: the
// modules they name go into its first script, the lazy ones into scripts fetched later
// (src-tauri/bundle).
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
    // A worker's script (*.worker.js) is started with new Worker(), not imported.
    return path.endsWith('.js') && !path.endsWith('.worker.js') ? [path] : [];
  });
}
for (const module of sources('')) {
  if (!start.reached.has(module) && !later.reached.has(module)) failures.push(`never imported: ${module}`);
}

// index.html sends the list's first page with the start calls (before any module loads), and
// api.js takes that answer only for the same query: it must be the one listQuery.js asks first.
{
  const sent = html.match(/const query = (\{[^\n]*\});/);
  const listQuery = readFileSync(join(ui, 'listQuery.js'), 'utf8');
  const { pageQuery } = await import(`data:text/javascript,${encodeURIComponent(listQuery)}`);
  if (!sent) failures.push('index.html sends no list query with the start calls');
  else if (JSON.stringify(JSON.parse(sent[1])) !== JSON.stringify(pageQuery())) {
    failures.push(`index.html sends ${sent[1]}, but the list first asks for ${JSON.stringify(pageQuery())}`);
  }
}

// On Linux index.html fetches the faces fonts.js adds as the HTML arrives, and fonts.js takes those
// bytes by file name: the two lists must be the same files.
{
  const script = html.match(/sent\.fonts = \{\};[\s\S]*?for \(const file of \[([^\]]*)\]\)/);
  const fonts = readFileSync(join(ui, 'fonts.js'), 'utf8');
  const shipped = [...fonts.matchAll(/file: '([^']+)'/g)].map((m) => m[1]).sort();
  const fetched = script ? [...script[1].matchAll(/'([^']+)'/g)].map((m) => m[1]).sort() : [];
  if (shipped.length === 0) failures.push('fonts.js names no face');
  if (JSON.stringify(fetched) !== JSON.stringify(shipped)) {
    failures.push(`index.html fetches the faces ${JSON.stringify(fetched)}, but fonts.js adds ${JSON.stringify(shipped)}`);
  }
}

for (const failure of failures) console.log(failure);
console.log(`${start.reached.size} start modules (${preloaded.size} preloaded), ${lazy.length} lazy ones, ${later.reached.size - [...later.reached].filter((m) => start.reached.has(m)).length} loaded after the first paint`);
console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
