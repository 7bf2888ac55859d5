// The register screen in headless Chromium, driven by Playwright (playwright-core) against
// a running, enrolled shop started by crates/cli/tests/register_browser.rs, which passes:
// SHOP_ORIGIN, ADMIN_USER, ADMIN_PASSWORD, CHROMIUM, SCREENSHOTS. To cut the link to HQ it
// prints "CONTROL hq-down" (or "hq-up") and waits for "ok" on stdin.
// Every step is checked against the shop's API, not only on screen. Exits non-zero at the
// first failed check.
import { chromium } from 'playwright-core';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const shop = process.env.SHOP_ORIGIN;
const auth = 'Basic ' + Buffer.from(`${process.env.ADMIN_USER}:${process.env.ADMIN_PASSWORD}`).toString('base64');
const shots = process.env.SCREENSHOTS;
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const stdin = createInterface({ input: process.stdin });
const answers = stdin[Symbol.asyncIterator]();

async function control(what) {
  console.log(`CONTROL ${what}`);
  const { value } = await answers.next();
  assert.equal(value, 'ok', `control ${what}`);
}

async function api(path, init = {}) {
  const r = await fetch(`${shop}/api/v1${path}`, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

async function tickets() {
  return (await api('/tickets?limit=1000')).items;
}

async function lastTicket() {
  const all = await tickets();
  return all[all.length - 1];
}

function step(name) {
  console.log(`- ${name}`);
}

async function eventually(what, check, ms = 15000) {
  const until = Date.now() + ms;
  for (;;) {
    const last = await check().catch((e) => e);
    if (last === true) return;
    if (Date.now() > until) assert.fail(`not reached: ${what} (${last})`);
    await new Promise((r) => setTimeout(r, 150));
  }
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

const SIZES = [[1920, 1080], [1024, 768], [390, 844]];
async function shoot(page, name) {
  const before = page.viewportSize();
  for (const [w, h] of SIZES) {
    await page.setViewportSize({ width: w, height: h });
    await page.waitForTimeout(80);
    await page.screenshot({ path: join(shots, `${name}-${w}x${h}.png`) });
  }
  await page.setViewportSize(before);
}

async function ticketCount() {
  return (await tickets()).length;
}

const userDataDir = mkdtempSync(join(tmpdir(), 'comptoir-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  locale: 'en-GB',
  viewport: { width: 1280, height: 860 },
  // axe-core is injected as a script; the page's policy forbids other scripts (as it should).
  bypassCSP: true,
});
const errors = [];
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(10000);
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) errors.push(m.text()); });

  // ------------------------------------------------------------ English
  step('a newcomer opens the shop address and picks register 1');
  const home = await page.goto(`${shop}/`);
  const csp = home.headers()['content-security-policy'];
  assert.ok(csp.includes("script-src 'self'") && !csp.includes('unsafe'), csp);
  await page.getByRole('link', { name: /Caisse 1/ }).click();
  await page.waitForURL(`${shop}/registers/R1`);
  await page.locator('#user-code').waitFor();

  step('a wrong PIN is refused; user code, Enter, PIN, Enter signs in');
  await page.locator('#user-code').fill('C1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('9999');
  await page.keyboard.press('Enter');
  await page.locator('#signin-error').filter({ hasText: /wrong PIN/i }).waitFor();
  await noSeriousViolations(page, 'sign-in');
  await shoot(page, 'signin');
  await page.locator('#pin').focus();
  // The on-screen keypad types the PIN.
  for (const k of '1234') await page.locator('#keypad').getByRole('button', { name: k, exact: true }).click();
  await page.keyboard.press('Enter');

  step("HQ's message is shown at the opening and acknowledged");
  await page.locator('#dialog-body').filter({ hasText: 'Inventaire demain' }).waitFor();
  await page.locator('#ack').click();
  await eventually('message acknowledged', async () => (await api('/registers/R1/messages?moment=opening')).items.length === 0);

  step('the till opens with a counted float: 2 × 50 € + 4 × 2 €');
  await page.locator('#float-denoms-5000').fill('2');
  await page.locator('#float-denoms-200').fill('4');
  assert.match(await page.locator('#float-total').textContent(), /108\.00/);
  await page.locator('#open-button').click();
  await page.locator('#sale').waitFor();
  const till = await api('/registers/R1/till');
  assert.equal(till.session.float, 10800);
  assert.equal(till.session.opened_by, 'C1');

  step('sell by button, by scanner keystrokes, by search and a weighed article');
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#lines li[data-sku="A1"]').waitFor();
  // The scanner types anywhere on the sale screen: no field has the focus.
  await page.locator('body').click({ position: { x: 5, y: 200 } });
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.type('3017620422003', { delay: 5 });
  await page.keyboard.press('Enter');
  await page.locator('#lines li[data-sku="A1"] .qty').filter({ hasText: /^2 ×/ }).waitFor();
  await page.locator('#search').fill('vin');
  await page.keyboard.press('Enter');
  await page.locator('#search-results').getByRole('button', { name: /Vin rouge/ }).click();
  await page.locator('#lines li[data-sku="B2"]').waitFor();
  // 21 12345 00750 2: 0.750 kg of Comté at 19.90 €/kg = 14.93 €.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.keyboard.type('2112345007502', { delay: 5 });
  await page.keyboard.press('Enter');
  await page.locator('#lines li[data-sku="F1"] .qty').filter({ hasText: /0\.75/ }).waitFor();
  // 2.40 + 12.90 + 14.93 = 30.23 €
  await page.locator('#total').filter({ hasText: '30.23' }).waitFor();
  await noSeriousViolations(page, 'sale');
  await shoot(page, 'sale');

  step('pay cash with the 50 € quick button: change 19.77 €, receipt from the server');
  const before = await ticketCount();
  await page.locator('#act-pay').click();
  await page.locator('#remaining').filter({ hasText: '30.23' }).waitFor();
  await noSeriousViolations(page, 'payment');
  await shoot(page, 'pay');
  await page.locator('button[data-quick="5000"]').click();
  await page.locator('#receipt').waitFor();
  const first = await lastTicket();
  assert.equal(await ticketCount(), before + 1);
  assert.deepEqual(first.lines.map((l) => [l.sku, l.qty]), [['A1', 2], ['B2', 1], ['F1', 0.75]]);
  assert.equal(first.total, 3023);
  assert.deepEqual(first.payments, [{ method: 'cash', amount: 5000 }]);
  assert.equal(first.change, 1977);
  assert.equal(await page.locator('#receipt-number').textContent(), first.number);
  assert.match(await page.locator('#receipt-total').textContent(), /30\.23/);
  assert.match(await page.locator('#receipt-change').textContent(), /19\.77/);
  await noSeriousViolations(page, 'receipt');
  await shoot(page, 'receipt');
  await page.locator('#new-sale').click();

  step('a customer created at the till gets the wine offer and earns points');
  await page.locator('#act-customer').click();
  await page.locator('#new-customer-name').fill('Marie Curie');
  await page.locator('#new-customer-phone').fill('0612345678');
  await page.locator('#create-customer').click();
  await page.locator('#customer-chip').filter({ hasText: 'Marie Curie' }).waitFor();
  const marie = (await api('/customers?q=Marie')).items[0];
  const marieOffers = await api(`/customers/${marie.id}/offers`);
  assert.deepEqual(marieOffers.map((o) => o.name), ['Vin -10 %'], 'the offer reached the shop');
  await page.locator('#offers').filter({ hasText: 'Vin -10 %' }).waitFor();
  await page.locator('#buttons').getByRole('button', { name: 'Vin rouge' }).click();
  // 12.90 − 10 % = 11.61 €, the server's own computation (preview).
  await page.locator('#lines .offer').filter({ hasText: 'Vin -10 %' }).waitFor();
  await page.locator('#total').filter({ hasText: '11.61' }).waitFor();
  await page.locator('#act-pay').click();
  await page.locator('#remaining').filter({ hasText: '11.61' }).waitFor();
  await page.locator('button[data-method="card"]').click();
  await page.locator('#receipt').waitFor();
  const offered = await lastTicket();
  assert.equal(offered.total, 1161);
  assert.equal(offered.offers.length, 1);
  assert.ok(offered.customer, 'the ticket names the customer');
  const loyalty = await api(`/customers/${offered.customer}/loyalty`);
  assert.ok(loyalty.balance > 0, `points earned: ${JSON.stringify(loyalty)}`);
  await page.locator('#new-sale').click();

  step('split payment: points, cash and card on one ticket');
  await page.locator('#act-customer').click();
  await page.locator('#customer-q').fill('Marie');
  await page.keyboard.press('Enter');
  await page.locator('#customer-results').getByRole('button', { name: /Marie Curie/ }).click();
  await page.locator('#customer-chip').filter({ hasText: `${loyalty.balance} points` }).waitFor();
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#total').filter({ hasText: '1.20' }).waitFor();
  await page.locator('#act-pay').click();
  await page.locator('#tender-amount').fill('0.05');
  await page.locator('button[data-method="loyalty"]').click();
  await page.locator('#remaining').filter({ hasText: '1.15' }).waitFor();
  await page.locator('#tender-amount').fill('0.50');
  await page.locator('button[data-method="cash"]').click();
  await page.locator('#remaining').filter({ hasText: '0.65' }).waitFor();
  await page.locator('button[data-method="card"]').click();
  await page.locator('#receipt').waitFor();
  const split = await lastTicket();
  assert.deepEqual(split.payments, [{ method: 'loyalty', amount: 5 }, { method: 'cash', amount: 50 }, { method: 'card', amount: 65 }]);
  const entries = (await api(`/customers/${offered.customer}/loyalty`)).entries;
  assert.ok(entries.some((e) => e.ticket === split.id && e.points === -5), `5 points redeemed: ${JSON.stringify(entries)}`);
  await page.locator('#new-sale').click();

  step('park two tickets, resume one, sell it; the other waits in the shop database');
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#buttons').getByRole('button', { name: 'Vin rouge' }).click();
  await page.locator('#act-park').click();
  await page.locator('#ask-input').fill('manteau rouge');
  await page.keyboard.press('Enter');
  await page.locator('#lines .empty').waitFor();
  await page.locator('#pages').getByRole('button', { name: 'Crèmerie' }).click();
  await page.locator('#buttons').getByRole('button', { name: 'Comté' }).click();
  await page.locator('#act-park').click();
  await page.locator('#ask-input').fill('fromage');
  await page.keyboard.press('Enter');
  await page.locator('#lines .empty').waitFor();
  assert.equal((await api('/parked')).length, 2);
  await page.locator('#act-resume').click();
  await page.locator('#dialog-body').getByRole('button', { name: /manteau rouge/ }).click();
  await page.locator('#lines li[data-sku="B2"]').waitFor();
  const parked = await api('/parked');
  assert.deepEqual(parked.map((p) => p.label), ['fromage']);
  await page.locator('#act-pay').click();
  await page.locator('button[data-method="card"]').click();
  await page.locator('#receipt').waitFor();
  assert.deepEqual((await lastTicket()).lines.map((l) => l.sku), ['A1', 'B2']);
  await page.locator('#new-sale').click();

  step('a return of the first ticket: the wine only, refunded at the price paid');
  await page.locator('#act-return').click();
  await page.locator('#ask-input').fill(first.number);
  await page.keyboard.press('Enter');
  await page.locator('#dialog-body input[type=checkbox]').first().waitFor();
  const boxes = page.locator('#dialog-body input[type=checkbox]');
  await boxes.nth(0).uncheck();
  await boxes.nth(2).uncheck();
  await page.locator('#return-confirm').click();
  await page.locator('#total').filter({ hasText: '12.90' }).waitFor();
  await page.locator('#act-pay').click();
  await page.locator('button[data-method="cash"]').click();
  await page.locator('#receipt').waitFor();
  const ret = await lastTicket();
  assert.equal(ret.kind, 'return');
  assert.equal(ret.return_of, first.id);
  assert.deepEqual(ret.lines.map((l) => [l.sku, l.qty]), [['B2', -1]]);
  assert.equal(ret.total, -1290);
  await page.locator('#new-sale').click();

  step('a double tap on pay makes one ticket');
  const beforeDouble = await ticketCount();
  await page.locator('#pages').getByRole('button', { name: 'Boulangerie' }).click();
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#act-pay').click();
  await page.locator('button[data-method="card"]').dblclick();
  await page.locator('#receipt').waitFor();
  await page.waitForTimeout(500);
  assert.equal(await ticketCount(), beforeDouble + 1);
  await page.locator('#new-sale').click();

  step('a reload mid-ticket keeps the cart');
  await page.locator('#buttons').getByRole('button', { name: 'Vin rouge' }).click();
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#lines li[data-sku="A1"]').waitFor();
  await page.reload();
  await page.locator('#lines li[data-sku="B2"]').waitFor();
  await page.locator('#lines li[data-sku="A1"]').waitFor();
  await page.locator('#total').filter({ hasText: '14.10' }).waitFor();
  await page.locator('#act-pay').click();
  await page.locator('button[data-quick="exact"]').click();
  await page.locator('#receipt').waitFor();
  assert.equal((await lastTicket()).total, 1410);
  await page.locator('#new-sale').click();

  step("a 20 % line discount is above the cashier's 10 %: a manager's PIN approves it");
  await api('/settings/discounts', { method: 'PUT', body: JSON.stringify({ cashier_limit_bp: 1000 }) });
  await page.locator('#buttons').getByRole('button', { name: 'Vin rouge' }).click();
  await page.locator('#lines li[data-sku="B2"]').waitFor();
  await page.locator('#lines li[data-sku="B2"] .line-main').click();
  await page.locator('#act-line-discount').click();
  await page.locator('#ask-input').fill('20%');
  await page.keyboard.press('Enter');
  // 12.90 − 2.58 = 10.32 €
  await page.locator('#total').filter({ hasText: '10.32' }).waitFor();
  const beforeApproval = await ticketCount();
  await page.locator('#act-pay').click();
  await page.locator('button[data-method="card"]').click();
  await page.locator('#manager-code').fill('M1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('4321');
  await page.keyboard.press('Enter');
  await page.locator('#receipt').waitFor();
  const approved = await lastTicket();
  assert.equal(await ticketCount(), beforeApproval + 1);
  assert.deepEqual([approved.lines[0].discount, approved.total], [258, 1032]);
  await page.locator('#new-sale').click();

  step('HQ cut: the icon is crossed out, selling goes on, records wait');
  await control('hq-down');
  await page.locator('#st-hq.down').waitFor({ timeout: 30000 });
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#act-pay').click();
  await page.locator('button[data-method="card"]').click();
  await page.locator('#receipt').waitFor();
  await page.locator('#new-sale').click();
  await eventually('records waiting for HQ', async () => (await api('/hq-link')).unsent > 0);
  await page.locator('#st-hq-text').filter({ hasText: /[1-9][0-9]* waiting to be sent/ }).waitFor();
  await page.screenshot({ path: join(shots, 'hq-down.png') });
  await control('hq-up');
  await page.locator('#st-hq:not(.down)').waitFor({ timeout: 30000 });

  step('close the till with the count; the Z needs a manager, who does it');
  const x = await api('/registers/R1/x');
  await page.locator('#act-close').click();
  await page.locator('#count-denoms-5000').fill('2');
  await page.locator('#count-denoms-200').fill('4');
  await page.locator('#count-expected').filter({ hasText: (x.expected_cash / 100).toFixed(2) }).waitFor();
  await page.locator('#count-confirm').click();
  await page.locator('#closed-difference').waitFor();
  const session = (await api('/registers/R1/sessions'))[0];
  assert.equal(session.counted, 10800);
  assert.equal(session.expected, x.expected_cash);
  assert.equal(session.difference, 10800 - x.expected_cash);
  await page.locator('#do-z').click();
  await page.locator('#dialog-error').filter({ hasText: /manager/ }).waitFor();
  await page.getByRole('button', { name: 'Later' }).click();
  await page.locator('#opening').waitFor();
  await page.locator('#opening .switch-user').click();
  await page.locator('#user-code').fill('M1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('4321');
  await page.keyboard.press('Enter');
  await page.locator('#z-today').click();
  await page.locator('#z-ok').click();
  const closures = await api('/closures?register=R1');
  assert.equal(closures.length, 1);
  assert.equal(closures[0].kind, 'day');
  const r1 = (await tickets()).filter((t) => t.register === 'R1');
  assert.equal(closures[0].ticket_count, r1.length);
  assert.equal(closures[0].total, r1.reduce((s, t) => s + t.total, 0));

  // ------------------------------------------------------------ French
  step('en français : Alice est refusée à la caisse 2, Marc y vend');
  await page.locator('#lang').click();
  await page.goto(`${shop}/registers/R2`);
  await page.locator('#user-code').waitFor();
  await page.locator('#user-code').fill('C1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('1234');
  await page.keyboard.press('Enter');
  await page.locator('#signin-error').filter({ hasText: /rattaché/ }).waitFor();
  await page.locator('#user-code').fill('M1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('4321');
  await page.keyboard.press('Enter');
  // HQ's message is for every register: R2 acknowledges it too.
  await page.locator('#ack').filter({ hasText: 'Lu' }).click();
  await page.locator('#open-button').filter({ hasText: 'Ouvrir la caisse' }).waitFor();
  await page.locator('#float-denoms-1000').fill('5');
  await page.locator('#open-button').click();
  await page.locator('#buttons').getByRole('button', { name: 'Baguette' }).click();
  await page.locator('#act-pay').filter({ hasText: 'Payer' }).waitFor();
  await page.locator('#act-pay').click();
  await page.locator('button[data-quick="500"]').click();
  await page.locator('#receipt-paper').filter({ hasText: 'Ticket de caisse' }).waitFor();
  const fr = await lastTicket();
  assert.equal(fr.register, 'R2');
  assert.equal(fr.cashier, 'M1');
  assert.equal(fr.change, 380);
  assert.match(await page.locator('#receipt-change').textContent(), /3,80/);
  await noSeriousViolations(page, 'reçu');
  await page.screenshot({ path: join(shots, 'receipt-fr.png') });
  await page.locator('#new-sale').click();
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(shots, 'sale-fr-390x844.png'), fullPage: true });

  assert.deepEqual(errors, [], 'no script error on the page');
  console.log('register screen: all checks passed');
} catch (e) {
  const page = context.pages()[0];
  if (page) {
    await page.screenshot({ path: join(shots, 'failure.png') }).catch(() => {});
    console.log('on screen:', await page.locator('#sale-error').textContent().catch(() => ''), await page.locator('#dialog-error').textContent().catch(() => ''));
  }
  throw e;
} finally {
  await context.close();
  stdin.close();
}
