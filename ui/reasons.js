// Plain-language sentences for authorize results, built from the reason code and the names
// of the country, operator and method that were checked.
import { t, hasKey } from './i18n.js';
import { countryName, operatorName, methodName } from './state.js';

/** `check` is { country, operator, method, phone } as codes; `tokenName` may be null. */
export function reasonSentence(reason, check, tokenName = null) {
  const params = {
    country: check.country ? countryName(check.country) : '',
    operator: check.operator ? operatorName(check.country, check.operator) : '',
    method: check.method ? methodName(check.method) : '',
    phone: check.phone || '',
    name: tokenName || '',
  };
  const key = `reason.${reason}`;
  return hasKey(key) ? t(key, params) : t('reason.other', { reason });
}

/** A short label for a reason code (history timeline). */
export function reasonLabel(reason) {
  const key = `reasonShort.${reason}`;
  return hasKey(key) ? t(key) : reason;
}
