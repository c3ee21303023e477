// Translation and locale-aware formatting. Tables are flat { "dotted.key": "text" } maps;
// a value may be { one, other } for plurals. Placeholders are written {name}.
import en from './i18n/en.js';

// English is every key's fallback and part of the start. The other tables load when chosen: each
// would be fetched and parsed before the first paint, and a page shows only one language.
const tables = { en };
const loaders = { fr: () => import('./i18n/fr.js') };
let language = 'en';
let locale = 'en';

/**
 * Picks the UI language from the setting ("system" | "en" | "fr") and the OS locale, and loads its
 * table first. Never fails: should a table not load, its texts fall back to English.
 */
export async function setLanguage(setting, osLocale) {
  const chosen = languageAndLocale(setting, osLocale);
  if (!tables[chosen.language] && loaders[chosen.language]) {
    try {
      tables[chosen.language] = (await loaders[chosen.language]()).default;
    } catch {
      // t() and hasKey() read English for a table that is missing.
    }
  }
  ({ language, locale } = chosen);
  document.documentElement.lang = language;
}

function languageAndLocale(setting, osLocale) {
  const os = typeof osLocale === 'string' && osLocale ? osLocale.replace('_', '-') : 'en';
  const osLanguage = os.split('-')[0].toLowerCase();
  const chosen = setting === 'en' || setting === 'fr' ? setting : (osLanguage === 'fr' ? 'fr' : 'en');
  // Keep the OS region (fr-CI, en-GB) for date and number formats when it speaks the same language.
  return { language: chosen, locale: osLanguage === chosen && isValidLocale(os) ? os : chosen };
}

function isValidLocale(tag) {
  try {
    return Intl.DateTimeFormat.supportedLocalesOf([tag]).length > 0;
  } catch {
    return false;
  }
}

export const currentLanguage = () => language;

export function t(key, params = {}) {
  let value = tables[language]?.[key] ?? tables.en[key];
  if (value === undefined) return key;
  if (typeof value === 'object') {
    const category = formatter(Intl.PluralRules, language).select(Number(params.count ?? 0));
    value = value[category] ?? value.other;
  }
  return fill(value, params);
}

// French elides "de" before a word that starts with a vowel: "la composition d’Abidjan", not "de
// Abidjan". A text written "de {name}" reads right whatever the name is. (Not before "h" or "y":
// whether they elide depends on the word.)
const FRENCH_VOWEL = /^[aeiouàâäéèêëîïôöùûüœæ]/i;
const FRENCH_DE = /(^|[\s(«])([dD])e $/;

/** The text with its {placeholders} replaced by `params`. */
function fill(text, params) {
  let filled = '';
  let last = 0;
  for (const match of text.matchAll(/\{(\w+)\}/g)) {
    let before = text.slice(last, match.index);
    last = match.index + match[0].length;
    if (!(match[1] in params)) {
      filled += before + match[0];
      continue;
    }
    const inserted = String(params[match[1]]);
    if (language === 'fr' && FRENCH_VOWEL.test(inserted) && FRENCH_DE.test(before)) {
      before = before.replace(FRENCH_DE, '$1$2’');
    }
    filled += before + inserted;
  }
  return filled + text.slice(last);
}

/** Whether a key exists, for texts chosen from codes the backend may extend. */
export const hasKey = (key) => key in (tables[language] ?? {}) || key in tables.en;

// Intl objects are costly to build (WebKit: about a millisecond each) and a list page formats
// hundreds of values: build each (kind, locale, options) once.
const formatters = new Map();
function formatter(Kind, tag, options = {}) {
  const key = `${Kind.name}|${tag}|${JSON.stringify(options)}`;
  let made = formatters.get(key);
  if (!made) {
    made = new Kind(tag, options);
    formatters.set(key, made);
  }
  return made;
}

export const formatNumber = (n) => formatter(Intl.NumberFormat, locale).format(n);

const DATE_TIME = { dateStyle: 'medium', timeStyle: 'short' };
const RELATIVE = { numeric: 'auto' };

export function formatDateTime(iso) {
  return formatter(Intl.DateTimeFormat, locale, DATE_TIME).format(new Date(iso));
}

/**
 * Builds the list's date formatters for the locale the OS most likely uses, while the start calls
 * are on their way: WebKit's first Intl.DateTimeFormat loads ICU's data, and otherwise that
 * happens in the first page's rendering. When `setLanguage` settles on the same
 * locale, the formatters come from the cache; when not, the ICU data is loaded all the same.
 */
export function prepareFormats(osLocale) {
  // The locale setLanguage will pick when the setting is "system": a tag that is no locale (the
  // "C" of a POSIX environment) gives English, so the formats to build are English ones.
  const tag = languageAndLocale('system', osLocale).locale;
  try {
    formatter(Intl.DateTimeFormat, tag, DATE_TIME).format(0);
    formatter(Intl.RelativeTimeFormat, tag, RELATIVE).format(-1, 'day');
  } catch {
    // Not a locale this engine knows: setLanguage falls back to the language alone.
  }
}

export function formatDay(iso) {
  return formatter(Intl.DateTimeFormat, locale, { dateStyle: 'long' }).format(new Date(iso));
}

const UNITS = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
];

/** "in 29 days", "3 hours ago", "il y a 3 heures"; with `style: 'short'`, "in 23 hr.", "dans 23 h". */
export function formatRelative(iso, now = Date.now(), { style = 'long' } = {}) {
  const seconds = (new Date(iso).getTime() - now) / 1000;
  const rtf = formatter(Intl.RelativeTimeFormat, locale, style === 'long' ? RELATIVE : { ...RELATIVE, style });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return rtf.format(Math.round(seconds / size), unit);
  }
  return t('date.justNow');
}

let regionNames = null;
let regionNamesLanguage = null;

/** The country's name in the UI language, falling back to the catalog's own name. */
export function regionName(iso, fallback) {
  if (regionNamesLanguage !== language) {
    regionNamesLanguage = language;
    try {
      regionNames = new Intl.DisplayNames([language], { type: 'region' });
    } catch {
      regionNames = null;
    }
  }
  try {
    const name = regionNames && regionNames.of(iso);
    return name && name !== iso ? name : fallback;
  } catch {
    return fallback;
  }
}

export const formatList = (items) =>
  formatter(Intl.ListFormat, language, { style: 'long', type: 'conjunction' }).format(items);
