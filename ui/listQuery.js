// The page of the token list on screen: its filter, search, sort and place, kept across
// navigation so coming back from a token shows the same page, scrolled where it was. main.js asks
// for this page at the start, and the list view asks for it on every load, so the two requests are
// the same query.
export const PAGE_SIZE = 50;

export const query = { status: 'current', search: '', sort: 'created_at', descending: true, offset: 0 };

/** The list_tokens query of the page the list shows. */
export function pageQuery() {
  return {
    status: query.status,
    search: query.search.trim() || null,
    sort: query.sort,
    descending: query.descending,
    offset: query.offset,
    limit: PAGE_SIZE,
  };
}

/**
 * Where the list was scrolled when the merchant left it (`top`, in px), and the page that was
 * (`key`, from `pageKey`): the list opens there again when it shows the same page.
 */
export const place = { key: '', top: 0 };

/** Names the page a query asks for, to tell whether a kept scroll position belongs to it. */
export const pageKey = (asked) => JSON.stringify(asked);
