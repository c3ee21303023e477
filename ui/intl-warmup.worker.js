// Started by index.html as the page starts. ICU keeps the data it loads (the locale's bundles, time
// zones, date patterns) for the whole web process, and loading it is most of what the first
// Intl.DateTimeFormat costs: 12-16 ms on the page's thread at the start (BENCHMARKS.md, "App start").
// Done here first, on the worker's own thread, the page's formats (i18n.js prepareFormats) then take
// about a millisecond. The same kinds as the list uses, in the locale the page most likely uses.
// A classic script, not a module: the build copies it as it is (src-tauri/bundle).
const locale = navigator.language;
try {
  new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(0);
  new Intl.RelativeTimeFormat(locale, { numeric: 'auto' }).format(-1, 'day');
  new Intl.NumberFormat(locale).format(1000);
  new Intl.DisplayNames([locale], { type: 'region' }).of('SN');
} catch {
  // A locale ICU does not know: the page falls back to English, and loads that data itself.
}
postMessage('warm');
close();
