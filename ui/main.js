// App shell: loads settings, catalog and app info, draws the navigation and routes between views.
import * as api from './api.js';
import { state } from './state.js';
import { setLanguage, prepareFormats, t } from './i18n.js';
import { h, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './format.js';
import { markPhase } from './ready.js';
import * as tokenList from './views/tokenList.js';
import * as createToken from './views/createToken.js';
import * as tokenDetails from './views/tokenDetails.js';
import * as checkPayment from './views/checkPayment.js';
import * as settingsView from './views/settings.js';

// The webview on Linux is WebKitGTK: styles.css gives it font stacks without the families it can
// never find there (each one costs fontconfig lookups at the first paint). Set before any text.
if (navigator.userAgent.includes('Linux')) document.documentElement.dataset.platform = 'linux';

const ROUTES = [
  { pattern: /^#\/tokens$/, view: tokenList, nav: 'tokens' },
  { pattern: /^#\/new$/, view: createToken, nav: 'tokens' },
  { pattern: /^#\/token\/([^/]+)$/, view: tokenDetails, nav: 'tokens' },
  { pattern: /^#\/check$/, view: checkPayment, nav: 'check' },
  { pattern: /^#\/settings$/, view: settingsView, nav: 'settings' },
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

/** Called by the settings view after a successful save: language and theme apply at once. */
function saveAppliedSettings(settings) {
  state.settings = settings;
  setLanguage(settings.language, state.info.locale);
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

function renderSidebar(active) {
  const sidebar = document.getElementById('sidebar');
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

function route() {
  if (cleanup) cleanup();
  cleanup = null;
  const current = currentRoute();
  renderSidebar(current.nav);
  const content = document.getElementById('content');
  content.replaceChildren();
  content.scrollTop = 0;
  cleanup = current.view.mount(content, { params: current.params, navigate, applySettings: saveAppliedSettings, databaseReplaced }) || null;
  // Move focus to the new page for keyboard and screen-reader users, except on the first paint.
  if (!firstRoute) content.focus({ preventScroll: true });
  firstRoute = false;
}

// The query of the list's first page (tokenList.js): the current tokens, newest first.
const FIRST_LIST_PAGE = { status: 'current', search: null, sort: 'created_at', descending: true, offset: 0, limit: 50 };

async function start() {
  // Every module is loaded and evaluated once this runs.
  markPhase('modules');
  // The list is the first screen: its page is asked for now, with the start calls, not after them.
  if (currentRoute().view === tokenList) api.prefetchListTokens({ query: FIRST_LIST_PAGE });
  try {
    const calls = Promise.all([api.appInfo(), api.getSettings(), api.getCatalog()]);
    // The page would only wait for the answers: spend that time on the date formats (the OS
    // locale the app reports is the one WebKit was started with).
    prepareFormats(navigator.language);
    const [info, settings, catalog] = await calls;
    markPhase('calls');
    state.info = info;
    state.settings = settings;
    state.catalog = catalog;
    setLanguage(settings.language, info.locale);
    applyTheme(settings.theme);
  } catch (error) {
    setLanguage('system', navigator.language);
    replaceChildren(document.getElementById('content'),
      h('div', { class: 'fatal', role: 'alert', testid: 'fatal-error' },
        h('h1', {}, t('app.startFailed')), h('p', {}, errorText(error))));
    return;
  }
  window.addEventListener('hashchange', route);
  renderIntegrityBanner();
  route();
  // The integrity check runs after the first page; a problem it finds brings the banner.
  api.integrityCheck().then((problem) => {
    if (problem && problem !== state.info.integrity_problem) {
      state.info.integrity_problem = problem;
      renderIntegrityBanner();
    }
  }, () => {});
}

start();
