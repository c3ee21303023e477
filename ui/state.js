// Application-wide data loaded at start (catalog, settings, app info) and the catalog look-ups
// every view needs to show countries, operators and methods by name.
import { h } from './dom.js';
import { t, hasKey, regionName } from './i18n.js';

export const state = {
  catalog: { version: '', methods: [], countries: [] },
  settings: { clipboard_clear_secs: 30, default_duration_days: 30, language: 'system', theme: 'system' },
  info: { version: '', db_path: '', catalog_version: '', locale: 'en' },
};

// The countries with a flag picture: ui/flags/<iso>.png, rendered from icons/flags/<iso>.svg by
// scripts/flags.sh (make ui-check checks each one is there).
const FLAGS = new Set(['CI', 'SN', 'ML', 'BF', 'BJ', 'TG', 'CM', 'GN', 'NE', 'CG', 'GA', 'GH', 'KE']);

export const findCountry = (iso) => state.catalog.countries.find((c) => c.iso === iso) || null;

export function findOperator(iso, code) {
  const country = findCountry(iso);
  return (country && country.operators.find((o) => o.code === code)) || null;
}

export function countryName(iso) {
  const country = findCountry(iso);
  return regionName(iso, country ? country.name : iso);
}

export function operatorName(iso, code) {
  const operator = findOperator(iso, code);
  return operator ? operator.name : code;
}

/** Method names are translated by code; a method a newer catalog adds keeps the catalog's name. */
export function methodName(code) {
  if (hasKey(`method.${code}`)) return t(`method.${code}`);
  const method = state.catalog.methods.find((m) => m.code === code);
  return method ? method.name : code;
}

/** Catalog order for sorting countries, operators and methods the same way everywhere. */
export function countryOrder(iso) {
  const index = state.catalog.countries.findIndex((c) => c.iso === iso);
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

export function operatorOrder(iso, code) {
  const country = findCountry(iso);
  const index = country ? country.operators.findIndex((o) => o.code === code) : -1;
  return index < 0 ? Number.MAX_SAFE_INTEGER : index;
}

const METHOD_ORDER = ['MERCHANT', 'CASHIN', 'CASHOUT'];
export function methodOrder(code) {
  const index = METHOD_ORDER.indexOf(code);
  return index < 0 ? METHOD_ORDER.length : index;
}

/** The flag picture of a country, or null for a country the app has no picture of. */
export const flagSource = (iso) =>
  FLAGS.has(iso) ? new URL(`./flags/${iso.toLowerCase()}.png`, import.meta.url).href : null;

export function flag(iso) {
  const src = flagSource(iso);
  if (!src) return h('span', { class: 'flag flag-fallback', 'aria-hidden': 'true' }, iso);
  return h('img', { class: 'flag', src, alt: '', width: 20, height: 14 });
}

export const countryLabel = (iso) =>
  h('span', { class: 'country' }, flag(iso), h('span', {}, countryName(iso)));
