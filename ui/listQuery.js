// The page of the token list on screen: its filter, search, sort and place, kept across
// navigation so coming back from a token shows the same page, scrolled where it was. main.js asks
// for this page at the start, and the list view asks for it on every load, so the two requests are
// the same query.
export const PAGE_SIZE = 50;

// `page` is which page to read (keyset paging: `first`, `last`, or `after` / `before` the id of a
// token shown); `position` is the index of its first row in the whole list, which the list keeps
// as it pages (the core reads a page from its neighbour's row, not from an offset).
export const query = { status: 'current', search: '', sort: 'created_at', descending: true, page: { kind: 'first' }, position: 0 };

/** Back to the first page (a new filter, search or sort). */
export function toFirstPage() {
  query.page = { kind: 'first' };
  query.position = 0;
}

/** The list_tokens query of the page the list shows. */
export function pageQuery() {
  return {
    status: query.status,
    search: query.search.trim() || null,
    sort: query.sort,
    descending: query.descending,
    page: query.page,
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
