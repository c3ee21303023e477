// Screen 2: the three-step "Create a new API token" form, empty or pre-filled from a token
// ("Duplicate…", route #/duplicate/<id>: the core's duplicate_draft, never numbers or a secret).
import * as api from '../api.js';
import { h, replaceChildren, uid } from '../dom.js';
import { icon } from '../icons.js';
import { t } from '../i18n.js';
import { errorText, environmentChip } from '../format.js';
import { state, countryLabel, countryName } from '../state.js';
import { countriesOf } from '../composition.js';
import { field } from './fields.js';
import { createExpiryField } from './expiryField.js';
import { createCompositionEditor } from './compositionEditor.js';
import { confirmDialog } from './modal.js';
import { openSecretDialog } from './secretDialog.js';
import { showNewToken } from '../listQuery.js';

const STEP_OF_FIELD = { name: 1, description: 1, environment: 1, expiry: 1, composition: 2, phone: 3 };
const ENVIRONMENTS = ['live', 'sandbox'];
const MAX_DESCRIPTION = 1000;

// How many tokens a name check reads at most: the search matches descriptions too, so a short name
// can match many; past that many the check gives up, and Generate still refuses a duplicate.
const NAME_CHECK_LIMIT = 500;

/**
 * The current (active or expired) token with this name, compared without case as the core does,
 * or null. Names are unique among tokens that are not revoked; this is the check of step 1, so the
 * merchant learns it before the last step (the core decides again at Generate). A failed check
 * says nothing: Generate will.
 */
async function currentTokenNamed(wanted) {
  const key = wanted.toLowerCase();
  try {
    const page = await api.listTokens({
      query: { status: 'current', search: wanted, sort: 'name', descending: false, page: { kind: 'first' }, limit: NAME_CHECK_LIMIT },
    });
    return page.items.find((token) => token.name.toLowerCase() === key) || null;
  } catch {
    return null;
  }
}

function initialExpiry() {
  const days = state.settings.default_duration_days;
  return days === null || days === undefined ? { kind: 'never' } : { kind: 'days', days };
}

export function mount(container, { navigate, params = [] }) {
  const [duplicateOf] = params;
  if (!duplicateOf) {
    build(container, navigate, null);
    return undefined;
  }
  // A duplicate: the form is built once the draft and the original's name are here.
  let alive = true;
  replaceChildren(container, h('p', { class: 'muted', testid: 'duplicate-loading' }, t('common.loading')));
  Promise.all([api.duplicateDraft({ id: duplicateOf }), api.getToken({ id: duplicateOf })]).then(
    ([draft, original]) => { if (alive) build(container, navigate, { draft, original }); },
    (error) => {
      if (!alive) return;
      replaceChildren(container,
        h('a', { href: '#/tokens', class: 'back-link', testid: 'back-to-list' }, icon('arrowLeft', { size: 14 }), t('nav.tokens')),
        h('div', { class: 'alert alert-error', role: 'alert', testid: 'duplicate-error' }, errorText(error)));
    },
  );
  return () => { alive = false; };
}

