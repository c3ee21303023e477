// The only module that talks to the Rust side. One function per command of docs/ipc.md;
// every failure is rejected as { kind, message, field }.

function normaliseError(raw) {
  if (raw && typeof raw === 'object' && typeof raw.kind === 'string') {
    return { kind: raw.kind, message: String(raw.message ?? ''), field: raw.field ?? null };
  }
  const message = typeof raw === 'string' ? raw : (raw && raw.message) || 'Unknown error';
  // Tauri refuses arguments it cannot decode before the command runs, with a plain string:
  // "invalid args `request` for command `create_token`: ...".
  const badArgs = typeof raw === 'string' && raw.match(/^invalid args `(\w+)`/);
  if (badArgs) return { kind: 'invalid_args', message, field: badArgs[1] };
  return { kind: 'internal', message, field: null };
}

async function call(command, args) {
  const tauri = window.__TAURI__;
  if (!tauri || !tauri.core) {
    throw { kind: 'internal', message: 'The desktop shell is not available', field: null };
  }
  try {
    return await tauri.core.invoke(command, args);
  } catch (raw) {
    throw normaliseError(raw);
  }
}

export const appInfo = () => call('app_info');
export const getCatalog = () => call('get_catalog');
export const previewCatalog = ({ json }) => call('preview_catalog', { json });
export const importCatalog = ({ json }) => call('import_catalog', { json });
// A page of the list asked for ahead (by main.js with the other start calls, by the list view
// before it builds itself); the list view's next request takes this answer when it asks for the
// same page, and asks again otherwise.
let earlyListPage = null;
export function prefetchListTokens({ query }) {
  const key = JSON.stringify(query);
  if (earlyListPage && earlyListPage.key === key) return;
  earlyListPage = { key, answer: call('list_tokens', { query }) };
  // A failure is reported to the list view when it takes the answer, not here.
  earlyListPage.answer.catch(() => {});
}
export const listTokens = ({ query }) => {
  const early = earlyListPage;
  earlyListPage = null;
  if (early && early.key === JSON.stringify(query)) return early.answer;
  return call('list_tokens', { query });
};
export const getToken = ({ id }) => call('get_token', { id });
export const tokenHistory = ({ id, before = null, limit = null }) => call('token_history', { id, before, limit });
export const createToken = ({ request }) => call('create_token', { request });
export const copySecret = ({ id }) => call('copy_secret', { id });
export const clipboardOutcome = ({ copy }) => call('clipboard_outcome', { copy });
export const discardSecret = ({ id }) => call('discard_secret', { id });
export const updateToken = ({ id, changes }) => call('update_token', { id, changes });
export const revokeToken = ({ id }) => call('revoke_token', { id });
export const setComposition = ({ id, composition, confirmRemoveNumbers }) =>
  call('set_composition', { id, composition, confirmRemoveNumbers: Boolean(confirmRemoveNumbers) });
export const checkPhone = ({ country, phone }) => call('check_phone', { country, phone });
export const addNumber = ({ id, country, phone }) => call('add_number', { id, country, phone });
export const setNumberEnabled = ({ id, number, enabled }) =>
  call('set_number_enabled', { id, number, enabled });
export const removeNumber = ({ id, number, confirmLiftRestriction = false }) =>
  call('remove_number', { id, number, confirmLiftRestriction: Boolean(confirmLiftRestriction) });
export const rollToken = ({ id, grace }) => call('roll_token', { id, grace });
export const endGrace = ({ id }) => call('end_grace', { id });
export const duplicateDraft = ({ id }) => call('duplicate_draft', { id });
export const authorize = ({ request }) => call('authorize', { request });
export const getSettings = () => call('get_settings');
export const updateSettings = ({ settings }) => call('update_settings', { settings });
export const uiReady = ({ millis, phases = null }) => call('ui_ready', { millis, phases });
export const integrityCheck = () => call('integrity_check');
export const backupNow = () => call('backup_now');
export const listBackups = () => call('list_backups');
export const restoreBackup = ({ file }) => call('restore_backup', { file });
export const sandboxStart = ({ port }) => call('sandbox_start', { port });
export const sandboxStop = () => call('sandbox_stop');
export const sandboxStatus = () => call('sandbox_status');
export const sandboxLog = () => call('sandbox_log');
export const sandboxRevealKey = ({ key }) => call('sandbox_reveal_key', { key });
export const sandboxCopyKey = ({ key }) => call('sandbox_copy_key', { key });
export const sandboxCopyBaseUrl = () => call('sandbox_copy_base_url');
