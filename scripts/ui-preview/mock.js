// In-memory mock of window.__TAURI__.core.invoke implementing docs/ipc.md, for looking at ui/
// in a plain browser. Query parameters: tokens=N (generate N extra tokens), empty=1, lang=en|fr,
// theme=light|dark, locale=fr-FR (the "OS" locale), latency=ms.
import { catalog as shippedCatalog } from './catalog.js';

const params = new URLSearchParams(location.search);
const LATENCY = Number(params.get('latency') ?? 40);
const DAY = 24 * 3600 * 1000;
const now = () => Date.now();
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

let catalog = structuredClone(shippedCatalog);
let settings = {
  clipboard_clear_secs: 30,
  default_duration_days: 30,
  language: params.get('lang') || 'system',
  theme: params.get('theme') || 'system',
};
const tokens = new Map();
let mockCopies = 0;
const pendingSecrets = new Map();
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

class CommandError {
  constructor(kind, message, field = null) {
    Object.assign(this, { kind, message, field });
  }
}

// Phone rules: national significant number patterns (simplified from libphonenumber).
const PHONE = {
  CI: /^0[157]\d{8}$/, SN: /^7[05678]\d{7}$/, ML: /^[5-9]\d{7}$/, BF: /^[5-7]\d{7}$/, BJ: /^01\d{8}$/,
  TG: /^[79]\d{7}$/, CM: /^6\d{8}$/, GN: /^6\d{8}$/, NE: /^[89]\d{7}$/, CG: /^0[46]\d{7}$/,
  GA: /^[67]\d{7}$/, GH: /^[25]\d{8}$/, KE: /^[17]\d{8}$/,
};

function crc32(text) {
  let crc = ~0;
  for (let i = 0; i < text.length; i += 1) {
    crc ^= text.charCodeAt(i);
    for (let k = 0; k < 8; k += 1) crc = (crc >>> 1) ^ (0xEDB88320 & -(crc & 1));
  }
  return (~crc) >>> 0;
}

function base62(n, width) {
  let out = '';
  for (let i = 0; i < width; i += 1) { out = BASE62[n % 62] + out; n = Math.floor(n / 62); }
  return out;
}

function newSecret() {
  const bytes = crypto.getRandomValues(new Uint8Array(43));
  const body = `clp_${[...bytes].map((b) => BASE62[b % 62]).join('')}`;
  return body + base62(crc32(body), 6);
}

const validSecret = (s) => /^clp_[0-9A-Za-z]{49}$/.test(s) && base62(crc32(s.slice(0, 47)), 6) === s.slice(47);

function status(token) {
  if (token.revoked_at) return 'REVOKED';
  if (token.expires_at && Date.parse(token.expires_at) <= now()) return 'EXPIRED';
  return 'ACTIVE';
}

function countryOf(code) {
  return catalog.countries.find((c) => c.iso === code);
}

