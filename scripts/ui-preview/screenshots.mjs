// Walks through every screen of the preview with the mock backend and saves screenshots, in
// light and dark. Needs playwright-core (installed outside the repo) and Debian's chromium.
//   python3 -m http.server 8765 &   (from the repository root)
//   PLAYWRIGHT_CORE=/tmp/pw/node_modules/playwright-core node scripts/ui-preview/screenshots.mjs [outdir]
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';

const require = createRequire(import.meta.url);
const { chromium } = require(process.env.PLAYWRIGHT_CORE || '/tmp/pw/node_modules/playwright-core');
const out = process.argv[2] || '/tmp/shots';
const base = process.env.PREVIEW_URL || 'http://localhost:8765/scripts/ui-preview/index.html';
mkdirSync(out, { recursive: true });

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const problems = [];

async function open(query, hash = '#/tokens', lang = 'en') {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: lang === 'fr' ? 'fr-FR' : 'en-GB' });
  page.on('console', (m) => { if (['error', 'warning'].includes(m.type())) problems.push(`${query}${hash}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`${query}${hash}: ${e.message}`));
  await page.goto(`${base}?${query}${hash}`);
  await page.waitForTimeout(400);
  return page;
}

const shot = (page, name) => page.screenshot({ path: `${out}/${name}.png` });
const tid = (id) => `[data-testid="${id}"]`;
const row = (page, name) => page.locator(tid('token-row')).filter({ hasText: name });

for (const theme of ['light', 'dark']) {
  const lang = theme === 'dark' ? 'fr' : 'en';
  const q = `theme=${theme}&lang=${lang}`;
  let page = await open(q, '#/tokens', lang);
  await shot(page, `${theme}-01-list`);
  await row(page, 'shop-website').locator(tid('view-composition')).click();
  await page.waitForTimeout(300);
  await page.hover(tid('composition-card'));
  await shot(page, `${theme}-04-composition`);
  await page.keyboard.press('Escape');
  await row(page, 'shop-website').locator(tid('manage-numbers')).click();
  await page.waitForTimeout(300);
  await page.fill(`${tid('numbers-dialog')} ${tid('field-phone')}`, '771234567');
  await page.selectOption(`${tid('numbers-dialog')} ${tid('field-number-country')}`, 'SN');
  await page.click(`${tid('numbers-dialog')} ${tid('add-number')}`);
  await page.waitForTimeout(300);
  await shot(page, `${theme}-05-numbers`);
  await page.keyboard.press('Escape');
  await row(page, 'shop-website').locator(tid('revoke-token')).click();
  await page.waitForTimeout(200);
  await shot(page, `${theme}-06-revoke`);
  await page.keyboard.press('Escape');
  await row(page, 'shop-website').locator(tid('cell-name')).click();
  await page.waitForTimeout(400);
  await shot(page, `${theme}-07-details`);
  await page.goto(`${base}?${q}#/new`);
  await page.waitForTimeout(300);
  await page.click(tid('step-next'));
  await shot(page, `${theme}-02a-step1-errors`);
  await page.fill(tid('field-name'), 'new-shop');
  await page.click(tid('duration-never'));
  await page.fill(tid('field-description'), 'Online shop, second site');
  await shot(page, `${theme}-02b-step1`);
  await page.click(tid('step-next'));
  await page.click(tid('add-composition'));
  await page.selectOption(tid('picker-country'), 'CI');
  await page.click(`${tid('picker-all-methods')}[data-operator="OM"]`);
  await page.click(`${tid('picker-method')}[data-operator="WAVE"][data-method="MERCHANT"]`);
  await shot(page, `${theme}-02c-picker`);
  await page.click(tid('picker-save'));
  await page.click(tid('add-composition'));
  await page.selectOption(tid('picker-country'), 'ML');
  await page.click(`${tid('picker-all-methods')}[data-operator="MOOV"]`);
  await page.click(tid('picker-save'));
  await page.hover(`${tid('composition-card')}[data-country="CI"]`);
  await shot(page, `${theme}-02d-step2`);
  await page.click(tid('step-next'));
  await page.fill(tid('field-phone'), '07 07 07 07 07');
  await page.click(tid('add-number'));
  await page.waitForTimeout(200);
  await page.fill(tid('field-phone'), '05 44 55 66 77');
  await page.click(tid('add-number'));
  await page.waitForTimeout(200);
  await page.fill(tid('field-phone'), '12345');
  await page.click(tid('add-number'));
  await page.waitForTimeout(200);
  await shot(page, `${theme}-02e-step3`);
  await page.fill(tid('field-phone'), '');
  await page.click(tid('generate'));
  await page.waitForTimeout(300);
  await page.click(tid('copy-secret'));
  await page.waitForTimeout(300);
  await shot(page, `${theme}-03-secret`);
  await page.click(tid('secret-done'));
  await page.waitForTimeout(300);
  await shot(page, `${theme}-01b-list-after-create`);
  await page.close();

  page = await open(q, '#/check', lang);
  const secret = await page.evaluate(() => window.__mockSecrets['shop-website']);
  await page.fill(tid('check-token'), secret);
  await page.selectOption(tid('check-country'), 'ML');
  await page.selectOption(tid('check-operator'), 'OM');
  await page.selectOption(tid('check-method'), 'MERCHANT');
  await page.click(tid('check-submit'));
  await page.waitForTimeout(300);
  await shot(page, `${theme}-09a-check-denied`);
  await page.fill(tid('check-token'), secret);
  await page.selectOption(tid('check-country'), 'CI');
  await page.selectOption(tid('check-operator'), 'OM');
  await page.selectOption(tid('check-method'), 'MERCHANT');
  await page.fill(tid('check-phone'), '0707070707');
  await page.click(tid('check-submit'));
  await page.waitForTimeout(300);
  await shot(page, `${theme}-09b-check-allowed`);
  await page.close();

  page = await open(q, '#/settings', lang);
  await shot(page, `${theme}-08-settings`);
  await page.close();

  page = await open(`${q}&empty=1`, '#/tokens', lang);
  await shot(page, `${theme}-01c-empty`);
  await page.close();
}

const big = await open('tokens=10000&theme=light&lang=en', '#/tokens');
await big.waitForTimeout(600);
const ready = await big.evaluate(() => window.__uiReadyMillis);
const rows = await big.locator(tid('token-row')).count();
const range = await big.textContent(tid('list-range'));
await shot(big, 'light-01d-list-10000');
console.log(`10,000 tokens: ${rows} rows rendered, range "${range}", uiReady ${Math.round(ready)} ms`);

await browser.close();
for (const p of problems) console.log(`console: ${p}`);
console.log(`screenshots in ${out}`);
