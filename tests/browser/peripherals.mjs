// The register's devices in headless Chromium (Playwright): the customer display follows
// the register live while it sells, the receipt is offered (print on the shop's network
// printer, QR code of its web page), the printer's trouble shows in the status bar.
// Started by crates/cli/tests/peripherals_browser.rs with SHOP_ORIGIN, ADMIN_USER,
// ADMIN_PASSWORD, CHROMIUM, SCREENSHOTS. Exits non-zero at the first failed check.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const shop = process.env.SHOP_ORIGIN;
const auth = 'Basic ' + Buffer.from(`${process.env.ADMIN_USER}:${process.env.ADMIN_PASSWORD}`).toString('base64');
const shots = process.env.SCREENSHOTS;

async function api(path, init = {}) {
  const r = await fetch(`${shop}/api/v1${path}`, { ...init, headers: { authorization: auth, 'content-type': 'application/json', ...(init.headers || {}) } });
  const body = await r.json().catch(() => null);
  assert.ok(r.ok, `${path}: ${r.status} ${JSON.stringify(body)}`);
  return body;
}

function step(name) {
  console.log(`- ${name}`);
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

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'comptoir-chromium-')), {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  locale: 'fr-FR',
  viewport: { width: 1280, height: 860 },
});
const errors = [];
try {
  const register = context.pages()[0] ?? (await context.newPage());
  register.setDefaultTimeout(15000);
  for (const p of [register]) p.on('pageerror', (e) => errors.push(String(e)));

  step('the cashier signs in at register 1 and opens the till');
  await register.goto(`${shop}/registers/R1`);
  await register.locator('#user-code').fill('C1');
  await register.keyboard.press('Enter');
  await register.keyboard.type('1234');
  await register.keyboard.press('Enter');
  await register.locator('#open-button').click();
  await register.locator('#sale').waitFor();

  // Rung up by search: a standalone shop has no keyboard layout from HQ.
  const sell = async (name) => {
    await register.locator('#search').fill(name);
    await register.keyboard.press('Enter');
    await register.locator('#search-results').getByRole('button', { name: new RegExp(name) }).click();
  };

  step('the customer display opens on a second window of the same browser: a welcome');
  const display = await context.newPage();
  display.setDefaultTimeout(15000);
  display.on('pageerror', (e) => errors.push(String(e)));
  const resp = await display.goto(`${shop}/registers/R1/display`);
  assert.ok(!resp.headers()['content-security-policy'].includes('unsafe'));
  await display.locator('#welcome').filter({ hasText: 'Bonjour' }).waitFor();
  await display.locator('#shop-name').filter({ hasText: 'Paris Centre' }).waitFor();
  await shoot(display, 'display-idle');

  step('each article rung up appears on the display with the total');
  await sell('Baguette');
  await display.locator('#lines td.name').filter({ hasText: 'Baguette' }).waitFor();
  await sell('Vin rouge');
  await display.locator('#lines td.name').filter({ hasText: 'Vin rouge' }).waitFor();
  // 1.20 + 12.50 = 13.70 €
  await display.locator('#total').filter({ hasText: '13,70' }).waitFor();
  await shoot(display, 'display-cart');

  step('paid 20 € in cash: the display shows the tender, the change and thanks');
  await register.locator('#act-pay').click();
  await register.locator('button[data-quick="2000"]').click();
  await register.locator('#receipt').waitFor();
  await display.locator('#thanks').waitFor({ state: 'visible' });
  await display.locator('#change').filter({ hasText: '6,30' }).waitFor();
  await display.locator('#tenders').filter({ hasText: 'Espèces' }).waitFor();
  await shoot(display, 'display-paid');

  step('the register asks whether the customer wants a receipt');
  await register.locator('#receipt-choice').filter({ hasText: 'Le client veut-il un ticket' }).waitFor();
  await shoot(register, 'receipt-choice');

  step('a QR code opens the receipt as a web page of the shop, without signing in');
  await register.locator('#receipt-qr').click();
  await register.locator('#receipt-qr-img').waitFor({ state: 'visible' });
  const url = await register.locator('#receipt-qr-img').getAttribute('alt');
  assert.match(url, /\/r\/[0-9a-f]{48}$/);
  await shoot(register, 'receipt-qr');
  const phone = await chromium.launch({ executablePath: process.env.CHROMIUM, headless: true, args: ['--no-sandbox', '--headless'] });
  const p = await (await phone.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await p.goto(url);
  await p.locator('h2').filter({ hasText: 'TICKET DE CAISSE' }).waitFor();
  assert.match(await p.locator('body').textContent(), /SIRET 12345678900012/);
  await p.screenshot({ path: join(shots, 'receipt-page-390x844.png'), fullPage: true });
  await phone.close();

  step('or by e-mail: a mistyped address is refused, then the receipt goes to the shop\'s mail server');
  await register.locator('#receipt-email').click();
  await register.locator('#receipt-email-to').fill('alice@example');
  await register.locator('#receipt-email-send').click();
  await register.locator('#receipt-note').filter({ hasText: 'alice@example' }).waitFor();
  await register.locator('#receipt-email-to').fill('alice@example.fr');
  await shoot(register, 'receipt-email');
  await register.locator('#receipt-email-send').click();
  await register.locator('#receipt-note').filter({ hasText: 'Ticket envoyé à alice@example.fr' }).waitFor();

  step('printing it: the printer is off, the status bar says so and the sale stands');
  await register.locator('#receipt-print').click();
  await register.locator('#receipt-note').filter({ hasText: 'imprimante' }).waitFor();
  await register.locator('#st-printer').filter({ hasText: 'hors ligne' }).waitFor({ timeout: 30000 });
  await shoot(register, 'printer-offline');
  const t = (await api('/tickets')).items;
  assert.equal(t.length, 1);
  assert.equal(t[0].change, 630);

  step('the next sale starts again on a welcome display');
  await register.locator('#receipt-none').click();
  await sell('Baguette');
  await display.locator('#lines td.name').filter({ hasText: 'Baguette' }).waitFor();
  assert.equal(await display.locator('#lines tr').count(), 1);

  step('paid by card: the register asks its terminal (the Caisse-AP simulator), which accepts');
  await register.locator('#act-pay').click();
  await register.locator('button[data-method="card"]').click();
  await register.locator('#receipt').waitFor();
  const sold = (await api('/tickets')).items.at(-1);
  assert.deepEqual(sold.payments, [{ method: 'card', amount: 120 }]);
  const text = await (await fetch(`${shop}/api/v1/tickets/${sold.number}/receipt`, { headers: { authorization: auth } })).text();
  assert.match(text, /CB .*aut\. \d{6}/, text);
  await register.locator('#receipt-none').click();

  step('a manager opens the drawer with their PIN; a wrong PIN is refused');
  const waiting = (await api('/printers/P1/status')).waiting;
  await register.locator('#act-drawer').click();
  await register.locator('#drawer-manager').fill('M1');
  await register.locator('#drawer-pin').fill('0000');
  await register.locator('#drawer-ok').click();
  await register.locator('#dialog-error').filter({ hasText: /PIN/ }).waitFor();
  await shoot(register, 'drawer');
  await register.locator('#drawer-pin').fill('4321');
  await register.locator('#drawer-ok').click();
  await register.locator('#overlay').waitFor({ state: 'hidden' });
  assert.equal((await api('/printers/P1/status')).waiting, waiting + 1, 'the pulse waits for the printer');
  assert.deepEqual(errors, []);
  console.log('peripherals browser: ok');
} finally {
  await context.close();
}
