// Checks that the English and French tables have the same keys, the same plural shapes and the
// same {placeholders}, that every literal t('key') used in ui/ exists, and that French elides "de"
// before a vowel in the texts that insert a name.
// Run: node scripts/ui-preview/check-i18n.mjs
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'ui');
const { default: en } = await import(join(ui, 'i18n', 'en.js'));
const { default: fr } = await import(join(ui, 'i18n', 'fr.js'));

const failures = [];
const placeholders = (value) => {
  const texts = typeof value === 'string' ? [value] : Object.values(value);
  return [...new Set(texts.flatMap((s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort().join(',');
};

for (const key of Object.keys(en)) if (!(key in fr)) failures.push(`missing in fr: ${key}`);
for (const key of Object.keys(fr)) if (!(key in en)) failures.push(`missing in en: ${key}`);
for (const key of Object.keys(en)) {
  if (!(key in fr)) continue;
  if (typeof en[key] !== typeof fr[key]) failures.push(`plural shape differs: ${key}`);
  // A French singular may leave out {count} ("Le numéro de Mali"), so compare against the union.
  else if (placeholders(en[key]) !== placeholders(fr[key])) failures.push(`placeholders differ: ${key}`);
}

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'i18n' ? [] : sources(path);
    return path.endsWith('.js') ? [path] : [];
  });
}
let used = 0;
for (const file of sources(ui)) {
  for (const match of readFileSync(file, 'utf8').matchAll(/\bt\('([\w.]+)'/g)) {
    used += 1;
    if (!(match[1] in en)) failures.push(`used but not defined: ${match[1]} (${file})`);
  }
}

// French elision: every French text that inserts a value after "de" reads "d’Abidjan" for a name
// that starts with a vowel, and keeps "de Bamako" otherwise (i18n.js fill()).
globalThis.document = { documentElement: {} };
const i18n = await import(join(ui, 'i18n.js'));
await i18n.setLanguage('fr', 'fr-FR');
let elided = 0;
for (const [key, value] of Object.entries(fr)) {
  for (const text of typeof value === 'string' ? [value] : Object.values(value)) {
    for (const match of text.matchAll(/\bde \{(\w+)\}/gi)) {
      const params = { count: 2 };
      for (const other of text.matchAll(/\{(\w+)\}/g)) params[other[1]] = 'X';
      params[match[1]] = 'Abidjan';
      const vowel = i18n.t(key, params);
      params[match[1]] = 'Bamako';
      const consonant = i18n.t(key, params);
      elided += 1;
      if (!/\b[dD]’Abidjan/.test(vowel) || /\bde Abidjan/i.test(vowel)) failures.push(`${key}: no elision before a vowel: ${vowel}`);
      if (!/\b[dD]e Bamako/.test(consonant)) failures.push(`${key}: elided before a consonant: ${consonant}`);
    }
  }
}
if (elided === 0) failures.push('no French text inserts a value after "de": the elision check checked nothing');
await i18n.setLanguage('en', 'en-US');
if (i18n.t('list.viewCompositionOf', { name: 'Abidjan' }) !== 'View the composition of Abidjan') {
  failures.push('English texts are not elided');
}

for (const failure of failures) console.log(failure);
console.log(`${Object.keys(en).length} keys, ${used} literal uses checked, ${elided} French elisions`);
console.log(`${failures.length === 0 ? 1 : 0} passed, ${failures.length === 0 ? 0 : 1} failed`);
process.exit(failures.length === 0 ? 0 : 1);
