// App shell: applies settings, catalog and app info (asked for by main.js), draws the navigation
// and routes between views.
import * as api from './api.js';
import { state } from './state.js';
import { setLanguage, prepareFormats, currentLanguage, t } from './i18n.js';
import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './format.js';
import { markPhase, listPainted } from './ready.js';
import { lazy, loaded, loadEveryModule } from './lazy.js';
import * as tokenList from './views/tokenList.js';

// The list is the first screen; the others load after its first paint (lazy.js).
const createToken = lazy(() => import('./views/createToken.js'));
const ROUTES = [
  { pattern: /^#\/tokens$/, view: loaded(tokenList), nav: 'tokens' },
  { pattern: /^#\/new$/, view: createToken, nav: 'tokens' },
  // The create form filled from a token ("Duplicate…").
  { pattern: /^#\/duplicate\/([^/]+)$/, view: createToken, nav: 'tokens' },
  { pattern: /^#\/token\/([^/]+)$/, view: lazy(() => import('./views/tokenDetails.js')), nav: 'tokens' },
  { pattern: /^#\/check$/, view: lazy(() => import('./views/checkPayment.js')), nav: 'check' },
  { pattern: /^#\/sandbox$/, view: lazy(() => import('./views/sandbox.js')), nav: 'sandbox' },
  { pattern: /^#\/settings$/, view: lazy(() => import('./views/settings.js')), nav: 'settings' },
];

let cleanup = null;
let firstRoute = true;

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

function applyTheme(theme) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

/** Called by the settings view after a successful save: language and theme apply once it resolves. */
async function saveAppliedSettings(settings) {
  state.settings = settings;
  await setLanguage(settings.language, state.info.locale);
  applyTheme(settings.theme);
  renderIntegrityBanner();
  firstRoute = true;
  route();
}

function currentRoute() {
  const hash = location.hash || '#/tokens';
  for (const entry of ROUTES) {
    const match = hash.match(entry.pattern);
    if (match) return { ...entry, params: match.slice(1).map(decodeURIComponent) };
  }
  return { ...ROUTES[0], params: [] };
}

function navLink(key, hash, iconName, active) {
  return h('a', {
    class: 'nav-link',
    href: hash,
    testid: `nav-${key}`,
    'aria-current': active ? 'page' : null,
  }, icon(iconName, { size: 18 }), h('span', {}, t(`nav.${key}`)));
}

// What the sidebar's texts were written from: while it stays the same, a route change only moves
// aria-current, and the sidebar is neither rebuilt nor styled again.
let sidebarTexts = null;

function renderSidebar(active) {
  const sidebar = document.getElementById('sidebar');
  const texts = `${currentLanguage()} ${state.info.version} ${state.info.catalog_version}`;
  if (texts === sidebarTexts) {
    for (const link of sidebar.querySelectorAll('.nav-link')) {
      const current = link.dataset.testid === `nav-${active}`;
      if (current) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    return;
  }
  sidebarTexts = texts;
  sidebar.setAttribute('aria-label', t('nav.label'));
  replaceChildren(sidebar,
    h('div', { class: 'brand' },
      h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, icon('key', { size: 18 })),
      h('span', { class: 'brand-name' }, 'ClaPay Tokens')),
    h('button', { type: 'button', class: 'btn btn-primary btn-block', testid: 'new-token', onClick: () => navigate('#/new') },
      icon('plus'), t('nav.newToken')),
    h('div', { class: 'nav-links' },
      navLink('tokens', '#/tokens', 'list', active === 'tokens'),
      navLink('check', '#/check', 'shield', active === 'check'),
      navLink('sandbox', '#/sandbox', 'globe', active === 'sandbox'),
      navLink('settings', '#/settings', 'settings', active === 'settings')),
    h('div', { class: 'sidebar-footer' },
      h('span', { testid: 'app-version' }, t('nav.version', { version: state.info.version })),
      h('span', {}, t('nav.catalog', { version: state.info.catalog_version }))));
}

/** The read-only banner, shown while the database that failed its integrity check is open. */
function renderIntegrityBanner() {
  const app = document.getElementById('app');
  document.getElementById('integrity-banner')?.remove();
  const problem = state.info.integrity_problem;
  app.classList.toggle('has-banner', Boolean(problem));
  if (!problem) return;
  app.prepend(h('div', { id: 'integrity-banner', class: 'alert alert-error integrity-banner', role: 'alert', testid: 'integrity-banner' },
    icon('alert', { size: 18 }),
    h('p', { testid: 'integrity-banner-text' }, t('integrity.banner', { problem })),
    h('button', { type: 'button', class: 'btn btn-sm', testid: 'integrity-open-settings', onClick: () => navigate('#/settings') },
      t('integrity.openSettings'))));
}

/** Called after a backup was restored: the database (and its integrity state) changed. */
async function databaseReplaced() {
  state.info = await api.appInfo();
  renderIntegrityBanner();
}

let routeSeq = 0;

function route() {
  const current = currentRoute();
  const seq = ++routeSeq;
  const view = current.view.now();
  if (view) {
    show(current, view);
    return;
  }
  // Only before the first paint, or when a module failed to load: the screen shown stays until
  // the new one can be drawn, and a newer route change wins.
  current.view.get().then(
    (module) => { if (seq === routeSeq) show(current, module); },
    () => {
      if (seq !== routeSeq) return;
      show(current, { mount: (content) => content.append(
        h('div', { class: 'alert alert-error', role: 'alert', testid: 'route-error' }, t('app.moduleFailed'))) });
    },
  );
}

function show(current, view) {
  if (cleanup) cleanup();
  cleanup = null;
  renderSidebar(current.nav);
  const content = document.getElementById('content');
  content.replaceChildren();
  content.scrollTop = 0;
  cleanup = view.mount(content, { params: current.params, navigate, applySettings: saveAppliedSettings, databaseReplaced }) || null;
  // Move focus to the new page for keyboard and screen-reader users, except on the first paint.
  if (!firstRoute) content.focus({ preventScroll: true });
  firstRoute = false;
}

/**
 * Called by main.js once this module and everything it imports are evaluated, with the start
 * calls main.js sent while they loaded, and the shipped faces it is adding (fonts.js).
 */
export async function start(startCalls, faces) {
  markPhase('modules');
  try {
    // The page would only wait for the answers: spend that time on the date formats (the OS
    // locale the app reports is the one WebKit was started with).
    prepareFormats(navigator.language);
    const [info, settings, catalog] = await startCalls;
    markPhase('calls');
    // Text styled before the faces are in would ask the system for fonts, then be styled again.
    await faces;
    state.info = info;
    state.settings = settings;
    state.catalog = catalog;
    await setLanguage(settings.language, info.locale);
    applyTheme(settings.theme);
  } catch (error) {
    await setLanguage('system', navigator.language);
    replaceChildren(document.getElementById('content'),
      h('div', { class: 'fatal', role: 'alert', testid: 'fatal-error' },
        h('h1', {}, t('app.startFailed')), h('p', {}, errorText(error))));
    return;
  }
  window.addEventListener('hashchange', route);
  renderIntegrityBanner();
  route();
  // The other screens and dialogs load once the list is painted. When the first screen is
  // another one, or the list could not load, they load a second after the start instead.
  Promise.race([listPainted, new Promise((resolve) => setTimeout(resolve, 1000))]).then(loadEveryModule);
  // The integrity check runs after the first page; a problem it finds brings the banner.
  api.integrityCheck().then((problem) => {
    if (problem && problem !== state.info.integrity_problem) {
      state.info.integrity_problem = problem;
      renderIntegrityBanner();
    }
  }, () => {});
}