function normalisePhone(country, raw) {
  const c = countryOf(country);
  if (!c) throw new CommandError('not_in_catalog', `Country ${country} is not in the catalog`, 'phone');
  const text = String(raw).trim();
  if (/ext|x|#|;/i.test(text)) throw new CommandError('invalid_phone', 'Phone numbers with an extension are not accepted', 'phone');
  if (/[^\d\s+().-]/.test(text)) throw new CommandError('invalid_phone', `"${text}" contains characters that are not part of a phone number`, 'phone');
  let digits = text.replace(/[^\d+]/g, '');
  const cc = c.calling_code.slice(1);
  if (digits.startsWith('+')) {
    if (!digits.startsWith(`+${cc}`)) throw new CommandError('invalid_phone', `This number is not a ${c.name} number (${c.calling_code})`, 'phone');
    digits = digits.slice(cc.length + 1);
  } else if (digits.startsWith(`00${cc}`)) digits = digits.slice(cc.length + 2);
  if (!PHONE[country].test(digits)) {
    throw new CommandError('invalid_phone', `${text} is not a valid ${c.name} phone number`, 'phone');
  }
  const groups = digits.length % 2 === 0 ? digits.match(/.{2}/g) : [digits.slice(0, 1), ...digits.slice(1).match(/.{2}/g)];
  return { number: `+${cc}${digits}`, formatted: `${c.calling_code} ${groups.join(' ')}` };
}

function holderOf(number, exceptId = null) {
  for (const t of tokens.values()) {
    if (t.id !== exceptId && status(t) !== 'REVOKED' && t.numbers.some((n) => n.number === number)) return t;
  }
  return null;
}

function cards(triples) {
  const out = [];
  for (const t of triples) {
    let card = out.find((c) => c.country === t.country);
    if (!card) out.push(card = { country: t.country, operators: [] });
    let op = card.operators.find((o) => o.operator === t.operator);
    if (!op) card.operators.push(op = { operator: t.operator, methods: [] });
    op.methods.push(t.method);
  }
  return out;
}

function summary(t) {
  return {
    id: t.id, name: t.name, description: t.description, hint: t.hint, status: status(t),
    created_at: t.created_at, expires_at: t.expires_at, revoked_at: t.revoked_at, last_used_at: t.last_used_at,
    countries: [...new Set(t.composition.map((x) => x.country))], triple_count: t.composition.length,
    number_count: t.numbers.length, enabled_number_count: t.numbers.filter((n) => n.enabled).length,
  };
}

const details = (t) => ({ ...summary(t), composition: cards(t.composition), numbers: t.numbers.map((n) => ({ ...n })) });

function event(t, kind, detail = {}, at = now()) {
  t.history.push({ id: `${t.id}-${t.history.length + 1}`, at: iso(at), kind, detail });
}

function getTokenOrFail(id) {
  const t = tokens.get(id);
  if (!t) throw new CommandError('not_found', 'No token has this id');
  return t;
}

function editable(id) {
  const t = getTokenOrFail(id);
  if (status(t) === 'REVOKED') throw new CommandError('token_revoked', `The token ${t.name} is revoked and cannot be changed`);
  return t;
}

function checkName(name, exceptId = null) {
  const trimmed = String(name ?? '').trim();
  if (!trimmed) throw new CommandError('invalid_name', 'The name is empty', 'name');
  if ([...trimmed].length > 100) throw new CommandError('invalid_name', 'The name is longer than 100 characters', 'name');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new CommandError('invalid_name', 'The name contains control characters', 'name');
  for (const t of tokens.values()) {
    if (t.id !== exceptId && status(t) !== 'REVOKED' && t.name.toLowerCase() === trimmed.toLowerCase()) {
      throw new CommandError('name_taken', `Another token is already named ${t.name}`, 'name');
    }
  }
  return trimmed;
}

function checkDescription(text) {
  const value = String(text ?? '');
  if (value.length > 1000) throw new CommandError('invalid_description', 'The description is longer than 1000 characters', 'description');
  return value;
}

function expiryAt(expiry) {
  if (!expiry || expiry.kind === 'never') return null;
  if (expiry.kind === 'days') {
    if (!(expiry.days >= 1 && expiry.days <= 3650)) throw new CommandError('invalid_expiry', 'The duration must be between 1 and 3650 days', 'expiry');
    return iso(now() + expiry.days * DAY);
  }
  const [y, m, d] = String(expiry.date).split('-').map(Number);
  const end = new Date(y, m - 1, d, 23, 59, 59);
  if (Number.isNaN(end.getTime())) throw new CommandError('invalid_expiry', `${expiry.date} is not a date`, 'expiry');
  if (end.getTime() <= now()) throw new CommandError('invalid_expiry', `${expiry.date} is in the past`, 'expiry');
  return iso(end.getTime());
}

function checkComposition(triples) {
  if (!triples.length) throw new CommandError('empty_composition', 'The composition is empty: add at least one country, operator and method', 'composition');
  for (const t of triples) {
    const op = countryOf(t.country)?.operators.find((o) => o.code === t.operator);
    if (!op || ![...op.methods, ...op.unverified_methods].includes(t.method)) {
      throw new CommandError('not_in_catalog', `${t.country} / ${t.operator} / ${t.method} is not in the catalog`, 'composition');
    }
  }
  return triples.map((t) => ({ ...t }));
}

function addNumberTo(t, country, phone) {
  if (!t.composition.some((x) => x.country === country)) {
    throw new CommandError('country_not_in_composition', `${countryOf(country)?.name ?? country} is not in the composition of ${t.name}`, 'phone');
  }
  const { number, formatted } = normalisePhone(country, phone);
  const holder = holderOf(number);
  if (holder) {
    throw new CommandError('number_taken', `${formatted} is already whitelisted on the token ${holder.name} (${status(holder)})`, 'phone');
  }
  t.numbers.push({ number, formatted, country, enabled: true, added_at: iso(now()) });
  event(t, 'number_added', { number, formatted, country });
}

function makeToken({ name, description, composition, createdAt, expiresAt, lastUsedAt = null, revokedAt = null }) {
  const secret = newSecret();
  const id = `01J${base62(crc32(secret), 6).toUpperCase()}${base62(crc32(name), 6).toUpperCase()}${String(tokens.size).padStart(6, '0')}`;
  const t = {
    id, name, description, hint: `clp_…${secret.slice(43, 47)}`, digest: secret,
    created_at: iso(createdAt), expires_at: expiresAt === null ? null : iso(expiresAt),
    revoked_at: revokedAt ? iso(revokedAt) : null, last_used_at: lastUsedAt ? iso(lastUsedAt) : null,
    composition, numbers: [], history: [],
  };
  tokens.set(id, t);
  event(t, 'created', {}, createdAt);
  return { t, secret };
}

const tri = (country, operators, methods) => operators.flatMap((operator) => methods.map((method) => ({ country, operator, method })));

function seed() {
  if (params.get('empty')) return;
  const samples = [
    { name: 'shop-website', description: 'Checkout of the online shop (Abidjan and Dakar)', composition: [...tri('CI', ['OM', 'MTN', 'WAVE'], ['MERCHANT']), ...tri('SN', ['OM', 'WAVE'], ['MERCHANT'])], created: -40, expires: 50, used: -0.12 },
    { name: 'payouts-server', description: 'Weekly supplier payouts', composition: [...tri('ML', ['OM', 'MOOV'], ['CASHIN']), ...tri('BF', ['OM'], ['CASHIN', 'MERCHANT'])], created: -75, expires: 15, used: -2 },
    { name: 'pos-terminal-01', description: 'Point-of-sale terminal, Plateau store', composition: tri('CI', ['OM', 'WAVE'], ['MERCHANT', 'CASHIN']), created: -12, expires: null, used: -0.01 },
    { name: 'mobile-app', description: 'Customer app, pay-ins only', composition: [...tri('CM', ['MTN', 'OM'], ['MERCHANT']), ...tri('GH', ['MTN'], ['MERCHANT'])], created: -200, expires: -10, used: -11 },
    { name: 'old-integration', description: 'Replaced by shop-website', composition: tri('SN', ['OM'], ['MERCHANT']), created: -300, expires: 60, used: -120, revoked: -30 },
    { name: 'kenya-pilot', description: '', composition: tri('KE', ['MPESA'], ['MERCHANT', 'CASHIN']), created: -3, expires: 27, used: null },
  ];
  for (const s of samples) {
    const { t, secret } = makeToken({
      name: s.name, description: s.description, composition: s.composition,
      createdAt: now() + s.created * DAY, expiresAt: s.expires === null ? null : now() + s.expires * DAY,
      lastUsedAt: s.used === null ? null : now() + s.used * DAY, revokedAt: s.revoked ? now() + s.revoked * DAY : null,
    });
    window.__mockSecrets = { ...window.__mockSecrets, [s.name]: secret };
    if (s.revoked) event(t, 'revoked', {}, now() + s.revoked * DAY);
  }
  const byName = (n) => [...tokens.values()].find((t) => t.name === n);
  addNumberTo(byName('shop-website'), 'CI', '0707070707');
  addNumberTo(byName('shop-website'), 'CI', '0102030405');
  addNumberTo(byName('shop-website'), 'SN', '771234567');
  byName('shop-website').numbers[1].enabled = false;
  addNumberTo(byName('payouts-server'), 'ML', '76123456');
  const shop = byName('shop-website');
  event(shop, 'used', { country: 'CI', operator: 'OM', method: 'MERCHANT', phone: '+2250707070707' }, now() - 0.12 * DAY);
  event(shop, 'denied', { country: 'CI', operator: 'MOOV', method: 'MERCHANT', reason: 'operator_not_allowed' }, now() - 0.1 * DAY);
  const extra = Number(params.get('tokens') || 0);
  const countries = catalog.countries;
  for (let i = 1; i <= extra; i += 1) {
    const c = countries[i % countries.length];
    makeToken({
      name: `integration-${String(i).padStart(5, '0')}`,
      description: i % 3 ? `Generated token ${i} for ${c.name}` : '',
      composition: tri(c.iso, [c.operators[0].code], ['MERCHANT']),
      createdAt: now() - (i % 400) * DAY - i * 1000,
      expiresAt: i % 7 === 0 ? null : now() + ((i % 120) - 30) * DAY,
      lastUsedAt: i % 4 === 0 ? null : now() - (i % 50) * 3600 * 1000,
    });
  }
}

function compare(sort, descending) {
  return (a, b) => {
    const x = a[sort];
    const y = b[sort];
    if (x === y) return 0;
    if (x === null) return 1;
    if (y === null) return -1;
    const order = sort === 'name' ? x.localeCompare(y) : (x < y ? -1 : 1);
    return descending ? -order : order;
  };
}

function parseCatalog(json) {
  let parsed;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new CommandError('invalid_catalog', `line 1: ${error.message}`, 'catalog');
  }
  if (!parsed.version) throw new CommandError('invalid_catalog', 'missing key "version" at the top level', 'catalog');
  if (!Array.isArray(parsed.countries)) throw new CommandError('invalid_catalog', 'key "countries" must be a list', 'catalog');
  return parsed;
}