/** Builds the form, empty, or filled from `from` ({ draft, original }) for a duplicate. */
function build(container, navigate, from) {
  const draft = from ? from.draft : null;
  let step = 1;
  let busy = false;
  // Numbers accepted by checkPhone, waiting for the token to exist: { country, number, formatted }.
  let pending = [];

  // Step 1
  const name = field({
    name: 'name',
    label: t('create.name'),
    hint: t('create.nameHint'),
    control: h('input', { id: 'token-name', class: 'input', type: 'text', autocomplete: 'off', spellcheck: 'false', testid: 'field-name' }),
  });
  const environment = createEnvironmentField(draft ? draft.environment : 'live');
  const expiry = createExpiryField({ initial: draft ? draft.expiry : initialExpiry() });
  const counter = h('span', { class: 'counter', testid: 'description-counter', 'aria-live': 'polite' });
  const description = field({
    name: 'description',
    label: t('create.description'),
    optional: t('common.optional'),
    hint: t('create.descriptionHint'),
    control: h('textarea', { id: 'token-description', class: 'input textarea', rows: 3, testid: 'field-description', onInput: updateCounter }),
  });
  description.element.append(counter);

  // Step 2
  const composition = createCompositionEditor({
    triples: draft ? draft.composition : [],
    onChange: () => { pending = pending.filter((n) => countriesOf(composition.getTriples()).includes(n.country)); },
    confirmRemoveCountry: confirmDropNumbers,
  });

  // Step 3
  const numberCountry = h('select', { id: 'number-country', class: 'select', testid: 'field-number-country' });
  const phoneInput = h('input', {
    id: 'number-phone', class: 'input', type: 'tel', autocomplete: 'off', inputmode: 'tel', testid: 'field-phone',
    placeholder: t('numbers.phonePlaceholder'),
    onKeydown: (event) => { if (event.key === 'Enter') { event.preventDefault(); addPending(); } },
  });
  const phone = field({ name: 'phone', label: t('numbers.phone'), control: phoneInput });
  const addButton = h('button', { type: 'button', class: 'btn', testid: 'add-number', onClick: addPending }, icon('plus'), t('numbers.add'));
  const pendingList = h('div', { class: 'number-groups', testid: 'pending-numbers' });

  const stepper = h('ol', { class: 'stepper', testid: 'stepper' });
  const panel = h('div', { class: 'step-panel' });
  const formError = h('div', { class: 'alert alert-error', role: 'alert', testid: 'create-error', hidden: true });
  const back = h('button', { type: 'button', class: 'btn', testid: 'step-back', onClick: () => go(step - 1) }, icon('arrowLeft'), t('create.back'));
  const nextButton = h('button', { type: 'button', class: 'btn btn-primary', testid: 'step-next', onClick: () => next() }, t('create.next'), icon('chevronRight'));
  const generate = h('button', { type: 'button', class: 'btn btn-primary', testid: 'generate', onClick: submit }, icon('key'), t('create.generate'));
  const cancel = h('button', { type: 'button', class: 'btn btn-ghost', testid: 'cancel-create', onClick: () => navigate('#/tokens') }, t('common.cancel'));

  const form = h('form', { class: 'create-form', novalidate: true, onSubmit: (event) => { event.preventDefault(); if (step < 3) next(); } },
    stepper, panel, formError,
    h('div', { class: 'form-footer' }, cancel, h('div', { class: 'form-footer-right' }, back, nextButton, generate)));

  replaceChildren(container,
    h('header', { class: 'page-header' },
      h('div', {},
        h('a', { href: '#/tokens', class: 'back-link', testid: 'back-to-list' }, icon('arrowLeft', { size: 14 }), t('nav.tokens')),
        h('h1', { class: 'page-title', testid: 'create-title' }, from ? t('create.duplicateTitle', { name: from.original.name }) : t('create.title')),
        h('p', { class: 'page-subtitle' }, t('create.subtitle')))),
    from ? h('div', { class: 'alert alert-info create-form-note', role: 'note', testid: 'duplicate-note' },
      icon('info'), h('span', {}, t('create.duplicateNote', { name: from.original.name }))) : null,
    form);
  if (draft) {
    name.control.value = draft.name;
    description.control.value = draft.description || '';
  }

  function updateCounter() {
    const length = description.control.value.length;
    counter.textContent = `${length} / ${MAX_DESCRIPTION}`;
    counter.classList.toggle('counter-over', length > MAX_DESCRIPTION);
  }

  function renderStepper() {
    const labels = [t('create.step1'), t('create.step2'), t('create.step3')];
    replaceChildren(stepper, labels.map((label, index) => {
      const number = index + 1;
      const status = number < step ? 'done' : number === step ? 'current' : 'todo';
      const content = [h('span', { class: 'step-number', 'aria-hidden': 'true' }, status === 'done' ? icon('check', { size: 14 }) : String(number)),
        h('span', { class: 'step-label' }, label)];
      return h('li', { class: `step step-${status}`, 'aria-current': status === 'current' ? 'step' : null },
        status === 'done'
          ? h('button', { type: 'button', class: 'step-button', testid: `stepper-step-${number}`, onClick: () => go(number) }, content)
          : h('span', { class: 'step-button', testid: `stepper-step-${number}` }, content));
    }));
  }

  function stepContent() {
    if (step === 1) {
      return h('section', { class: 'card form-card', testid: 'step-1', 'aria-labelledby': 'step-title' },
        h('h2', { id: 'step-title', class: 'section-title' }, t('create.step1')),
        name.element, environment.element, expiry.element, description.element);
    }
    if (step === 2) {
      return h('section', { class: 'card form-card', testid: 'step-2', 'aria-labelledby': 'step-title' },
        h('h2', { id: 'step-title', class: 'section-title' }, t('create.step2')),
        h('p', { class: 'section-help' }, t('create.compositionHelp')),
        composition.element);
    }
    renderNumberCountries();
    renderPending();
    return h('section', { class: 'card form-card', testid: 'step-3', 'aria-labelledby': 'step-title' },
      h('h2', { id: 'step-title', class: 'section-title' }, t('create.step3'), h('span', { class: 'optional' }, t('common.optional'))),
      h('p', { class: 'section-help' }, t('create.numbersHelp')),
      from ? h('p', { class: 'section-help', testid: 'duplicate-numbers-note' }, t('create.duplicateNumbers', { name: from.original.name })) : null,
      h('div', { class: 'add-number-row' },
        h('div', { class: 'field' },
          h('label', { class: 'label', for: 'number-country' }, t('numbers.country')), numberCountry),
        phone.element,
        h('div', { class: 'field field-button' }, addButton)),
      pendingList);
  }

  function go(target) {
    step = Math.min(3, Math.max(1, target));
    formError.hidden = true;
    renderStepper();
    replaceChildren(panel, stepContent());
    back.hidden = step === 1;
    nextButton.hidden = step === 3;
    generate.hidden = step !== 3;
    const heading = panel.querySelector('h2');
    heading.setAttribute('tabindex', '-1');
    heading.focus({ preventScroll: true });
  }

  function validateStep1() {
    let ok = true;
    const value = name.control.value.trim();
    name.setError(null);
    description.setError(null);
    if (!value) {
      name.setError(t('create.errorNameRequired'));
      ok = false;
    } else if ([...value].length > 100) {
      name.setError(t('create.errorNameLong'));
      ok = false;
    }
    if (description.control.value.length > MAX_DESCRIPTION) {
      description.setError(t('create.errorDescriptionLong'));
      ok = false;
    }
    const chosen = expiry.read();
    if (!chosen) ok = false;
    if (!ok) panel.querySelector('[aria-invalid="true"]')?.focus();
    return ok;
  }

  function validateStep2() {
    if (composition.getTriples().length > 0) return true;
    composition.setError(t('create.errorComposition'));
    composition.focus();
    return false;
  }

  let checkingName = false;
  async function next() {
    if (checkingName) return;
    if (step === 1) {
      if (!validateStep1()) return;
      checkingName = true;
      nextButton.disabled = true;
      let holder;
      try {
        holder = await currentTokenNamed(name.control.value.trim());
      } finally {
        checkingName = false;
        nextButton.disabled = false;
      }
      if (holder) {
        name.setError(t('create.errorNameTaken', { name: holder.name }));
        name.control.focus();
        return;
      }
    }
    if (step === 2 && !validateStep2()) return;
    go(step + 1);
  }

  async function confirmDropNumbers(iso) {
    const count = pending.filter((n) => n.country === iso).length;
    if (count === 0) return true;
    return confirmDialog({
      title: t('composition.removeCountryTitle', { country: countryName(iso) }),
      message: t('composition.removeNumbersToo', { count, country: countryName(iso) }),
      confirmLabel: t('composition.removeCountryConfirm'),
      danger: true,
      testid: 'confirm-remove-country',
    });
  }

  function renderNumberCountries() {
    const previous = numberCountry.value;
    const countries = countriesOf(composition.getTriples());
    replaceChildren(numberCountry, countries.map((iso) =>
      h('option', { value: iso, selected: iso === previous }, `${countryName(iso)} (${state.catalog.countries.find((c) => c.iso === iso)?.calling_code || ''})`)));
  }

  function renderPending() {
    const countries = countriesOf(composition.getTriples()).filter((iso) => pending.some((n) => n.country === iso));
    if (countries.length === 0) {
      replaceChildren(pendingList, h('p', { class: 'muted empty-line', testid: 'pending-empty' }, t('create.noNumbers')));
      return;
    }
    replaceChildren(pendingList, countries.map((iso) => h('section', { class: 'number-group', 'data-country': iso },
      h('h3', { class: 'number-group-title' }, countryLabel(iso)),
      h('ul', { class: 'number-list' }, pending.filter((n) => n.country === iso).map((n) =>
        h('li', { class: 'number-item', testid: 'pending-number', 'data-number': n.number },
          h('span', { class: 'mono' }, n.formatted),
          h('button', {
            type: 'button', class: 'btn-icon btn-icon-sm btn-icon-danger', testid: 'remove-pending-number', 'data-number': n.number,
            'aria-label': t('numbers.removeNamed', { number: n.formatted }), title: t('numbers.remove'),
            onClick: () => { pending = pending.filter((p) => p.number !== n.number); renderPending(); phoneInput.focus(); },
          }, icon('x', { size: 14 }))))))));
  }

  async function addPending() {
    const country = numberCountry.value;
    const raw = phoneInput.value.trim();
    phone.setError(null);
    if (!raw) {
      phone.setError(t('numbers.errorRequired'));
      phoneInput.focus();
      return;
    }
    addButton.disabled = true;
    try {
      const result = await api.checkPhone({ country, phone: raw });
      if (result.taken_by) {
        phone.setError(t('numbers.takenBy', { name: result.taken_by.name, status: t(`status.${result.taken_by.status.toLowerCase()}`) }));
      } else if (pending.some((n) => n.number === result.number)) {
        phone.setError(t('numbers.alreadyListed', { number: result.formatted }));
      } else {
        pending.push({ country, number: result.number, formatted: result.formatted });
        phoneInput.value = '';
        renderPending();
      }
    } catch (error) {
      phone.setError(errorText(error));
    } finally {
      addButton.disabled = false;
      phoneInput.focus();
    }
  }

  function showServerError(error) {
    const target = STEP_OF_FIELD[error.field];
    if (!target) {
      formError.hidden = false;
      formError.textContent = errorText(error);
      return;
    }
    go(target);
    const message = errorText(error);
    if (error.field === 'name') name.setError(message);
    else if (error.field === 'description') description.setError(message);
    else if (error.field === 'environment') environment.setError(message);
    else if (error.field === 'expiry') expiry.setError(message);
    else if (error.field === 'composition') composition.setError(message);
    else phone.setError(message);
    panel.querySelector('[aria-invalid="true"]')?.focus();
  }

  async function submit() {
    if (busy) return;
    const chosenExpiry = expiry.read();
    if (!chosenExpiry) { go(1); validateStep1(); return; }
    busy = true;
    generate.disabled = true;
    formError.hidden = true;
    try {
      const result = await api.createToken({
        request: {
          name: name.control.value.trim(),
          description: description.control.value,
          environment: environment.read(),
          expiry: chosenExpiry,
          composition: composition.getTriples(),
          numbers: pending.map((n) => ({ country: n.country, phone: n.number })),
        },
      });
      showNewToken(result.token.id);
      openSecretDialog(result.token, result.secret, { onDone: () => navigate('#/tokens') });
    } catch (error) {
      showServerError(error);
    } finally {
      busy = false;
      generate.disabled = false;
    }
  }

  updateCounter();
  go(1);
  name.control.focus();
}

