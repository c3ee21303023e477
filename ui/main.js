// Entry point: sends the start calls (app info, settings, catalog and the list's first page) at
// once, then loads the shell, which draws when they are answered. It imports only what sending
// them needs, so they leave while the rest of the start (app.js and the list, fetched at once
// through the modulepreload links of index.html) is still loading.
import * as api from './api.js';
import { markPhase } from './ready.js';
import { pageQuery } from './listQuery.js';
import { addShippedFaces } from './fonts.js';

// The webview on Linux is WebKitGTK: styles.css gives it font stacks that start with the faces the
// app ships (fonts.js), then the families Linux systems have. Set before any text. The faces load
// with the start calls, and the shell draws once both are there.
const linux = navigator.userAgent.includes('Linux');
if (linux) document.documentElement.dataset.platform = 'linux';
const faces = linux ? addShippedFaces() : Promise.resolve(false);

markPhase('boot');
// The app opens on the list (no route in the address): its first page is asked for now, with the
// start calls. Opened on another route (a reload while developing), the list asks when it is shown.
if (!location.hash || location.hash === '#/tokens') api.prefetchListTokens({ query: pageQuery() });
const startCalls = Promise.all([api.appInfo(), api.getSettings(), api.getCatalog()]);
// English texts are part of the start (i18n.js). Under a French OS the page will most likely be in
// French: its table loads with the calls, not after them.
if (navigator.language.toLowerCase().startsWith('fr')) import('./i18n/fr.js').catch(() => {});
// A failure is shown by the shell once it has loaded.
startCalls.catch(() => {});

import('./app.js').then((app) => app.start(startCalls, faces));
