// The catalog import dialog: what a replacement file adds and removes (countries, operators,
// methods), from preview_catalog, and Apply / Cancel. Nothing changes until Apply.
import * as api from '../api.js';
import { h } from '../dom.js';
import { icon } from '../icons.js';
import { t, regionName } from '../i18n.js';
import { errorText } from '../format.js';
import { state, countryName, operatorName, methodName } from '../state.js';
import { openModal } from './modal.js';

/**
 * Shows `preview` (the answer of preview_catalog for `json`) and applies `json` on Apply;
 * `onApplied(catalog)` then runs with the catalog now in use.
 */
export function openCatalogImportModal(json, preview, { onApplied }) {
  // The new catalog's own names for what only it lists (preview_catalog validated the text).
  let incoming = { countries: [] };
  try {
    incoming = JSON.parse(json);
  } catch {
    // Codes are shown instead of names.
  }
  const newCountry = (iso) => incoming.countries.find((c) => c.iso === iso);
  const nameOfCountry = (iso) => (state.catalog.countries.some((c) => c.iso === iso)
    ? countryName(iso) : regionName(iso, newCountry(iso)?.name || iso));
  const nameOfOperator = (iso, code) => {
    const known = operatorName(iso, code);
    if (known !== code) return known;
    return newCountry(iso)?.operators?.find((o) => o.code === code)?.name || code;
  };
  const { changes } = preview;
  const sections = [
    ['countries_added', (iso) => `${nameOfCountry(iso)} (${iso})`],
    ['countries_removed', (iso) => `${nameOfCountry(iso)} (${iso})`],
    ['operators_added', (o) => t('catalogImport.operatorIn', { operator: nameOfOperator(o.country, o.operator), country: nameOfCountry(o.country) })],
    ['operators_removed', (o) => t('catalogImport.operatorIn', { operator: nameOfOperator(o.country, o.operator), country: nameOfCountry(o.country) })],
    ['methods_added', (m) => t('catalogImport.methodOf', { method: methodName(m.method), operator: nameOfOperator(m.country, m.operator), country: nameOfCountry(m.country) })],
    ['methods_removed', (m) => t('catalogImport.methodOf', { method: methodName(m.method), operator: nameOfOperator(m.country, m.operator), country: nameOfCountry(m.country) })],
  ].filter(([key]) => changes[key].length > 0);

  const errorEl = h('div', { class: 'alert alert-error', role: 'alert', testid: 'catalog-import-error', hidden: true });
  const apply = h('button', { type: 'button', class: 'btn btn-primary', testid: 'catalog-apply', onClick: applyCatalog },
    icon('upload'), t('catalogImport.apply'));
  const cancel = h('button', { type: 'button', class: 'btn', testid: 'catalog-cancel', data: { autofocus: '' }, onClick: () => modal.close() },
    t('common.cancel'));

  async function applyCatalog() {
    apply.disabled = true;
    try {
      const catalog = await api.importCatalog({ json });
      modal.close();
      await onApplied(catalog);
    } catch (error) {
      errorEl.hidden = false;
      errorEl.textContent = errorText(error);
      apply.disabled = false;
    }
  }

  const modal = openModal({
    title: t('catalogImport.title', { version: preview.version }),
    testid: 'catalog-import-dialog',
    description: t('catalogImport.versions', { current: preview.current_version, version: preview.version }),
    body: [
      sections.length === 0
        ? h('p', { testid: 'catalog-no-change' }, t('catalogImport.noChange'))
        : sections.map(([key, label]) => h('section', { class: 'change-group', testid: `catalog-${key.replace('_', '-')}` },
          h('h3', { class: 'change-title' }, t(`catalogImport.${key}`, { count: changes[key].length })),
          h('ul', { class: 'change-list' }, changes[key].map((item) => h('li', {}, label(item)))))),
      errorEl,
    ],
    footer: [cancel, apply],
  });
}