const commands = {
  app_info: () => ({ version: '0.1.0-preview', db_path: '/home/merchant/.local/share/app.clapay.tokens/tokens.db', catalog_version: catalog.version, locale: params.get('locale') || navigator.language }),
  get_catalog: () => catalog,
  // The preview's validation is a sketch of the app's (catalog.rs); its changes are the app's.
  preview_catalog: ({ json }) => {
    const parsed = parseCatalog(json);
    const changes = { countries_added: [], countries_removed: [], operators_added: [], operators_removed: [], methods_added: [], methods_removed: [] };
    const byIso = (list) => new Map(list.map((c) => [c.iso, c]));
    const before = byIso(catalog.countries);
    const after = byIso(parsed.countries);
    for (const iso of after.keys()) if (!before.has(iso)) changes.countries_added.push(iso);
    for (const [iso, country] of before) {
      const next = after.get(iso);
      if (!next) { changes.countries_removed.push(iso); continue; }
      const ops = (c) => new Map(c.operators.map((o) => [o.code, o]));
      const was = ops(country);
      const now = ops(next);
      for (const code of now.keys()) if (!was.has(code)) changes.operators_added.push({ country: iso, operator: code });
      for (const [code, operator] of was) {
        const then = now.get(code);
        if (!then) { changes.operators_removed.push({ country: iso, operator: code }); continue; }
        for (const method of then.methods) if (!operator.methods.includes(method)) changes.methods_added.push({ country: iso, operator: code, method });
        for (const method of operator.methods) if (!then.methods.includes(method)) changes.methods_removed.push({ country: iso, operator: code, method });
      }
    }
    return { version: parsed.version, current_version: catalog.version, changes };
  },
  import_catalog: ({ json }) => {
    catalog = parseCatalog(json);
    return catalog;
  },
  list_tokens: ({ query }) => {
    const wanted = { current: ['ACTIVE', 'EXPIRED'], active: ['ACTIVE'], expired: ['EXPIRED'], revoked: ['REVOKED'], all: ['ACTIVE', 'EXPIRED', 'REVOKED'] }[query.status];
    const search = (query.search || '').toLowerCase();
    const items = [...tokens.values()]
      .filter((t) => wanted.includes(status(t)))
      .filter((t) => !search || t.name.toLowerCase().includes(search) || t.description.toLowerCase().includes(search))
      .sort(compare(query.sort, query.descending));
    // Keyset pages, as the core reads them: first, last, or next to a token shown.
    const page = query.page || { kind: 'first' };
    const at = page.cursor ? items.findIndex((t) => t.id === page.cursor) : -1;
    let start = 0;
    if (page.kind === 'after') start = at + 1;
    else if (page.kind === 'before') start = Math.max(0, at - query.limit);
    else if (page.kind === 'last') start = Math.max(0, items.length - query.limit);
    const end = page.kind === 'before' ? Math.max(0, at) : start + query.limit;
    return {
      items: items.slice(start, end).map(summary),
      total: items.length,
      has_previous: start > 0,
      has_next: end < items.length,
    };
  },
  get_token: ({ id }) => details(getTokenOrFail(id)),
  token_history: ({ id, before = null, limit = 20 }) => {
    // A page, newest first, as the shell answers (history is kept oldest first here).
    const all = getTokenOrFail(id).history;
    const end = before === null ? all.length : all.findIndex((e) => e.id === before);
    const older = all.slice(0, end < 0 ? 0 : end).reverse();
    const events = older.slice(0, Math.max(1, Math.min(limit ?? 20, 500))).map((e) => ({ ...e }));
    return { events, older: older.length - events.length };
  },
  create_token: ({ request }) => {
    const name = checkName(request.name);
    const description = checkDescription(request.description);
    const expiresAt = expiryAt(request.expiry);
    const composition = checkComposition(request.composition);
    const draft = { id: 'draft', name, composition, numbers: [], history: [] };
    for (const n of request.numbers) addNumberTo(draft, n.country, n.phone);
    const { t, secret } = makeToken({ name, description, composition, createdAt: now(), expiresAt: expiresAt && Date.parse(expiresAt) });
    t.numbers = draft.numbers;
    pendingSecrets.set(t.id, secret);
    return { token: details(t), secret };
  },
  copy_secret: ({ id }) => {
    if (!pendingSecrets.has(id)) throw new CommandError('not_found', 'The secret of this token is no longer held');
    mockCopies += 1;
    return { clear_after_secs: settings.clipboard_clear_secs, copy: mockCopies };
  },
  // The preview has no clipboard owner: every copy reads as cleared once its delay is over.
  clipboard_outcome: ({ copy }) => (copy === mockCopies ? 'cleared' : 'replaced'),
  discard_secret: ({ id }) => { pendingSecrets.delete(id); return null; },
  update_token: ({ id, changes }) => {
    const t = editable(id);
    if (changes.name !== undefined) { const name = checkName(changes.name, id); if (name !== t.name) { event(t, 'name_changed', { from: t.name, to: name }); t.name = name; } }
    if (changes.description !== undefined) { t.description = checkDescription(changes.description); event(t, 'description_changed'); }
    if (changes.expiry !== undefined) { const from = t.expires_at; t.expires_at = expiryAt(changes.expiry); event(t, 'expiry_changed', { from, to: t.expires_at }); }
    return details(t);
  },
  revoke_token: ({ id }) => {
    const t = editable(id);
    t.revoked_at = iso(now());
    t.numbers = [];
    event(t, 'revoked');
    return details(t);
  },
  set_composition: ({ id, composition, confirmRemoveNumbers }) => {
    const t = editable(id);
    const next = checkComposition(composition);
    const kept = new Set(next.map((x) => x.country));
    const orphans = t.numbers.filter((n) => !kept.has(n.country));
    if (orphans.length && !confirmRemoveNumbers) {
      throw new CommandError('country_has_numbers', `${orphans.length} numbers belong to a country you removed`, 'composition');
    }
    const label = (x) => `${x.country}:${x.operator}:${x.method}`;
    const before = new Set(t.composition.map(label));
    const after = new Set(next.map(label));
    t.numbers = t.numbers.filter((n) => kept.has(n.country));
    t.composition = next;
    event(t, 'composition_changed', {
      added: [...after].filter((x) => !before.has(x)), removed: [...before].filter((x) => !after.has(x)), numbers_removed: orphans.length,
    });
    return details(t);
  },
  check_phone: ({ country, phone }) => {
    const { number, formatted } = normalisePhone(country, phone);
    const holder = holderOf(number);
    return { number, formatted, taken_by: holder ? { id: holder.id, name: holder.name, status: status(holder) } : null };
  },
  add_number: ({ id, country, phone }) => { const t = editable(id); addNumberTo(t, country, phone); return details(t); },
  set_number_enabled: ({ id, number, enabled }) => {
    const t = editable(id);
    const entry = t.numbers.find((n) => n.number === number);
    if (!entry) throw new CommandError('number_not_found', `${number} is not on this token`, 'phone');
    entry.enabled = enabled;
    event(t, enabled ? 'number_enabled' : 'number_disabled', { number, formatted: entry.formatted });
    return details(t);
  },
  remove_number: ({ id, number }) => {
    const t = editable(id);
    const entry = t.numbers.find((n) => n.number === number);
    if (!entry) throw new CommandError('number_not_found', `${number} is not on this token`, 'phone');
    t.numbers = t.numbers.filter((n) => n !== entry);
    event(t, 'number_removed', { number, formatted: entry.formatted });
    return details(t);
  },
  authorize: ({ request }) => {
    const deny = (reason, t = null, message = reason) => {
      if (t) event(t, 'denied', { country: request.country, operator: request.operator, method: request.method, reason });
      return { allowed: false, reason, message, token: t ? { id: t.id, name: t.name } : null };
    };
    if (!validSecret(request.secret)) return deny('malformed');
    const t = [...tokens.values()].find((x) => x.digest === request.secret);
    if (!t) return deny('unknown');
    const s = status(t);
    if (s === 'REVOKED') return deny('revoked', t);
    if (s === 'EXPIRED') return deny('expired', t);
    const inCountry = t.composition.filter((x) => x.country === request.country);
    if (!inCountry.length) return deny('country_not_allowed', t);
    const withOperator = inCountry.filter((x) => x.operator === request.operator);
    if (!withOperator.length) return deny('operator_not_allowed', t);
    if (!withOperator.some((x) => x.method === request.method)) return deny('method_not_allowed', t);
    const numbers = t.numbers.filter((n) => n.country === request.country);
    if (numbers.some((n) => n.enabled)) {
      if (!request.phone) return deny('phone_required', t);
      let number;
      try { number = normalisePhone(request.country, request.phone).number; } catch { return deny('phone_not_whitelisted', t); }
      const entry = numbers.find((n) => n.number === number);
      if (!entry) return deny('phone_not_whitelisted', t);
      if (!entry.enabled) return deny('phone_disabled', t);
    }
    t.last_used_at = iso(now());
    event(t, 'used', { country: request.country, operator: request.operator, method: request.method, phone: request.phone });
    return { allowed: true, reason: null, message: 'Allowed', token: { id: t.id, name: t.name } };
  },
  get_settings: () => ({ ...settings }),
  update_settings: ({ settings: next }) => {
    if (!(Number.isInteger(next.clipboard_clear_secs) && next.clipboard_clear_secs >= 5 && next.clipboard_clear_secs <= 300)) {
      throw new CommandError('invalid_settings', 'The clipboard delay must be between 5 and 300 seconds', 'clipboard_clear_secs');
    }
    settings = { ...next };
    return { ...settings };
  },
  ui_ready: ({ millis }) => { window.__uiReadyMillis = millis; return null; },
  backup_now: () => {
    const at = new Date();
    const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const backup = { file: `tokens-${stamp}.db`, at: at.toISOString(), size: 98304 };
    backups = [backup, ...backups.filter((b) => b.file !== backup.file)].slice(0, 7);
    return { file: backup.file, path: `/preview/backups/${backup.file}`, at: backup.at };
  },
  list_backups: () => backups.map((b) => ({ ...b })),
  restore_backup: ({ file }) => {
    if (!backups.some((b) => b.file === file)) throw new CommandError('not_found', `There is no backup named "${file}"`, null);
    return { file, before_restore: '/preview/tokens.db.before-restore' };
  },
  // The sandbox gateway: no server in the preview, only its status, keys and an empty log.
  sandbox_start: ({ port }) => {
    sandbox.running = true;
    sandbox.port = port || 8787;
    return sandboxStatus();
  },
  sandbox_stop: () => {
    sandbox.running = false;
    return sandboxStatus();
  },
  sandbox_status: () => sandboxStatus(),
  sandbox_log: () => [],
  sandbox_reveal_key: ({ key }) => ({ key: key === 'secret' ? 'nowallet_sk_preview' : 'nowallet_uk_preview' }),
  sandbox_copy_key: () => ({ clear_after_secs: settings.clipboard_clear_secs, copy: 1 }),
  sandbox_copy_base_url: () => ({ clear_after_secs: settings.clipboard_clear_secs, copy: 1 }),
};

const sandbox = { running: false, port: 8787 };
function sandboxStatus() {
  return {
    running: sandbox.running,
    base_url: sandbox.running ? `http://127.0.0.1:${sandbox.port}` : null,
    port: sandbox.running ? sandbox.port : null,
    settle_after_ms: 2000,
    key_source: 'generated',
    payments: 0,
  };
}

// The preview's rolling backups (no real files).
let backups = [];

seed();

window.__TAURI__ = {
  core: {
    invoke(command, args = {}) {
      return new Promise((resolve, reject) => {
        setTimeout(() => {
          try {
            if (!commands[command]) throw new CommandError('internal', `Unknown command ${command}`);
            resolve(structuredClone(commands[command](args)));
          } catch (error) {
            reject(error instanceof CommandError ? { ...error } : { kind: 'internal', message: String(error), field: null });
          }
        }, command === 'ui_ready' ? 0 : LATENCY);
      });
    },
  },
};
