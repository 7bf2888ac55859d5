// `comptoir bench register-screen`: the register screen in headless Chromium against a shop
// the bench command started (SHOP_ORIGIN, ARTICLES, SCANS, SIGNINS, CHROMIUM). Prints one
// JSON line of durations in milliseconds, measured from this driver (keystrokes included):
// sign-in to sale screen, scan (digits + Enter) to the line on screen, pay to receipt.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const shop = process.env.SHOP_ORIGIN;
const articles = Number(process.env.ARTICLES);
const scans = Number(process.env.SCANS);
const signins = Number(process.env.SIGNINS);

/// The fixtures' barcode of article n: "2" + 11 digits + the EAN-13 check digit.
function ean13(n) {
  const body = '2' + String(n % 100000000000).padStart(11, '0');
  const sum = [...body].reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return body + ((10 - (sum % 10)) % 10);
}

const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'comptoir-bench-')), {
  executablePath: process.env.CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  viewport: { width: 1280, height: 860 },
});
// scan_ms counts from the first digit Playwright types (one browser round trip a key, much
// slower than a scanner); enter_ms from the Enter that ends the barcode, as a scanner sends it.
const out = { signin_ms: [], scan_ms: [], enter_ms: [], pay_ms: [] };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(20000);
  await page.goto(`${shop}/registers/R1`);
  await page.locator('#user-code').fill('C1');
  await page.keyboard.press('Enter');
  await page.keyboard.type('1234');
  await page.keyboard.press('Enter');
  await page.locator('#open-button').click();
  await page.locator('#sale').waitFor();
  for (let i = 0; i < signins; i++) {
    await page.locator('#act-lock').click();
    await page.locator('#pin').waitFor();
    const t0 = performance.now();
    await page.keyboard.type('1234');
    await page.keyboard.press('Enter');
    await page.locator('#sale').waitFor();
    await page.locator('#buttons p, #buttons button').first().waitFor();
    out.signin_ms.push(performance.now() - t0);
  }
  let rung = 0;
  for (let i = 0; i < scans; i++) {
    const n = 1 + ((i * 7919) % articles);
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    const t0 = performance.now();
    await page.keyboard.type(ean13(n));
    const e0 = performance.now();
    await page.keyboard.press('Enter');
    rung += 1;
    await page.locator(`#lines li.line:nth-child(${rung})`).waitFor();
    const done = performance.now();
    out.scan_ms.push(done - t0);
    out.enter_ms.push(done - e0);
    if (rung === 10) {
      const p0 = performance.now();
      await page.locator('#act-pay').click();
      await page.locator('button[data-quick="exact"]').click();
      await page.locator('#receipt').waitFor();
      out.pay_ms.push(performance.now() - p0);
      await page.locator('#new-sale').click();
      await page.locator('#lines .empty').waitFor();
      rung = 0;
    }
  }
  console.log(JSON.stringify(out));
} finally {
  await context.close();
}
