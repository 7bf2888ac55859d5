// The HQ dashboard in headless Chromium, driven by Playwright (playwright-core) against a
// running HQ and shops started by crates/cli/tests/dashboard_browser.rs, which passes:
// HQ_ORIGIN, ADMIN_USER, ADMIN_PASSWORD, SHOPS (CODE=api base,...), CHROMIUM, SCREENSHOTS.
// Exits non-zero at the first failed check.
import { chromium } from 'playwright-core';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const hq = process.env.HQ_ORIGIN;
const user = process.env.ADMIN_USER;
const password = process.env.ADMIN_PASSWORD;
const shops = Object.fromEntries(process.env.SHOPS.split(',').map((s) => s.split('=')));
const shots = process.env.SCREENSHOTS;
const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

async function api(url, init = {}) {
  const r = await fetch(url, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  return { status: r.status, body };
}

function step(name) {
  console.log(`- ${name}`);
}

/// Cents from an amount as shown in English: "€1,234.56", "-€12.30".
function cents(text) {
  const negative = text.includes('-');
  const digits = text.replace(/[^0-9]/g, '');
  return (negative ? -1 : 1) * Number(digits);
}

async function noSeriousViolations(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`),
    [],
    `axe-core on ${name}`,
  );
}

const userDataDir = mkdtempSync(join(tmpdir(), 'comptoir-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  locale: 'en-GB',
  viewport: { width: 1280, height: 900 },
  // axe-core is injected as a script; the pages' policy forbids scripts (as it should).
  bypassCSP: true,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10000);

  step('signed out: a page sends to the sign-in');
  await page.goto(`${hq}/dashboard/sales`);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/login$/);
  await page.screenshot({ path: join(shots, 'login.png'), fullPage: true });
  await noSeriousViolations(page, 'login');

  step('a wrong password is refused');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', 'not-the-password');
  const [refused] = await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(refused.status(), 401);
  assert.match(await page.textContent('[role=alert]'), /Wrong user or password/);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/login$/);

  step('sign in');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('main button[type=submit]')]);
  assert.match(page.url(), /\/dashboard\/sales/);

  step('the sales page shows the totals per shop that HQ\'s API gives');
  const today = new Date();
  const day = (offset) => new Date(today.getTime() + offset * 86400000).toISOString().slice(0, 10);
  const [from, to] = [day(-2), day(2)];
  const report = await api(`${hq}/api/v1/reports/sales?from=${from}&to=${to}`);
  assert.equal(report.status, 200);
  const expected = {};
  for (const row of report.body.items) {
    expected[row.shop] ??= { tickets: 0, revenue: 0 };
    expected[row.shop].tickets += row.tickets;
    expected[row.shop].revenue += row.revenue;
  }
  assert.deepEqual(Object.keys(expected).sort(), Object.keys(shops).sort(), 'every shop sold');
  await page.goto(`${hq}/dashboard/sales?from=${from}&to=${to}&by=day`);
  const rows = await page.$$eval('#sales-shops tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  const shown = {};
  for (const cells of rows) shown[cells[0]] = { tickets: Number(cells[2].replace(/,/g, '')), revenue: cents(cells[3]) };
  assert.deepEqual(shown, expected);
  const total = Object.values(expected).reduce((a, s) => a + s.revenue, 0);
  assert.equal(cents(await page.textContent('#total-revenue .value')), total, 'headline revenue');
  assert.ok(await page.$('figure.chart svg rect'), 'a chart');
  const payments = await page.$$eval('#sales-payments tbody tr', (trs) => trs.length);
  assert.ok(payments >= 2, 'card and cash');
  const csv = await page.evaluate(async (href) => (await fetch(href)).text(), await page.getAttribute('#sales-shops .csv', 'href'));
  assert.match(csv.split('\n')[0], /^shop,name,tickets,revenue/);
  await page.screenshot({ path: join(shots, 'sales.png'), fullPage: true });
  await noSeriousViolations(page, 'sales');

  step('chain health: every shop online with a verified chain');
  await page.goto(`${hq}/dashboard/health`);
  for (const code of Object.keys(shops)) {
    const row = await page.textContent(`#health tr[data-shop="${code}"]`);
    assert.match(row, /online/, `${code}: ${row}`);
    assert.match(row, /verified/, `${code}: ${row}`);
  }
  await page.screenshot({ path: join(shots, 'health.png'), fullPage: true });
  await noSeriousViolations(page, 'health');

  step('edit an article and see it reach a shop');
  await page.goto(`${hq}/dashboard/catalog?q=A1`);
  await page.screenshot({ path: join(shots, 'catalog.png'), fullPage: true });
  await noSeriousViolations(page, 'catalog');
  await page.click('#articles a:text("A1")');
  await page.fill('input[name=price]', '3.45');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.match(await page.textContent('[role=status]'), /Saved/);
  assert.ok(await page.$('#shop-prices form input[name=csrf]'), 'the per-shop price form carries its CSRF token');
  await page.screenshot({ path: join(shots, 'article.png'), fullPage: true });
  await noSeriousViolations(page, 'article');
  const hqArticle = await api(`${hq}/api/v1/articles/A1`);
  assert.equal(hqArticle.body.price, 345);
  const deadline = Date.now() + 10000;
  for (;;) {
    const a = await api(`${shops.LYON1}/articles/A1`);
    if (a.status === 200 && a.body.price === 345) break;
    assert.ok(Date.now() < deadline, `the new price did not reach LYON1: ${JSON.stringify(a.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }

  step('a form without its CSRF token is refused');
  const forged = await page.evaluate(async (origin) => {
    const r = await fetch(`${origin}/dashboard/catalog/articles/A1`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Forged&price=0.01&tax_rate_bp=550&csrf=wrong',
    });
    return r.status;
  }, hq);
  assert.equal(forged, 403);
  assert.equal((await api(`${hq}/api/v1/articles/A1`)).body.price, 345, 'nothing changed');

  step('a shop\'s own price set on the article page reaches that shop only');
  await page.goto(`${hq}/dashboard/catalog/articles/B2`);
  await page.fill('#shop-prices input[name=shop]', 'NOPE9');
  await page.fill('#shop-prices input[name=price]', '9.99');
  const [unknown] = await Promise.all([page.waitForNavigation(), page.click('#shop-prices button[type=submit]')]);
  assert.equal(unknown.status(), 422);
  assert.match(await page.textContent('[role=alert]'), /shop NOPE9 does not exist/i);
  assert.equal(await page.getAttribute('[role=alert]', 'data-kind'), 'not_found');
  await page.fill('#shop-prices input[name=shop]', 'NICE1');
  await page.fill('#shop-prices input[name=price]', 'cheap');
  const [badPrice] = await Promise.all([page.waitForNavigation(), page.click('#shop-prices button[type=submit]')]);
  assert.equal(badPrice.status(), 400);
  assert.match(await page.textContent('[role=alert]'), /price: "cheap" is not an amount/);
  await page.fill('#shop-prices input[name=shop]', 'NICE1');
  await page.fill('#shop-prices input[name=price]', '9.99');
  await Promise.all([page.waitForNavigation(), page.click('#shop-prices button[type=submit]')]);
  assert.match(await page.textContent('[role=status]'), /Price of shop NICE1: €9\.99/);
  const priceDeadline = Date.now() + 10000;
  for (;;) {
    const a = await api(`${shops.NICE1}/articles/B2`);
    if (a.status === 200 && a.body.price === 999) break;
    assert.ok(Date.now() < priceDeadline, `the shop price did not reach NICE1: ${JSON.stringify(a.body)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal((await api(`${shops.LYON1}/articles/B2`)).body.price, 1290, 'LYON1 keeps the chain price');
  assert.equal((await api(`${hq}/api/v1/articles/B2`)).body.price, 1290, 'the chain price is unchanged');

  step('customers: the list, the overdrawn filter and a customer\'s loyalty entries');
  const alice = await api(`${hq}/api/v1/customers`, { method: 'POST', body: JSON.stringify({ name: 'Alice Martin', email: 'alice@example.com', phone: '+33600000001' }) });
  assert.equal(alice.status, 201, JSON.stringify(alice.body));
  const bob = await api(`${hq}/api/v1/customers`, { method: 'POST', body: JSON.stringify({ name: 'Bob Durand' }) });
  assert.equal(bob.status, 201, JSON.stringify(bob.body));
  for (const [c, points] of [[alice, 120], [bob, -40]]) {
    const r = await api(`${hq}/api/v1/customers/${c.body.id}/loyalty`, { method: 'POST', body: JSON.stringify({ kind: 'adjust', points, note: 'test' }) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  await page.goto(`${hq}/dashboard/customers`);
  const customerRows = await page.$$eval('#customers tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  const byName = Object.fromEntries(customerRows.map((r) => [r[1], r]));
  assert.deepEqual(byName['Alice Martin'], [alice.body.card, 'Alice Martin', 'alice@example.com', '+33600000001', '120']);
  assert.deepEqual(byName['Bob Durand'], [bob.body.card, 'Bob Durand', '—', '—', '-40 overdrawn']);
  await page.screenshot({ path: join(shots, 'customers.png'), fullPage: true });
  await noSeriousViolations(page, 'customers');
  await page.check('input[name=overdrawn]');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  const overdrawn = await page.$$eval('#customers tbody tr', (trs) => trs.map((tr) => tr.children[1].textContent.trim()));
  assert.deepEqual(overdrawn, ['Bob Durand']);
  await page.click(`#customers a:text("${bob.body.card}")`);
  assert.match(await page.textContent('#customer'), /-40 overdrawn/);
  const entries = await page.$$eval('#loyalty-entries tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0].slice(1), ['HQ', 'adjusted', '-40', '—', 'test']);
  await noSeriousViolations(page, 'customer');

  step('stock: a SKU\'s level per shop and the chain total, as HQ\'s API gives them');
  const stock = await api(`${hq}/api/v1/stock?sku=A1`);
  assert.equal(stock.status, 200, JSON.stringify(stock.body));
  await page.goto(`${hq}/dashboard/stock`);
  await page.fill('input[name=sku]', 'A1');
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  const stockRows = await page.$$eval('#stock tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  const label = (q, negative) => `${q}${negative ? ' negative' : ''}`;
  const expectedStock = stock.body.shops.map((s) => [s.shop, label(s.quantity, s.negative)]);
  expectedStock.push(['Chain total', label(stock.body.total, stock.body.total < 0)]);
  assert.deepEqual(stockRows, expectedStock);
  assert.ok(stock.body.shops.length >= 1 && stock.body.negative, 'sales without a reception leave negative stock');
  await page.screenshot({ path: join(shots, 'stock.png'), fullPage: true });
  await noSeriousViolations(page, 'stock');
  await page.fill('input[name=sku]', 'NOPE');
  const [noSku] = await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.equal(noSku.status(), 422);
  assert.match(await page.textContent('[role=alert]'), /article NOPE does not exist/i);

  step('users: the chain\'s users, read-only');
  const users = await api(`${hq}/api/v1/users`);
  await page.goto(`${hq}/dashboard/users`);
  const userRows = await page.$$eval('#users tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent.trim())));
  assert.deepEqual(userRows, users.body.map((u) => [u.code, u.name, u.role, u.shops.join(', ') || '—', u.registers.join(', ') || '—']));
  assert.ok(userRows.some((r) => r[0] === 'C1'), 'the cashier made at HQ');
  assert.equal(await page.$('main form'), null, 'read-only');
  await page.screenshot({ path: join(shots, 'users.png'), fullPage: true });
  await noSeriousViolations(page, 'users');

  step('shops and their registers');
  await page.goto(`${hq}/dashboard/shops`);
  assert.match(await page.textContent('#shops tr[data-shop="LYON1"]'), /R1 \(\d+ tickets/);
  await page.screenshot({ path: join(shots, 'shops.png'), fullPage: true });
  await noSeriousViolations(page, 'shops');

  step('a shop\'s technical journal, keys and archives, as HQ received them');
  await Promise.all([page.waitForNavigation(), page.click('#shops tr[data-shop="LYON1"] a[href$="/journal"]')]);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/shops\/LYON1\/journal$/);
  const journalCodes = await page.$$eval('#journal tbody tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent.trim()));
  const apiJournal = await api(`${hq}/api/v1/shops/LYON1/journal?limit=100`);
  assert.equal(apiJournal.status, 200);
  assert.deepEqual(journalCodes, apiJournal.body.items.map((e) => e.code), 'the page lists what the API gives');
  assert.ok(journalCodes.includes('enrolled') && journalCodes.includes('archive'), journalCodes.join(' '));
  assert.match(await page.textContent('#keys'), /current/);
  const archiveLink = await page.getAttribute('#archives a[download]', 'href');
  assert.match(archiveLink, /\/dashboard\/shops\/LYON1\/archives\/LYON1-.*\.jsonl$/);
  assert.match(await page.textContent('#archives'), /signature holds/);
  const file = await page.evaluate(async (href) => (await fetch(href)).text(), archiveLink);
  assert.match(file.split('\n').filter(Boolean).pop(), /"type":"signature"/, 'the archive downloads whole');
  await page.screenshot({ path: join(shots, 'journal.png'), fullPage: true });
  await noSeriousViolations(page, 'journal');
  await page.fill('input[name=code]', 'enrolled');
  await Promise.all([page.waitForNavigation(), page.click('main form[role=search] button[type=submit]')]);
  const filtered = await page.$$eval('#journal tbody tr td:nth-child(3)', (cells) => cells.map((c) => c.textContent.trim()));
  assert.deepEqual(filtered, ['enrolled']);
  for (const [name, width, height] of [['journal-tablet', 820, 1180], ['journal-phone', 390, 844]]) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  step('create a job for two shops and see it done by each');
  await page.goto(`${hq}/dashboard/jobs`);
  await page.selectOption('select[name=kind]', 'resync_catalog');
  for (const code of Object.keys(shops)) await page.check(`input[name=shops][value="${code}"]`);
  await Promise.all([page.waitForNavigation(), page.click('main form button[type=submit]')]);
  assert.match(await page.textContent('[role=status]'), /Job created/);
  const jobs = await api(`${hq}/api/v1/jobs`);
  assert.deepEqual(jobs.body[0].shops.map((s) => s.shop).sort(), Object.keys(shops).sort());
  const jobDeadline = Date.now() + 15000;
  for (;;) {
    await page.goto(`${hq}/dashboard/jobs`);
    const states = await page.$$eval('#jobs tbody tr', (trs) => trs.map((tr) => tr.children[4].textContent.trim()));
    if (states.length === Object.keys(shops).length && states.every((s) => s === 'done')) break;
    assert.ok(Date.now() < jobDeadline, `job states: ${states}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  await page.screenshot({ path: join(shots, 'jobs.png'), fullPage: true });
  await noSeriousViolations(page, 'jobs');

  step('French at the switch, and on a phone');
  await page.goto(`${hq}/dashboard/sales?from=${from}&to=${to}`);
  await Promise.all([page.waitForNavigation(), page.click('a[hreflang=fr]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.equal((await page.textContent('h1')).trim(), 'Ventes');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, 'sales-phone-fr.png'), fullPage: true });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page is wider than a phone by ${overflow}px`);
  await noSeriousViolations(page, 'sales (fr, phone)');

  step('sign out');
  await Promise.all([page.waitForNavigation(), page.click('header form button')]);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/login$/);
  await page.goto(`${hq}/dashboard/jobs`);
  assert.match(new URL(page.url()).pathname, /\/dashboard\/login$/);
  console.log('dashboard browser test: every check passed');
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
