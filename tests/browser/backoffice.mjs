// The shop's back office in headless Chromium, driven by Playwright (playwright-core)
// against a running standalone shop started by crates/cli/tests/backoffice_browser.rs,
// which passes: SHOP_ORIGIN, ADMIN_USER, ADMIN_PASSWORD, CHROMIUM, SCREENSHOTS.
// Exits non-zero at the first failed check.
import { chromium } from 'playwright-core';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const shop = process.env.SHOP_ORIGIN;
const user = process.env.ADMIN_USER;
const password = process.env.ADMIN_PASSWORD;
const shots = process.env.SCREENSHOTS;
const auth = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

async function api(path, init = {}) {
  const r = await fetch(`${shop}/api/v1${path}`, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  return { status: r.status, body };
}

function step(name) {
  console.log(`- ${name}`);
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

// Desktop, tablet, phone; the page must not be wider than the phone.
const SIZES = [[1280, 800], [820, 1180], [390, 844]];
async function shoot(page, name) {
  const before = page.viewportSize();
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(50);
    await page.screenshot({ path: join(shots, `${name}-${w}x${h}.png`), fullPage: true });
    if (w === 390) {
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${name} is wider than a phone by ${overflow}px`);
    }
  }
  await page.setViewportSize(before);
  await noSeriousViolations(page, name);
}

/// Submits the main form holding `selector`'s field, and waits for the answer page.
async function submit(page, formSelector) {
  const [answer] = await Promise.all([page.waitForNavigation(), page.click(`${formSelector} button[type=submit]`)]);
  return answer;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'comptoir-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  locale: 'en-GB',
  viewport: { width: 1280, height: 800 },
  // axe-core is injected as a script; the pages' policy forbids scripts (as it should).
  bypassCSP: true,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10000);

  step('the register screen links the back office');
  await page.goto(`${shop}/`);
  assert.ok(await page.$('a[href="/admin/"]'), 'a link to the back office on the register screen');

  step('signed out: a page sends to the sign-in');
  await page.goto(`${shop}/admin/catalog`);
  assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
  await shoot(page, 'login');

  step('a cashier is sent to the register screen');
  await page.fill('input[name=user]', 'C1');
  await page.fill('input[name=password]', '1234');
  const cashier = await submit(page, 'main form');
  assert.equal(cashier.status(), 403);
  assert.match(await page.textContent('#user-error'), /C1 is a cashier/);

  step('a wrong password is refused next to the password');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', 'not-the-password');
  const wrong = await submit(page, 'main form');
  assert.equal(wrong.status(), 401);
  assert.match(await page.textContent('#password-error'), /Wrong user code or password/);
  assert.equal(await page.getAttribute('input[name=password]', 'aria-invalid'), 'true');

  step('sign in, back to the page asked for');
  await page.fill('input[name=user]', user);
  await page.fill('input[name=password]', password);
  await submit(page, 'main form');
  assert.match(new URL(page.url()).pathname, /\/admin\/catalog$/);

  step('create an article; a bad price is refused next to its field');
  await page.fill('input[name=sku]', 'C2');
  await page.fill('input[name=name]', 'Croissant');
  await page.fill('input[name=price]', 'douze');
  await page.selectOption('select[name=tax_rate_bp]', '550');
  const badPrice = await submit(page, 'main form[method=post]');
  assert.equal(badPrice.status(), 400);
  assert.match(await page.textContent('#price-error'), /price: "douze" is not an amount/);
  assert.equal(await page.inputValue('input[name=name]'), 'Croissant', 'what was typed is kept');
  await page.fill('input[name=price]', '1.10');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /Article created: C2 Croissant/);
  assert.equal((await api('/articles/C2')).body.price, 110);
  await shoot(page, 'catalog');

  step('edit it, then find it');
  await page.click('#articles a:text("C2")');
  await page.fill('input[name=price]', '1.30');
  await page.fill('input[name=barcodes]', '3017620422004');
  const badCode = await submit(page, 'main form[method=post]');
  assert.equal(badCode.status(), 422);
  assert.match(await page.textContent('#barcodes-error'), /3017620422004/);
  await page.fill('input[name=barcodes]', '');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /Saved: C2/);
  assert.equal((await api('/articles/C2')).body.price, 130);
  await shoot(page, 'article');
  await page.goto(`${shop}/admin/catalog?q=Croiss`);
  const skus = await page.$$eval('#articles tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent.trim()));
  assert.deepEqual(skus, ['C2']);

  step('a form without its CSRF token changes nothing');
  const forged = await page.evaluate(async () => {
    const r = await fetch('/admin/catalog/articles/C2', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Forged&price=0.01&tax_rate_bp=550&csrf=wrong',
    });
    return r.status;
  });
  assert.equal(forged, 403);
  assert.equal((await api('/articles/C2')).body.price, 130, 'nothing changed');

  step('a CSV import: refused with its report, then accepted; the export');
  await page.goto(`${shop}/admin/catalog/import`);
  await page.fill('textarea[name=csv]', 'sku;name;price;tax_rate\nD1;Donut;1,50;5,5\nD2;Dattes;beaucoup;5,5\n');
  const rejected = await submit(page, 'main form[method=post]');
  assert.equal(rejected.status(), 422);
  const report = await page.$$eval('#rejections tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent.trim()));
  assert.deepEqual(report, ['3']);
  assert.equal((await api('/articles/D1')).status, 404, 'nothing imported');
  await shoot(page, 'import');
  await page.fill('textarea[name=csv]', 'sku;name;price;tax_rate\nD1;Donut;1,50;5,5\n');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /Imported: 1 created, 0 updated/);
  const csv = await page.evaluate(async () => (await fetch('/admin/catalog/export.csv')).text());
  assert.match(csv, /D1/);

  step('closures, a Z\'s detail and the X reading');
  const closures = (await api('/closures')).body;
  await page.goto(`${shop}/admin/closures`);
  const listed = await page.$$eval('#closures tbody tr', (trs) => trs.length);
  assert.equal(listed, closures.length);
  await shoot(page, 'closures');
  await page.click('#closures tbody a');
  assert.match(await page.textContent('#closure'), new RegExp(closures[0].hash));
  await shoot(page, 'closure');
  await page.goto(`${shop}/admin/x-reading`);
  assert.match(await page.textContent('#x-R1-totals'), /€0\.00/, 'R1 was closed');
  assert.match(await page.textContent('#x-R3-totals'), /€1\.20/, 'R3 sold after');
  await shoot(page, 'x-reading');
  await page.goto(`${shop}/admin/sessions`);
  assert.ok(await page.$('#sessions'), 'the till sessions');
  await shoot(page, 'sessions');

  step('ticket search and the receipt');
  const tickets = (await api('/tickets')).body.items;
  await page.goto(`${shop}/admin/tickets`);
  await page.fill('input[name=date]', tickets[0].business_date);
  await page.selectOption('select[name=register]', 'R1');
  await submit(page, 'main form[role=search]');
  const numbers = await page.$$eval('#tickets tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent.trim()));
  assert.deepEqual(numbers, tickets.filter((t) => t.register === 'R1').map((t) => t.number));
  await shoot(page, 'tickets');
  await page.click(`#tickets a:text("${tickets[0].number}")`);
  assert.match(await page.textContent('.receipt'), /TOTAL TTC/);
  assert.match(await page.textContent('.receipt'), /Baguette/);
  await shoot(page, 'ticket');

  step('the HQ link of a standalone shop');
  await page.goto(`${shop}/admin/sync`);
  assert.match(await page.textContent('main'), /not linked to an HQ/);
  await shoot(page, 'sync');
  await page.click('a[href="/admin/logs"]');
  assert.match(await page.textContent('pre.logs'), /shop server started/);
  await shoot(page, 'logs');

  step('a stock adjustment');
  await page.goto(`${shop}/admin/stock`);
  await page.fill('input[name=sku]', 'B1');
  await page.fill('input[name=qty]', 'beaucoup');
  const badQty = await submit(page, 'main form[method=post]');
  assert.equal(badQty.status(), 400);
  assert.match(await page.textContent('#qty-error'), /not a quantity/);
  await page.fill('input[name=qty]', '24');
  await page.fill('input[name=reason]', 'Livraison');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /Stock of B1: 23/);
  assert.equal((await api('/stock?sku=B1')).body.quantity, 23, 'the sale of one came before');
  await shoot(page, 'stock');

  step('a customer search');
  const claire = await api('/customers', { method: 'POST', body: JSON.stringify({ name: 'Claire Dupont', email: 'claire@example.com' }) });
  assert.equal(claire.status, 201, JSON.stringify(claire.body));
  await page.goto(`${shop}/admin/customers`);
  await page.fill('input[name=q]', 'dupont');
  await submit(page, 'main form[role=search]');
  const cards = await page.$$eval('#customers tbody tr', (trs) => trs.map((tr) => tr.children[0].textContent.trim()));
  assert.deepEqual(cards, [claire.body.card]);
  await shoot(page, 'customers');

  step('a user and a register');
  await page.goto(`${shop}/admin/users`);
  await page.fill('input[name=code]', 'M2');
  await page.fill('input[name=name]', 'Mia');
  await page.selectOption('select[name=role]', 'manager');
  await page.fill('input[name=password]', 'long-enough-1');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /User created: M2 Mia/);
  assert.ok((await api('/users')).body.some((u) => u.code === 'M2' && u.role === 'manager'));
  await shoot(page, 'users');
  await page.goto(`${shop}/admin/registers`);
  await page.fill('#new-register + form input[name=code]', 'R2');
  await page.fill('#new-register + form input[name=name]', 'Caisse 2');
  await submit(page, '#new-register + form');
  assert.match(await page.textContent('[role=status]'), /Saved: R2 Caisse 2/);
  assert.ok((await api('/registers')).body.some((r) => r.code === 'R2'));
  await shoot(page, 'registers');

  step('devices: a printer refused for its address, then created; a card terminal');
  await page.click('nav a[href="/admin/devices"]');
  await page.fill('#new-printer + form input[name=code]', 'P1');
  await page.fill('#new-printer + form input[name=name]', 'Comptoir');
  await page.selectOption('#new-printer + form select[name=kind]', 'receipt');
  await page.fill('#new-printer + form input[name=address]', 'lpt1');
  const badAddress = await submit(page, '#new-printer + form');
  assert.equal(badAddress.status(), 400);
  assert.match(await page.textContent('#address-error'), /write tcp:\/\/host:port/);
  assert.equal(await page.getAttribute('#new-printer + form input[name=address]', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#new-printer + form input[name=name]'), 'Comptoir', 'what was typed is kept');
  await page.fill('#new-printer + form input[name=address]', 'tcp://127.0.0.1:9100');
  await submit(page, '#new-printer + form');
  assert.match(await page.textContent('[role=status]'), /Printer created: P1 Comptoir/);
  assert.match(await page.textContent('#printers'), /nothing waiting/);
  assert.equal((await api('/printers/P1/status')).status, 200);
  await page.fill('#new-terminal + form input[name=code]', 'T1');
  await page.fill('#new-terminal + form input[name=name]', 'Ingenico');
  await page.fill('#new-terminal + form input[name=address]', 'tcp://127.0.0.1:8888');
  await submit(page, '#new-terminal + form');
  assert.match(await page.textContent('[role=status]'), /Card terminal created: T1 Ingenico/);
  assert.ok((await api('/terminals')).body.some((t) => t.code === 'T1' && t.timeout_seconds === 120));
  await shoot(page, 'devices');
  await page.click('#printers a:text("P1")');
  await page.fill('input[name=name]', 'Comptoir bas');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('[role=status]'), /Saved: P1 Comptoir bas/);
  await shoot(page, 'printer');

  step('French at the switch');
  await page.goto(`${shop}/admin/catalog`);
  await Promise.all([page.waitForNavigation(), page.click('a[hreflang=fr]')]);
  assert.equal(await page.getAttribute('html', 'lang'), 'fr');
  assert.match(await page.textContent('h1'), /Catalogue/);
  await page.fill('input[name=sku]', 'C3');
  await page.fill('input[name=name]', 'Chausson');
  await page.fill('input[name=price]', 'douze');
  await submit(page, 'main form[method=post]');
  assert.match(await page.textContent('#price-error'), /n'est pas un montant/);
  await noSeriousViolations(page, 'catalog (fr)');

  step('sign out');
  await submit(page, 'header form');
  assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
  await page.goto(`${shop}/admin/catalog`);
  assert.match(new URL(page.url()).pathname, /\/admin\/login$/);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
console.log('back office: every check passed');
