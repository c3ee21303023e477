// Screen 9: "Check a payment" runs authorize on a pasted token. The pasted token is cleared
// from the input right after the check and never stored.
import * as api from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { errorText } from '../format.js';
import { state, countryName, findCountry, methodName, countryLabel, operatorName } from '../state.js';
import { reasonSentence } from '../reasons.js';
import { field } from './fields.js';

const placeholder = (text) => h('option', { value: '' }, text);

export function mount(container) {
  const secretInput = h('input', {
    id: 'check-token', class: 'input mono', type: 'password', autocomplete: 'off', spellcheck: 'false',
    placeholder: 'clp_…', testid: 'check-token',
  });
  const toggle = h('button', {
    type: 'button', class: 'btn-icon input-addon', testid: 'check-token-toggle', 'aria-pressed': 'false',
    'aria-label': t('check.showToken'), title: t('check.showToken'), onClick: toggleVisibility,
  }, icon('eye'));
  const secret = field({ name: 'secret', label: t('check.token'), hint: t('check.tokenHint'), control: secretInput });
  const group = h('div', { class: 'input-group' });
  secretInput.replaceWith(group);
  group.append(secretInput, toggle);

  const country = field({
    name: 'country', label: t('check.country'),
    control: h('select', { id: 'check-country', class: 'select', testid: 'check-country', onChange: fillOperators },
      placeholder(t('check.chooseCountry')),
      [...state.catalog.countries].sort((a, b) => countryName(a.iso).localeCompare(countryName(b.iso)))
        .map((c) => h('option', { value: c.iso }, countryName(c.iso)))),
  });
  // The operator and method lists are new elements each time their options change: WebKit fires no
  // change event when the option picked is at the index picked before the options were replaced
  // (a new country, then the same operator again), so the method list would stay empty.
  const operatorSelect = () => h('select', { id: 'check-operator', class: 'select', testid: 'check-operator', disabled: true, onChange: fillMethods });
  const methodSelect = () => h('select', { id: 'check-method', class: 'select', testid: 'check-method', disabled: true, onChange: showUnverified });
  const operator = field({ name: 'operator', label: t('check.operator'), control: operatorSelect() });
  const method = field({ name: 'method', label: t('check.method'), control: methodSelect() });
  const unverifiedNote = h('p', { class: 'hint-text', testid: 'check-method-unverified', hidden: true }, t('method.unverifiedHelp'));
  method.element.append(unverifiedNote);
  const phone = field({
    name: 'phone', label: t('check.phone'), optional: t('common.optional'), hint: t('check.phoneHint'),
    control: h('input', { id: 'check-phone', class: 'input', type: 'tel', inputmode: 'tel', autocomplete: 'off', testid: 'check-phone' }),
  });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'check-submit' }, icon('shield'), t('check.submit'));
  const result = h('div', { class: 'check-result-area', 'aria-live': 'polite' });

  function toggleVisibility() {
    const show = secretInput.type === 'password';
    secretInput.type = show ? 'text' : 'password';
    toggle.setAttribute('aria-pressed', String(show));
    const label = show ? t('check.hideToken') : t('check.showToken');
    toggle.setAttribute('aria-label', label);
    toggle.title = label;
    toggle.replaceChildren(icon(show ? 'eyeOff' : 'eye'));
  }

  function fillOperators() {
    const chosen = findCountry(country.control.value);
    operator.replaceControl(operatorSelect());
    operator.control.disabled = !chosen;
    replaceChildren(operator.control, placeholder(t('check.chooseOperator')),
      chosen ? chosen.operators.map((o) => h('option', { value: o.code }, o.name)) : []);
    fillMethods();
  }

  /** The operator's methods, each once; an unverified one says so (the catalog lists it twice). */
  function fillMethods() {
    const chosen = findCountry(country.control.value)?.operators.find((o) => o.code === operator.control.value);
    method.replaceControl(methodSelect());
    method.control.disabled = !chosen;
    const unverified = chosen?.unverified_methods || [];
    replaceChildren(method.control, placeholder(t('check.chooseMethod')),
      chosen ? chosen.methods.map((m) => h('option', { value: m, data: unverified.includes(m) ? { unverified: 'true' } : null },
        unverified.includes(m) ? t('check.methodUnverified', { method: `${methodName(m)} (${m})` }) : `${methodName(m)} (${m})`)) : []);
    showUnverified();
  }

  function showUnverified() {
    const chosen = method.control.selectedOptions[0];
    unverifiedNote.hidden = !(chosen && chosen.dataset.unverified === 'true');
  }

  function validate() {
    let ok = true;
    [secret, country, operator, method, phone].forEach((f) => f.setError(null));
    const required = [[secret, secretInput.value.trim(), 'check.errorToken'], [country, country.control.value, 'check.errorCountry'],
      [operator, operator.control.value, 'check.errorOperator'], [method, method.control.value, 'check.errorMethod']];
    for (const [target, value, key] of required) {
      if (!value) {
        target.setError(t(key));
        if (ok) target.control.focus();
        ok = false;
      }
    }
    return ok;
  }

  async function check(event) {
    event.preventDefault();
    if (!validate()) return;
    const request = {
      secret: secretInput.value.trim(),
      country: country.control.value,
      operator: operator.control.value,
      method: method.control.value,
      phone: phone.control.value.trim() || null,
    };
    // The pasted token leaves the page as soon as it is sent.
    secretInput.value = '';
    submit.disabled = true;
    try {
      const answer = await api.authorize({ request });
      request.secret = null;
      showResult(answer, request);
    } catch (error) {
      request.secret = null;
      if (error.field === 'phone') phone.setError(errorText(error));
      replaceChildren(result, h('div', { class: 'alert alert-error', role: 'alert', testid: 'check-error' }, errorText(error)));
    } finally {
      submit.disabled = false;
    }
  }

  function showResult(answer, request) {
    const summary = [operatorName(request.country, request.operator), methodName(request.method)];
    if (request.phone) summary.push(request.phone);
    replaceChildren(result, h('section', {
      class: `check-result ${answer.allowed ? 'check-allowed' : 'check-denied'}`,
      testid: 'check-result',
      'data-allowed': String(answer.allowed),
      'data-reason': answer.reason || '',
    },
    h('div', { class: 'check-result-icon', 'aria-hidden': 'true' }, icon(answer.allowed ? 'checkCircle' : 'xCircle', { size: 32 })),
    h('div', {},
      h('p', { class: 'check-result-title', testid: 'check-result-title' }, answer.allowed ? t('check.allowed') : t('check.denied')),
      h('p', { class: 'check-result-text', testid: 'check-result-text' }, answer.allowed
        ? t('check.allowedText', { name: answer.token?.name || '' })
        // A country whose numbers are all disabled pays nobody: say that, whatever the phone.
        : reasonSentence(answer.paused && answer.reason !== 'phone_disabled' ? 'paused' : answer.reason, request, answer.token?.name)),
      h('p', { class: 'check-result-meta muted' },
        countryLabel(request.country),
        summary.map((part) => h('span', {}, part)),
        answer.token ? h('a', { href: `#/token/${encodeURIComponent(answer.token.id)}`, testid: 'check-result-token' }, answer.token.name) : null),
      answer.allowed ? h('p', { class: 'muted small' }, t('check.countsAsUse')) : null)));
  }

  replaceChildren(container,
    h('header', { class: 'page-header' },
      h('div', {},
        h('h1', { class: 'page-title' }, t('check.title')),
        h('p', { class: 'page-subtitle' }, t('check.subtitle')))),
    h('div', { class: 'check-layout' },
      h('form', { class: 'card form-card', testid: 'check-form', novalidate: true, onSubmit: check },
        secret.element,
        h('div', { class: 'field-row' }, country.element, operator.element, method.element),
        phone.element,
        h('div', { class: 'form-footer form-footer-end' }, submit)),
      result));
  secretInput.focus();
}