/**
 * Step 1's environment: Live (real payments, the default) or Sandbox (test payments and the local
 * sandbox gateway), with a line that says what the one chosen means.
 * Returns { element, read, setError }.
 */
function createEnvironmentField(initial) {
  let chosen = ENVIRONMENTS.includes(initial) ? initial : 'live';
  const group = uid('environment');
  const help = h('p', { class: 'hint-text', id: 'hint-environment', testid: 'environment-help', 'aria-live': 'polite' });
  const errorEl = h('p', { class: 'field-error', id: 'error-environment', testid: 'error-environment', hidden: true });
  const segmented = h('div', { class: 'segmented', role: 'radiogroup', 'aria-describedby': 'hint-environment error-environment' });
  // As in the expiry chooser: WebKit does not match :focus-visible on a radio the arrow keys moved to.
  segmented.addEventListener('keydown', () => { segmented.dataset.keyboard = 'true'; });
  segmented.addEventListener('pointerdown', () => { delete segmented.dataset.keyboard; });
  const update = () => {
    help.replaceChildren(environmentChip(chosen), ' ', t(chosen === 'sandbox' ? 'environment.sandboxHelp' : 'environment.liveHelp'));
  };
  for (const value of ENVIRONMENTS) {
    const id = uid('environment-option');
    segmented.append(h('span', { class: 'segment' },
      h('input', {
        type: 'radio', name: group, id, value, checked: value === chosen, testid: `environment-${value}`,
        onChange: () => { chosen = value; errorEl.hidden = true; update(); },
      }),
      h('label', { for: id }, t(`environment.${value}`))));
  }
  update();
  const element = h('fieldset', { class: 'field fieldset', testid: 'field-environment' },
    h('legend', { class: 'label' }, t('environment.label')), segmented, help, errorEl);
  return {
    element,
    read: () => chosen,
    setError(message) {
      errorEl.hidden = !message;
      errorEl.textContent = message || '';
    },
  };
}
