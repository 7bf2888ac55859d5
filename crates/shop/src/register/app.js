// The register screen of a Comptoir shop (docs/register.md). Plain JavaScript module, no
// framework: the server is the durable point, this page only rings the cart.
//
// - Every call goes to /app/v1 (the shop API with the browser session); writes carry the
//   session's CSRF token.
// - The cart lives in localStorage per register, so a reload or a crash never loses it.
// - A ticket gets its id before it is sent and keeps it until the server answers: a
//   double tap, a reload or a lost answer re-sends the same id, and the server sells once.
import { t, lang, setLang, applyTexts } from './i18n.js';

const $ = (id) => document.getElementById(id);
const path = location.pathname;
const registerCode = decodeURIComponent((path.match(/^\/registers\/([^/]+)/) || [])[1] || '');

const S = {
  session: null,
  csrf: null,
  till: null,
  keyboard: null,
  page: 0,
  selected: null,
  preview: null,
  offers: [],
  sending: false,
  // "CODE:PIN" of the manager approving this ticket's discounts; never stored.
  approval: null,
  down: false,
  screen: null,
};

// ---------------------------------------------------------------- small helpers

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function money(cents) {
  const locale = lang() === 'fr' ? 'fr-FR' : 'en-GB';
  return (cents / 100).toLocaleString(locale, { style: 'currency', currency: 'EUR' });
}

function percentText(bp) {
  return `${(bp / 100).toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB')} %`;
}

/** "Register Caisse 2" reads "Caisse Caisse 2" in French: a name that already says it is a register stands alone. */
function registerText(name) {
  return name.toLowerCase().startsWith(t('register').toLowerCase()) ? name : `${t('register')} ${name}`;
}

function qtyText(q) {
  return Number.isInteger(q) ? String(q) : q.toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 3 });
}

/// "12,50" or "12.50" (euros) -> 1250 cents; null when not a number.
function parseEuros(text) {
  const s = String(text).trim().replace(/\s|€/g, '').replace(',', '.');
  if (!/^-?\d+(\.\d{0,2})?$/.test(s)) return null;
  return Math.round(parseFloat(s) * 100);
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/// A UUIDv7 from crypto.getRandomValues (crypto.randomUUID needs HTTPS, which a shop's
/// LAN often lacks).
function uuid7() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  let ms = Date.now();
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.kind = body && body.kind;
    this.field = body && body.field;
  }
}

async function api(method, url, body, extra = {}) {
  const headers = { 'Accept-Language': lang(), ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && S.csrf) headers['X-CSRF-Token'] = S.csrf;
  let r;
  try {
    r = await fetch('/app/v1' + url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch (e) {
    serverDown(true);
    const err = new ApiError(0, { message: t('offline'), kind: 'network' });
    err.network = true;
    throw err;
  }
  serverDown(false);
  const data = r.status === 204 ? null : await r.json().catch(() => null);
  if (!r.ok) {
    const err = new ApiError(r.status, data);
    if (err.kind === 'signed_out' && S.session) {
      S.session = null;
      showSignIn();
    }
    throw err;
  }
  return data;
}

/// Worth sending again with the same id: the server may not have seen it, or was busy.
function retryable(e) {
  return e.network || e.status >= 500 || e.status === 408 || e.status === 429;
}

function serverDown(down) {
  if (S.down === down) return;
  S.down = down;
  $('offline').hidden = !down;
}

// ---------------------------------------------------------------- the cart (localStorage)

const cartKey = () => `comptoir.cart.${registerCode}`;

function emptyCart() {
  return { lines: [], discount: 0, customer: null, return_of: null, return_number: null, id: null, tenders: [], sending: false };
}

let cart = emptyCart();

function loadCart() {
  try {
    const saved = JSON.parse(localStorage.getItem(cartKey()));
    if (saved && Array.isArray(saved.lines)) cart = Object.assign(emptyCart(), saved);
  } catch (e) {
    cart = emptyCart();
  }
}

function saveCart() {
  localStorage.setItem(cartKey(), JSON.stringify(cart));
}

function lineGross(l) {
  return Math.round(l.qty * l.unit_price);
}

/// The total as this page computes it; the server's preview replaces it as soon as it
/// answers (offers, exact shares).
function localTotal() {
  return cart.lines.reduce((s, l) => s + lineGross(l) - (l.discount || 0) * Math.sign(l.qty || 1), 0) - cart.discount;
}

function total() {
  return S.preview ? S.preview.total : localTotal();
}

function ticketBody(payments) {
  return {
    id: cart.id || undefined,
    register: registerCode,
    cashier: S.session.user.code,
    lines: cart.lines.map((l) => {
      const line = { sku: l.sku, qty: l.qty };
      if (l.price_given && !cart.return_of) line.unit_price = l.unit_price;
      if (l.discount) line.discount = l.discount;
      return line;
    }),
    discount: cart.discount,
    payments,
    customer: cart.customer ? cart.customer.id : undefined,
    return_of: cart.return_of || undefined,
  };
}

function changed() {
  // A card payment the terminal accepted is money taken: it stays whatever the cart does.
  if (!cart.sending) cart.tenders = cart.tenders.filter((p) => p.terminal);
  saveCart();
  // A preview in flight is of the cart before this change: its answer is dropped.
  previewSeq++;
  S.preview = null;
  renderTicket();
  schedulePreview();
}

let previewTimer = null;
let previewSeq = 0;
function schedulePreview() {
  clearTimeout(previewTimer);
  if (!cart.lines.length) return;
  previewTimer = setTimeout(async () => {
    const seq = ++previewSeq;
    const body = ticketBody([]);
    delete body.id;
    try {
      const p = await api('POST', '/tickets/preview', body);
      if (seq === previewSeq) {
        S.preview = p;
        $('sale-error').textContent = '';
        renderTicket();
      }
    } catch (e) {
      if (seq === previewSeq && !e.network) $('sale-error').textContent = e.message;
    }
  }, 120);
}

// ---------------------------------------------------------------- screens

function show(id) {
  for (const s of ['choose', 'signin', 'opening', 'sale']) $(s).hidden = s !== id;
  S.screen = id;
}

function renderStatus() {
  $('st-shop').textContent = S.session ? S.session.shop.name : '';
  $('st-register').textContent = S.session ? registerText(S.session.register.name) : registerCode ? registerText(registerCode) : '';
  $('st-cashier').textContent = S.session ? `${t('cashier')} ${S.session.user.name}` : '';
  $('lang').textContent = lang() === 'fr' ? 'EN' : 'FR';
  // The accessible name starts with the visible text (WCAG 2.5.3).
  $('lang').setAttribute('aria-label', `${$('lang').textContent} – ${t('switch_language')}`);
}

async function chooseRegister() {
  show('choose');
  const list = $('register-list');
  list.replaceChildren();
  try {
    const registers = await api('GET', '/registers');
    for (const r of registers) {
      list.append(el('a', { class: 'choice', href: `/registers/${encodeURIComponent(r.code)}` }, el('strong', { text: r.name }), el('span', { text: r.code })));
    }
    if (!registers.length) list.append(el('p', { text: t('no_registers') }));
  } catch (e) {
    list.append(el('p', { class: 'error', text: e.message }));
  }
}

// ---- sign-in

let keypadTarget = 'user-code';

function buildKeypad() {
  const pad = $('keypad');
  pad.replaceChildren();
  for (const k of ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', '⌫']) {
    pad.append(
      el('button', {
        type: 'button',
        class: 'key',
        text: k,
        'aria-label': k === '⌫' ? t('backspace') : k === 'C' ? t('clear') : k,
        onclick: () => {
          const input = $(keypadTarget);
          if (k === '⌫') input.value = input.value.slice(0, -1);
          else if (k === 'C') input.value = '';
          else input.value += k;
          input.focus();
        },
      }),
    );
  }
}

function showSignIn(keepUser) {
  show('signin');
  renderStatus();
  $('signin-register').textContent = `${t('register')} ${registerCode}`;
  $('signin-error').textContent = '';
  $('pin').value = '';
  if (!keepUser) $('user-code').value = '';
  const first = keepUser && $('user-code').value ? 'pin' : 'user-code';
  keypadTarget = first;
  $(first).focus();
}

async function signIn(ev) {
  ev.preventDefault();
  const user = $('user-code').value.trim();
  const pin = $('pin').value;
  if (!user) return $('user-code').focus();
  if (!pin) return $('pin').focus();
  try {
    const s = await api('POST', '/session', { register: registerCode, user, pin });
    $('pin').value = '';
    await signedIn(s);
  } catch (e) {
    $('signin-error').textContent = e.message;
    $('pin').value = '';
    $('pin').focus();
  }
}

async function signedIn(session) {
  S.session = session;
  S.csrf = session.csrf;
  renderStatus();
  await refreshDevices();
  await refreshTill();
}

// ---------------------------------------------------------------- devices: printer, terminal

/// The register's devices and its printer's state, shown in the status bar when the
/// printer is offline or receipts wait.
async function refreshDevices() {
  try {
    S.devices = await api('GET', `/registers/${encodeURIComponent(registerCode)}/devices`);
  } catch (e) {
    return;
  }
  showPrinter(S.devices.printer_status);
}

function showPrinter(status) {
  const p = $('st-printer');
  const trouble = status && (!status.online || status.waiting > 0);
  p.hidden = !trouble;
  p.classList.toggle('down', Boolean(status && !status.online));
  if (trouble) p.textContent = lang() === 'fr' ? status.message_fr : status.message_en;
}

/// Opens the drawer on demand: a manager types their code and PIN (journaled by the server).
function openDrawer() {
  const code = el('input', { id: 'drawer-manager', autocomplete: 'off', inputmode: 'numeric' });
  const pin = el('input', { id: 'drawer-pin', type: 'password', autocomplete: 'off', inputmode: 'numeric' });
  const ok = async () => {
    try {
      const status = await api('POST', `/registers/${encodeURIComponent(registerCode)}/drawer`, { manager: code.value.trim(), pin: pin.value });
      closeDialog(null);
      showPrinter(status);
    } catch (e) {
      pin.value = '';
      dialogError(e.message);
    }
  };
  code.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); pin.focus(); } });
  pin.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); ok(); } });
  dialogDone = null;
  openDialog(t('open_drawer'), [
    el('p', { class: 'muted', text: t('drawer_needs_manager') }),
    el('label', { for: 'drawer-manager', text: t('manager_code') }), code,
    el('label', { for: 'drawer-pin', text: t('pin') }), pin,
  ], [
    el('button', { type: 'button', text: t('cancel'), onclick: () => closeDialog(null) }),
    el('button', { type: 'button', class: 'primary', id: 'drawer-ok', text: t('ok'), onclick: ok }),
  ]);
  code.focus();
}

/// Asks the register's card terminal for `cents`; the tender exists only when accepted.
async function cardPayment(cents) {
  openDialog(t('card_terminal'), [el('p', { class: 'due', text: money(cents) }), el('p', { class: 'muted', id: 'card-wait', text: t('card_wait') })], []);
  let answer;
  try {
    answer = await api('POST', `/registers/${encodeURIComponent(registerCode)}/card`, { amount: cents });
  } catch (e) {
    answer = { status: 'timeout', reason: e.message, reason_fr: e.message };
  }
  if (answer.status === 'accepted') return answer;
  renderPay();
  const why = lang() === 'fr' ? answer.reason_fr : answer.reason;
  dialogError(`${answer.status === 'refused' ? t('card_refused') : t('card_no_answer')} ${why || ''}`);
  return null;
}

async function refreshTill() {
  S.till = await api('GET', `/registers/${encodeURIComponent(registerCode)}/till`);
  if (S.till.session) {
    await showSale();
  } else {
    showOpening();
  }
}

// ---- opening the till

const DENOMS = [50000, 20000, 10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1];

function denomGrid(container, onChange) {
  container.replaceChildren();
  const inputs = [];
  for (const d of DENOMS) {
    const id = `${container.id}-${d}`;
    const input = el('input', { id, type: 'number', min: '0', step: '1', inputmode: 'numeric', value: '', dataset: { denom: String(d) } });
    input.addEventListener('input', onChange);
    inputs.push(input);
    container.append(el('div', { class: 'denom' }, el('label', { for: id, text: money(d) }), input));
  }
  const read = () => {
    const detail = {};
    let sum = 0;
    for (const i of inputs) {
      const n = parseInt(i.value, 10);
      if (n > 0) {
        detail[i.dataset.denom] = n;
        sum += n * parseInt(i.dataset.denom, 10);
      }
    }
    return { detail, sum };
  };
  return read;
}

let readFloat = () => ({ detail: {}, sum: 0 });

function showOpening() {
  show('opening');
  $('opening-error').textContent = '';
  const due = S.till && S.till.z_due;
  $('z-due').hidden = !due;
  $('float-form').hidden = !!due;
  if (due) $('z-due-text').textContent = t('z_due', { day: due });
  readFloat = denomGrid($('float-denoms'), () => ($('float-total').textContent = money(readFloat().sum)));
  $('float-total').textContent = money(0);
  messages('opening');
}

async function openTill() {
  const { detail } = readFloat();
  try {
    await api('POST', `/registers/${encodeURIComponent(registerCode)}/till/open`, { detail });
    await refreshTill();
  } catch (e) {
    $('opening-error').textContent = e.message;
  }
}

// ---- the sale screen

async function showSale() {
  show('sale');
  if (!S.keyboard) {
    try {
      S.keyboard = await api('GET', `/registers/${encodeURIComponent(registerCode)}/keyboard`);
    } catch (e) {
      S.keyboard = { pages: [] };
    }
  }
  renderKeyboard();
  renderTicket();
  if (cart.lines.length) schedulePreview();
  if (cart.customer) loadCustomer(cart.customer.id, false);
  // A ticket was being sent when the page went away: finish sending it, same id.
  if (cart.sending && cart.id) sendTicket(cart.tenders);
}

function renderKeyboard() {
  const pages = (S.keyboard && S.keyboard.pages) || [];
  const nav = $('pages');
  nav.replaceChildren();
  pages.forEach((p, i) => {
    nav.append(el('button', { type: 'button', class: i === S.page ? 'page current' : 'page', 'aria-pressed': i === S.page ? 'true' : 'false', text: p.name, onclick: () => { S.page = i; renderKeyboard(); } }));
  });
  const grid = $('buttons');
  grid.replaceChildren();
  const page = pages[S.page];
  if (!page) {
    grid.append(el('p', { class: 'muted', text: t('no_keyboard') }));
    return;
  }
  page.buttons.forEach((b, i) => {
    grid.append(
      el('button', {
        type: 'button',
        class: `article c${(i + S.page) % 8}`,
        text: b.label,
        dataset: { kind: b.kind, value: b.value },
        onclick: () => keyButton(b),
      }),
    );
  });
}

function keyButton(b) {
  if (b.kind === 'article') return ring(b.value);
  if (b.kind === 'category') return search(b.value);
  if (b.kind === 'function') {
    const f = { discount: ticketDiscount, return: startReturn, park: park, customer: customerDialog }[b.value];
    if (f) return f();
  }
}

function renderTicket() {
  const ol = $('lines');
  ol.replaceChildren();
  const previewLines = S.preview ? S.preview.lines : null;
  cart.lines.forEach((l, i) => {
    const offer = S.preview && (S.preview.offers || []).find((o) => o.line === i);
    const lineTotal = previewLines && previewLines[i] ? previewLines[i].total : lineGross(l) - (l.discount || 0);
    const li = el(
      'li',
      { class: i === S.selected ? 'line selected' : 'line', dataset: { sku: l.sku }, onclick: () => { S.selected = i; renderTicket(); } },
      el('button', { type: 'button', class: 'line-main', 'aria-pressed': i === S.selected ? 'true' : 'false' },
        el('span', { class: 'name', text: l.name }),
        el('span', { class: 'qty', text: `${qtyText(l.qty)} × ${money(l.unit_price)}` }),
        el('span', { class: 'amount', text: money(lineTotal) })),
      l.discount ? el('span', { class: 'sub', text: `${t('discount')} −${money(l.discount)}` }) : null,
      offer ? el('span', { class: 'sub offer', text: `${offer.name} −${money(offer.discount)}` }) : null,
    );
    ol.append(li);
  });
  if (!cart.lines.length) ol.append(el('li', { class: 'empty muted', text: t('empty_ticket') }));
  $('ticket-mode').textContent = cart.return_of ? t('return_of', { number: cart.return_number || '' }) : t('sale');
  $('ticket-mode').className = cart.return_of ? 'mode return' : 'mode';
  $('discount-row').hidden = !cart.discount;
  $('ticket-discount').textContent = `−${money(cart.discount)}`;
  $('total').textContent = money(total());
  const chip = $('customer-chip');
  chip.hidden = !cart.customer;
  if (cart.customer) chip.textContent = `${cart.customer.name} · ${cart.customer.card} · ${t('points', { n: cart.customer.points ?? '…' })}`;
  const offers = $('offers');
  offers.hidden = !(cart.customer && S.offers.length);
  offers.replaceChildren(el('strong', { text: t('offers') + ' ' }), ...S.offers.map((o) => el('span', { class: 'chip', text: o.name })));
  $('act-pay').disabled = !cart.lines.length || S.sending;
  $('act-pay').textContent = `${cart.return_of ? t('refund') : t('pay')} ${money(total())}`;
}

// ---- ringing articles

// Rings run one after the other, in the order scanned or tapped; paying, parking and
// the other ticket actions wait for the rings in flight (`settled`).
let ringing = Promise.resolve();
function ring(code) {
  ringing = ringing.then(() => ringNow(code));
  return ringing;
}

function settled() {
  return ringing;
}

async function ringNow(code) {
  code = String(code).trim();
  if (!code) return;
  $('sale-error').textContent = '';
  if (cart.sending) return;
  try {
    const s = await api('GET', `/scan/${encodeURIComponent(code)}`);
    addLine(s.article, s.qty, s.unit_price, s.price_given);
  } catch (e) {
    $('sale-error').textContent = e.message;
  }
}

function addLine(article, qty, unitPrice, priceGiven) {
  if (cart.return_of) return;
  const same = cart.lines.findIndex((l) => l.sku === article.sku && !l.price_given && !priceGiven && Number.isInteger(l.qty) && Number.isInteger(qty) && !l.discount);
  if (same >= 0) {
    cart.lines[same].qty += qty;
    S.selected = same;
  } else {
    cart.lines.push({ sku: article.sku, name: article.name, qty, unit_price: unitPrice, price_given: !!priceGiven, discount: 0 });
    S.selected = cart.lines.length - 1;
  }
  changed();
}

async function search(q) {
  const box = $('search-results');
  box.replaceChildren();
  box.hidden = false;
  try {
    const page = await api('GET', `/articles?limit=24&q=${encodeURIComponent(q)}`);
    const items = page.items.filter((a) => a.active);
    if (!items.length) box.append(el('p', { class: 'muted', text: t('nothing_found') }));
    for (const a of items) {
      box.append(el('button', { type: 'button', class: 'result', onclick: () => { box.hidden = true; $('search').value = ''; addLine(a, 1, a.price, false); } },
        el('span', { text: a.name }), el('span', { class: 'muted', text: `${a.sku} · ${money(a.price)}` })));
    }
    box.append(el('button', { type: 'button', class: 'link', text: t('close'), onclick: () => (box.hidden = true) }));
  } catch (e) {
    box.append(el('p', { class: 'error', text: e.message }));
  }
}

// The scanner types digits then Enter anywhere on the sale screen: no field to focus.
let scanBuffer = '';
let scanAt = 0;
document.addEventListener('keydown', (ev) => {
  if (S.screen !== 'sale' || !$('overlay').hidden || !$('receipt').hidden) return;
  const target = ev.target;
  if (target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement) return;
  const now = Date.now();
  if (now - scanAt > 200) scanBuffer = '';
  scanAt = now;
  if (ev.key === 'Enter') {
    if (scanBuffer.length >= 3) {
      ev.preventDefault();
      const code = scanBuffer;
      scanBuffer = '';
      ring(code);
    }
    return;
  }
  if (/^[0-9A-Za-z]$/.test(ev.key)) {
    scanBuffer += ev.key;
    if (target instanceof HTMLButtonElement) ev.preventDefault();
  } else if (ev.key === 'Delete' && S.selected !== null) {
    deleteLine();
  } else if (ev.key === 'F12' || ev.key === '+') {
    ev.preventDefault();
    payDialog();
  }
});

// ---- lines

function selectedLine() {
  if (S.selected === null || !cart.lines[S.selected]) {
    $('sale-error').textContent = t('select_line');
    return null;
  }
  return cart.lines[S.selected];
}

async function changeQty() {
  const l = selectedLine();
  if (!l) return;
  const v = await ask({ title: t('qty'), label: l.name, value: qtyText(Math.abs(l.qty)), inputmode: 'decimal' });
  if (v === null) return;
  const q = parseFloat(v.replace(',', '.'));
  if (!(q > 0) || Math.round(q * 1000) !== q * 1000) return ($('sale-error').textContent = t('bad_qty'));
  if (cart.return_of) {
    const max = l.sold_qty || Math.abs(l.qty);
    l.qty = -Math.min(q, max);
  } else l.qty = q;
  changed();
}

/// "10%" or "1,50" (euros) of `base` cents -> cents.
function discountOf(text, base) {
  const s = String(text).trim();
  if (s.endsWith('%')) {
    const p = parseFloat(s.slice(0, -1).replace(',', '.'));
    if (!(p >= 0 && p <= 100)) return null;
    return Math.round((Math.abs(base) * p) / 100);
  }
  const c = parseEuros(s);
  return c !== null && c >= 0 && c <= Math.abs(base) ? c : null;
}

async function lineDiscount() {
  const l = selectedLine();
  if (!l || cart.return_of) return;
  const v = await ask({ title: t('line_discount'), label: t('discount_hint'), value: '', inputmode: 'text' });
  if (v === null) return;
  const d = discountOf(v, lineGross(l));
  if (d === null) return ($('sale-error').textContent = t('bad_discount'));
  l.discount = d;
  changed();
}

async function ticketDiscount() {
  if (!cart.lines.length || cart.return_of) return;
  const v = await ask({ title: t('ticket_discount_button'), label: t('discount_hint'), value: '', inputmode: 'text' });
  if (v === null) return;
  const base = cart.lines.reduce((s, l) => s + lineGross(l) - (l.discount || 0), 0);
  const d = discountOf(v, base);
  if (d === null) return ($('sale-error').textContent = t('bad_discount'));
  cart.discount = d;
  changed();
}

function deleteLine() {
  if (!selectedLine() || cart.sending) return;
  cart.lines.splice(S.selected, 1);
  S.selected = cart.lines.length ? Math.min(S.selected, cart.lines.length - 1) : null;
  if (!cart.lines.length) {
    cart.discount = 0;
    if (cart.return_of) Object.assign(cart, { return_of: null, return_number: null });
  }
  changed();
}

// ---------------------------------------------------------------- dialogs

let dialogDone = null;

function openDialog(title, body, actions) {
  $('dialog-title').textContent = title;
  $('dialog-body').replaceChildren(...[body].flat().filter(Boolean));
  $('dialog-error').textContent = '';
  $('dialog-actions').replaceChildren(...actions.filter(Boolean));
  $('overlay').hidden = false;
  const focus = $('dialog-body').querySelector('input') || $('dialog-actions').querySelector('.primary') || $('dialog-actions').querySelector('button');
  if (focus) focus.focus();
}

function closeDialog(value) {
  $('overlay').hidden = true;
  const done = dialogDone;
  dialogDone = null;
  if (done) done(value);
}

function dialogError(text) {
  $('dialog-error').textContent = text;
}

/// A one-field question; resolves to the text, or null when cancelled.
function ask({ title, label, value, inputmode }) {
  return new Promise((resolve) => {
    const input = el('input', { id: 'ask-input', value: value || '', inputmode: inputmode || 'text', autocomplete: 'off' });
    const ok = el('button', { type: 'button', class: 'primary', text: t('ok'), onclick: () => closeDialog(input.value) });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        closeDialog(input.value);
      }
    });
    dialogDone = resolve;
    openDialog(title, [el('label', { for: 'ask-input', text: label }), input], [el('button', { type: 'button', text: t('cancel'), onclick: () => closeDialog(null) }), ok]);
    input.select();
  });
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !$('overlay').hidden) closeDialog(null);
});

// ---------------------------------------------------------------- payment

const METHODS = ['cash', 'card', 'cheque', 'voucher', 'loyalty'];

function paid() {
  return cart.tenders.reduce((s, p) => s + p.amount, 0);
}

async function payDialog() {
  await settled();
  if (!cart.lines.length || S.sending) return;
  // The amount to pay is the server's: its preview of this very cart (any change drops
  // it), else a fresh one.
  clearTimeout(previewTimer);
  if (!S.preview) try {
    const body = ticketBody([]);
    delete body.id;
    S.preview = await api('POST', '/tickets/preview', body);
    renderTicket();
  } catch (e) {
    if (!e.network) return ($('sale-error').textContent = e.message);
  }
  renderPay();
}

function renderPay() {
  const due = total();
  const refund = due < 0;
  const remaining = due - paid();
  const amount = el('input', { id: 'tender-amount', inputmode: 'decimal', autocomplete: 'off', value: (Math.abs(remaining) / 100).toFixed(2) });
  const tender = async (method, cents) => {
    if (S.sending) return;
    if (cents === null || cents === 0) return dialogError(t('bad_amount'));
    const rest = total() - paid();
    if (refund) cents = -Math.min(Math.abs(cents), Math.abs(rest));
    else if (method !== 'cash' && cents > rest) return dialogError(t('only_cash_change'));
    let terminal;
    if (method === 'card' && !refund && S.devices && S.devices.terminal) {
      const answer = await cardPayment(cents);
      if (!answer) return;
      terminal = answer.id;
    }
    cart.tenders.push(terminal ? { method, amount: cents, terminal } : { method, amount: cents });
    saveCart();
    if (refund ? paid() <= total() : paid() >= total()) {
      sendTicket(cart.tenders);
    } else renderPay();
  };
  const methods = METHODS.filter((m) => m !== 'loyalty' || (cart.customer && !refund)).map((m) =>
    el('button', { type: 'button', class: `tender ${m}`, dataset: { method: m }, text: t(m), onclick: () => tender(m, parseEuros(amount.value)) }),
  );
  const quick = refund ? [] : [
    el('button', { type: 'button', class: 'quick', dataset: { quick: 'exact' }, text: t('exact'), onclick: () => tender('cash', Math.max(remaining, 0)) }),
    ...[500, 1000, 2000, 5000].map((c) => el('button', { type: 'button', class: 'quick', dataset: { quick: String(c) }, text: money(c), onclick: () => tender('cash', c) })),
  ];
  // A card payment the terminal accepted stays: the customer paid it.
  const list = el('ul', { class: 'tenders' }, cart.tenders.map((p, i) => el('li', {}, `${t(p.method)} ${money(p.amount)}`, p.terminal ? el('span', { class: 'muted', text: ` ${t('card_accepted')}` }) : el('button', { type: 'button', class: 'small', text: t('remove'), 'aria-label': `${t('remove')} ${t(p.method)}`, onclick: () => { cart.tenders.splice(i, 1); saveCart(); renderPay(); } }))));
  const body = [
    el('p', { class: 'due' }, el('span', { text: refund ? t('to_refund') : t('remaining') }), el('strong', { id: 'remaining', text: money(Math.abs(remaining)) })),
    el('label', { for: 'tender-amount', text: t('amount') }),
    amount,
    el('div', { class: 'methods' }, methods),
    quick.length ? el('div', { class: 'quicks' }, el('span', { class: 'muted', text: t('cash_quick') }), quick) : null,
    list,
  ];
  dialogDone = null;
  openDialog(refund ? t('refund') : t('payment'), body, [el('button', { type: 'button', text: t('back'), onclick: () => { cart.tenders = cart.tenders.filter((p) => p.terminal); saveCart(); closeDialog(null); } })]);
  amount.select();
}

async function sendTicket(payments) {
  if (S.sending) return;
  S.sending = true;
  if (!cart.id) cart.id = uuid7();
  cart.sending = true;
  saveCart();
  renderTicket();
  openDialog(t('sending'), [el('p', { class: 'due', text: money(total()) }), el('p', { class: 'muted', text: t('sending_wait') })], []);
  const body = ticketBody(payments.map((p) => ({ method: p.method, amount: p.amount })));
  const accepted = payments.filter((p) => p.terminal).map((p) => p.terminal);
  if (accepted.length) body.terminal_payments = accepted;
  for (let attempt = 0; ; attempt++) {
    try {
      const approval = S.approval ? { 'X-Manager-Approval': S.approval } : {};
      const ticket = await api('POST', '/tickets', body, approval);
      S.approval = null;
      S.sending = false;
      closeDialog(null);
      S.receiptEmail = (cart.customer && cart.customer.email) || '';
      cart = emptyCart();
      S.preview = null;
      S.selected = null;
      S.offers = [];
      saveCart();
      renderTicket();
      showReceipt(ticket);
      return;
    } catch (e) {
      if (retryable(e)) {
        dialogError(t('retrying'));
        await sleep(Math.min(1000 + attempt * 500, 4000));
        continue;
      }
      // Discounts above the cashier's limit: a manager types their code and PIN here.
      const approvalRefused = e.kind === 'manager_approval_needed' || (S.approval && ['wrong_pin', 'forbidden'].includes(e.kind));
      if (approvalRefused && (await askManager(e.message))) {
        openDialog(t('sending'), [el('p', { class: 'due', text: money(total()) })], []);
        continue;
      }
      // Refused: nothing was written; the cashier fixes the ticket and pays again.
      S.approval = null;
      S.sending = false;
      cart.sending = false;
      cart.tenders = [];
      saveCart();
      closeDialog(null);
      $('sale-error').textContent = e.message;
      renderTicket();
      return;
    }
  }
}

/// Asks a manager's code and PIN (kept in memory for this ticket only); false when cancelled.
function askManager(reason) {
  return new Promise((resolve) => {
    const code = el('input', { id: 'manager-code', autocomplete: 'off', inputmode: 'numeric' });
    const pin = el('input', { id: 'manager-pin', type: 'password', autocomplete: 'off', inputmode: 'numeric' });
    const ok = () => {
      S.approval = `${code.value.trim()}:${pin.value}`;
      closeDialog(true);
    };
    code.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); pin.focus(); } });
    pin.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); ok(); } });
    dialogDone = (v) => resolve(v === true);
    openDialog(t('manager_approval'), [
      el('p', { text: reason }),
      el('label', { for: 'manager-code', text: t('manager_code') }), code,
      el('label', { for: 'manager-pin', text: t('pin') }), pin,
    ], [
      el('button', { type: 'button', text: t('cancel'), onclick: () => closeDialog(false) }),
      el('button', { type: 'button', class: 'primary', id: 'manager-ok', text: t('ok'), onclick: ok }),
    ]);
  });
}

// ---------------------------------------------------------------- receipt (a view of the server's ticket)

function receiptOf(ticket) {
  const paper = [];
  paper.push(el('h2', { text: S.session.shop.name }));
  paper.push(el('p', { class: 'center', text: ticket.kind === 'return' ? t('receipt_return') : t('receipt') }));
  paper.push(el('p', { class: 'center', id: 'receipt-number', text: ticket.number }));
  paper.push(el('p', { class: 'center muted', text: new Date(ticket.created_at).toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB') }));
  const rows = el('table', { class: 'receipt-lines' });
  ticket.lines.forEach((l, i) => {
    rows.append(el('tr', {}, el('td', { text: l.name }), el('td', { class: 'num', text: money(l.total) })));
    rows.append(el('tr', { class: 'sub' }, el('td', { text: `${qtyText(l.qty)} × ${money(l.unit_price)}` }), el('td')));
    const o = (ticket.offers || []).find((x) => x.line === i);
    if (l.discount) rows.append(el('tr', { class: 'sub' }, el('td', { text: o ? o.name : t('discount') }), el('td', { class: 'num', text: `−${money(l.discount)}` })));
  });
  paper.push(rows);
  if (ticket.discount) paper.push(el('p', { class: 'spread' }, el('span', { text: t('ticket_discount') }), el('span', { text: `−${money(ticket.discount)}` })));
  paper.push(el('p', { class: 'spread grand' }, el('span', { text: t('total') }), el('strong', { id: 'receipt-total', text: money(ticket.total) })));
  for (const p of ticket.payments) paper.push(el('p', { class: 'spread' }, el('span', { text: t(p.method) }), el('span', { text: money(p.amount) })));
  if (ticket.change) paper.push(el('p', { class: 'spread' }, el('span', { text: t('change') }), el('strong', { id: 'receipt-change', text: money(ticket.change) })));
  const vat = el('table', { class: 'receipt-vat' }, el('tr', {}, el('th', { text: t('vat_rate') }), el('th', { text: t('net') }), el('th', { text: t('vat') })));
  for (const v of ticket.vat) vat.append(el('tr', {}, el('td', { text: percentText(v.rate_bp) }), el('td', { class: 'num', text: money(v.net) }), el('td', { class: 'num', text: money(v.vat) })));
  paper.push(vat);
  paper.push(el('p', { class: 'center muted', text: `${t('cashier')} ${ticket.cashier}` }));
  return paper;
}

function showReceipt(ticket) {
  $('receipt-paper').replaceChildren(...receiptOf(ticket));
  $('receipt').hidden = false;
  S.receiptOf = ticket.number;
  $('receipt-note').textContent = '';
  $('receipt-qr-img').hidden = true;
  // Since August 2023 a receipt is printed only when the customer asks (or as the register is set).
  const mode = S.devices ? S.devices.receipt_mode : 'ask';
  $('receipt-choice').hidden = mode === 'none' || mode === 'print';
  $('receipt-print').hidden = !(S.devices && S.devices.receipt_printer);
  $('receipt-email').hidden = !(S.devices && S.devices.email);
  $('receipt-email-form').hidden = true;
  $('receipt-email-to').value = '';
  if (mode === 'print') $('receipt-note').textContent = t('receipt_printed');
  if (mode === 'qr') receiptQr();
  $('new-sale').focus();
  // The register set to e-mail asks for the address at once (when the shop has a mail server).
  if (mode === 'email' && S.devices.email) receiptEmailForm();
  refreshDevices();
}

async function receiptPrint() {
  try {
    const p = await api('POST', `/tickets/${encodeURIComponent(S.receiptOf)}/print`, {});
    if (p.status === 'browser' && p.page) window.open(`${p.page}&print=1`, '_blank', 'noopener');
    $('receipt-note').textContent = p.duplicate ? `${t('receipt_printed')} (${p.duplicate})` : t('receipt_printed');
    showPrinter(p.printer_status);
  } catch (e) {
    $('receipt-note').textContent = e.message;
  }
}

async function receiptQr() {
  try {
    const link = await api('POST', `/tickets/${encodeURIComponent(S.receiptOf)}/link`, {});
    const img = $('receipt-qr-img');
    img.src = link.qr;
    img.alt = link.url;
    img.hidden = false;
    $('receipt-note').textContent = t('receipt_qr_note');
  } catch (e) {
    $('receipt-note').textContent = e.message;
  }
}

function receiptEmailForm() {
  $('receipt-email-form').hidden = false;
  const to = $('receipt-email-to');
  if (!to.value && S.receiptEmail) to.value = S.receiptEmail;
  to.focus();
}

async function receiptEmail(ev) {
  ev.preventDefault();
  const to = $('receipt-email-to').value.trim();
  try {
    const sent = await api('POST', `/tickets/${encodeURIComponent(S.receiptOf)}/email`, { to });
    $('receipt-note').textContent = t('receipt_emailed', { to: sent.sent_to });
    $('receipt-email-form').hidden = true;
    $('new-sale').focus();
  } catch (e) {
    $('receipt-note').textContent = e.message;
    $('receipt-email-to').focus();
  }
}

async function newSale() {
  $('receipt').hidden = true;
  await messages('between_tickets');
}

// ---------------------------------------------------------------- customers, offers, points

async function loadCustomer(id, announce) {
  try {
    const [loyalty, offers] = await Promise.all([
      api('GET', `/customers/${encodeURIComponent(id)}/loyalty`),
      api('GET', `/customers/${encodeURIComponent(id)}/offers`),
    ]);
    if (!cart.customer || cart.customer.id !== id) return;
    cart.customer.points = loyalty.balance;
    S.offers = offers;
    saveCart();
    renderTicket();
    if (announce && offers.length) $('sale-error').textContent = '';
  } catch (e) {
    $('sale-error').textContent = e.message;
  }
}

function setCustomer(c) {
  cart.customer = { id: c.id, name: c.name, card: c.card, email: c.email, points: c.loyalty_balance };
  S.offers = [];
  changed();
  loadCustomer(c.id, true);
}

function customerDialog() {
  const q = el('input', { id: 'customer-q', type: 'search', autocomplete: 'off' });
  const results = el('div', { class: 'results', id: 'customer-results' });
  const find = async () => {
    results.replaceChildren();
    try {
      const page = await api('GET', `/customers?q=${encodeURIComponent(q.value)}`);
      if (!page.items.length) results.append(el('p', { class: 'muted', text: t('nothing_found') }));
      for (const c of page.items) {
        results.append(el('button', { type: 'button', class: 'result', onclick: () => { closeDialog(null); setCustomer(c); } },
          el('span', { text: c.name }), el('span', { class: 'muted', text: `${c.card} · ${t('points', { n: c.loyalty_balance })}` })));
      }
    } catch (e) {
      dialogError(e.message);
    }
  };
  q.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); find(); } });
  const name = el('input', { id: 'new-customer-name', autocomplete: 'off' });
  const phone = el('input', { id: 'new-customer-phone', inputmode: 'tel', autocomplete: 'off' });
  const create = async () => {
    try {
      const c = await api('POST', '/customers', { name: name.value, phone: phone.value || undefined });
      closeDialog(null);
      setCustomer(c);
    } catch (e) {
      dialogError(e.message);
    }
  };
  dialogDone = null;
  openDialog(t('customer'), [
    el('label', { for: 'customer-q', text: t('customer_search') }), q,
    el('button', { type: 'button', text: t('search'), onclick: find }),
    results,
    el('h3', { text: t('new_customer') }),
    el('label', { for: 'new-customer-name', text: t('name') }), name,
    el('label', { for: 'new-customer-phone', text: t('phone') }), phone,
    el('button', { type: 'button', id: 'create-customer', text: t('create'), onclick: create }),
  ], [
    cart.customer ? el('button', { type: 'button', text: t('remove_customer'), onclick: () => { cart.customer = null; S.offers = []; closeDialog(null); changed(); } }) : null,
    el('button', { type: 'button', text: t('close'), onclick: () => closeDialog(null) }),
  ].filter(Boolean));
}

// ---------------------------------------------------------------- park and resume

async function park() {
  await settled();
  if (!cart.lines.length || cart.return_of || cart.sending) return;
  const label = await ask({ title: t('park'), label: t('park_label'), value: '' });
  if (label === null) return;
  try {
    await api('POST', '/parked', {
      id: uuid7(),
      register: registerCode,
      cashier: S.session.user.code,
      label,
      lines: cart.lines.map((l) => ({ sku: l.sku, name: l.name, qty: l.qty, unit_price: l.unit_price, price_given: !!l.price_given, discount: l.discount || 0 })),
      discount: cart.discount,
      customer: cart.customer ? cart.customer.id : undefined,
    });
    cart = emptyCart();
    S.offers = [];
    S.selected = null;
    changed();
  } catch (e) {
    $('sale-error').textContent = e.message;
  }
}

async function resumeDialog() {
  await settled();
  if (cart.sending) return;
  let list;
  try {
    list = await api('GET', '/parked');
  } catch (e) {
    return ($('sale-error').textContent = e.message);
  }
  const items = list.map((p) =>
    el('button', { type: 'button', class: 'result', dataset: { parked: p.id }, onclick: () => resume(p.id) },
      el('span', { text: p.label }),
      el('span', { class: 'muted', text: `${p.register} · ${p.cashier} · ${p.lines.length} ${t('lines')} · ${money(p.lines.reduce((s, l) => s + Math.round(l.qty * l.unit_price) - l.discount, 0) - p.discount)}` })),
  );
  dialogDone = null;
  openDialog(t('resume'), items.length ? items : [el('p', { class: 'muted', text: t('nothing_parked') })], [el('button', { type: 'button', text: t('close'), onclick: () => closeDialog(null) })]);
}

async function resume(id) {
  if (cart.lines.length) return dialogError(t('finish_first'));
  try {
    const p = await api('DELETE', `/parked/${encodeURIComponent(id)}`);
    closeDialog(null);
    cart = emptyCart();
    cart.lines = p.lines.map((l) => ({ ...l }));
    cart.discount = p.discount;
    if (p.customer) {
      try {
        const c = await api('GET', `/customers/${encodeURIComponent(p.customer)}`);
        cart.customer = { id: c.id, name: c.name, card: c.card, email: c.email, points: c.loyalty_balance };
        loadCustomer(c.id, false);
      } catch (e) {
        cart.customer = null;
      }
    }
    S.selected = null;
    changed();
  } catch (e) {
    dialogError(e.message);
  }
}

// ---------------------------------------------------------------- returns

async function startReturn() {
  await settled();
  if (cart.lines.length || cart.sending) return ($('sale-error').textContent = t('finish_first'));
  const key = await ask({ title: t('return'), label: t('return_number'), value: '' });
  if (!key) return;
  let sale;
  try {
    sale = await api('GET', `/tickets/${encodeURIComponent(key.trim())}`);
  } catch (e) {
    return ($('sale-error').textContent = e.message);
  }
  if (sale.kind !== 'sale') return ($('sale-error').textContent = t('not_a_sale'));
  const boxes = sale.lines.map((l, i) => {
    const id = `ret-${i}`;
    return el('div', { class: 'check' }, el('input', { type: 'checkbox', id, checked: true, dataset: { index: String(i) } }), el('label', { for: id, text: `${l.name} — ${qtyText(l.qty)} × ${money(l.unit_price)} = ${money(l.total)}` }));
  });
  dialogDone = null;
  openDialog(t('return_of', { number: sale.number }), [el('p', { class: 'muted', text: t('return_pick') }), ...boxes], [
    el('button', { type: 'button', text: t('cancel'), onclick: () => closeDialog(null) }),
    el('button', { type: 'button', class: 'primary', id: 'return-confirm', text: t('refund'), onclick: () => {
      const picked = [...$('dialog-body').querySelectorAll('input[type=checkbox]')].filter((b) => b.checked).map((b) => sale.lines[parseInt(b.dataset.index, 10)]);
      if (!picked.length) return dialogError(t('return_pick'));
      closeDialog(null);
      cart = emptyCart();
      cart.return_of = sale.id;
      cart.return_number = sale.number;
      cart.lines = picked.map((l) => ({ sku: l.sku, name: l.name, qty: -l.qty, sold_qty: l.qty, unit_price: l.unit_price, price_given: false, discount: 0 }));
      S.selected = null;
      changed();
    } }),
  ]);
}

// ---------------------------------------------------------------- X, close, Z

function totalsView(totals) {
  const rows = el('table', { class: 'report' });
  rows.append(el('tr', {}, el('th', { text: t('tickets') }), el('td', { class: 'num', text: String(totals.ticket_count) })));
  rows.append(el('tr', {}, el('th', { text: t('total') }), el('td', { class: 'num', text: money(totals.total) })));
  for (const [m, a] of Object.entries(totals.payments || {})) rows.append(el('tr', {}, el('th', { text: t(m) }), el('td', { class: 'num', text: money(a) })));
  for (const [r, v] of Object.entries(totals.vat || {})) rows.append(el('tr', {}, el('th', { text: `${t('vat')} ${percentText(Number(r))}` }), el('td', { class: 'num', text: money(v.vat) })));
  return rows;
}

async function xReading() {
  try {
    const x = await api('GET', `/registers/${encodeURIComponent(registerCode)}/x`);
    dialogDone = null;
    openDialog(t('x_reading'), [
      el('p', { class: 'muted', text: new Date(x.at).toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB') }),
      totalsView(x.totals),
      x.expected_cash !== null ? el('p', { class: 'spread' }, el('span', { text: t('expected_cash') }), el('strong', { id: 'x-expected', text: money(x.expected_cash) })) : null,
    ], [el('button', { type: 'button', text: t('print'), onclick: () => window.print() }), el('button', { type: 'button', class: 'primary', text: t('close'), onclick: () => closeDialog(null) })]);
  } catch (e) {
    $('sale-error').textContent = e.message;
  }
}

async function closeTill() {
  if (cart.lines.length) return ($('sale-error').textContent = t('finish_first'));
  let x;
  try {
    x = await api('GET', `/registers/${encodeURIComponent(registerCode)}/x`);
  } catch (e) {
    return ($('sale-error').textContent = e.message);
  }
  await messages('closing');
  const grid = el('div', { class: 'denoms', id: 'count-denoms' });
  const diff = el('strong', { id: 'count-difference' });
  const counted = el('strong', { id: 'count-total' });
  const read = denomGrid(grid, () => update());
  const update = () => {
    const sum = read().sum;
    counted.textContent = money(sum);
    diff.textContent = money(sum - x.expected_cash);
    diff.className = sum - x.expected_cash < 0 ? 'negative' : '';
  };
  dialogDone = null;
  openDialog(t('close_till'), [
    el('p', { text: t('count_cash') }),
    grid,
    el('p', { class: 'spread' }, el('span', { text: t('expected_cash') }), el('strong', { id: 'count-expected', text: money(x.expected_cash) })),
    el('p', { class: 'spread' }, el('span', { text: t('counted') }), counted),
    el('p', { class: 'spread' }, el('span', { text: t('difference') }), diff),
  ], [
    el('button', { type: 'button', text: t('cancel'), onclick: () => closeDialog(null) }),
    el('button', { type: 'button', class: 'primary', id: 'count-confirm', text: t('close_button'), onclick: async () => {
      try {
        const s = await api('POST', `/registers/${encodeURIComponent(registerCode)}/till/close`, { detail: read().detail });
        closedDialog(s);
      } catch (e) {
        dialogError(e.message);
      }
    } }),
  ]);
  update();
}

function closedDialog(s) {
  openDialog(t('till_closed'), [
    el('p', { class: 'spread' }, el('span', { text: t('expected_cash') }), el('strong', { text: money(s.expected) })),
    el('p', { class: 'spread' }, el('span', { text: t('counted') }), el('strong', { text: money(s.counted) })),
    el('p', { class: 'spread' }, el('span', { text: t('difference') }), el('strong', { id: 'closed-difference', class: s.difference < 0 ? 'negative' : '', text: money(s.difference) })),
    el('p', { class: 'muted', text: t('z_hint') }),
  ], [
    el('button', { type: 'button', text: t('later'), onclick: () => { closeDialog(null); refreshTill(); } }),
    el('button', { type: 'button', class: 'primary', id: 'do-z', text: t('do_z'), onclick: () => doZ() }),
  ]);
}

async function doZ(period) {
  try {
    const z = await api('POST', '/closures', { register: registerCode, kind: 'day', period: period || undefined });
    dialogDone = null;
    openDialog(t('z_done', { day: z.period }), [totalsView(z), el('p', { class: 'spread' }, el('span', { text: t('grand_total') }), el('strong', { text: money(z.grand_total) }))], [
      el('button', { type: 'button', text: t('print'), onclick: () => window.print() }),
      el('button', { type: 'button', class: 'primary', id: 'z-ok', text: t('ok'), onclick: async () => { closeDialog(null); await messages('closure'); await refreshTill(); } }),
    ]);
  } catch (e) {
    if ($('overlay').hidden) $('opening-error').textContent = e.message;
    else dialogError(e.message);
  }
}

// ---------------------------------------------------------------- messages from HQ

async function messages(moment) {
  let page;
  try {
    page = await api('GET', `/registers/${encodeURIComponent(registerCode)}/messages?moment=${moment}`);
  } catch (e) {
    return;
  }
  for (const m of page.items) {
    await new Promise((resolve) => {
      dialogDone = resolve;
      openDialog(t('message_from_hq'), [el('p', { class: 'message', text: m.text }), el('p', { class: 'muted', text: new Date(m.created_at).toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB') })], [
        el('button', { type: 'button', class: 'primary', id: 'ack', text: t('acknowledge'), onclick: async () => {
          try {
            await api('POST', `/registers/${encodeURIComponent(registerCode)}/messages/${m.id}/ack`);
            closeDialog(null);
          } catch (e) {
            dialogError(e.message);
          }
        } }),
      ]);
    });
  }
}

// ---------------------------------------------------------------- session: switch, lock

async function signOut(keepUser) {
  try {
    await api('DELETE', '/session');
  } catch (e) {
    // Signed out already, or the server is down: the screen locks all the same.
  }
  const user = S.session ? S.session.user.code : '';
  $('st-hq').hidden = true;
  S.session = null;
  S.csrf = null;
  $('user-code').value = keepUser ? user : '';
  showSignIn(keepUser);
}

// ---------------------------------------------------------------- status bar: HQ link

async function heartbeat() {
  if (S.session) {
    try {
      const link = await api('GET', '/hq-link');
      const hq = $('st-hq');
      hq.hidden = !link.enrolled;
      hq.classList.toggle('down', link.enrolled && !link.reachable);
      hq.dataset.reachable = String(link.reachable);
      $('st-hq-text').textContent = link.reachable ? t('hq_ok', { n: link.unsent }) : t('hq_down', { n: link.unsent });
      await refreshDevices();
    } catch (e) {
      // The banner says the shop server is not answering.
    }
  } else {
    try {
      await fetch('/api/v1/health', { cache: 'no-store' });
      serverDown(false);
    } catch (e) {
      serverDown(true);
    }
  }
}

// ---------------------------------------------------------------- start

function wire() {
  $('lang').addEventListener('click', () => {
    setLang(lang() === 'fr' ? 'en' : 'fr');
    applyTexts();
    buildKeypad();
    renderStatus();
    if (S.screen === 'sale') {
      renderKeyboard();
      renderTicket();
    }
  });
  $('signin-form').addEventListener('submit', signIn);
  $('user-code').addEventListener('focus', () => (keypadTarget = 'user-code'));
  $('pin').addEventListener('focus', () => (keypadTarget = 'pin'));
  $('user-code').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      $('pin').focus();
    }
  });
  $('other-register').addEventListener('click', () => {
    localStorage.removeItem('comptoir.register');
    location.href = '/';
  });
  $('open-button').addEventListener('click', openTill);
  $('z-due-button').addEventListener('click', () => doZ(S.till && S.till.z_due));
  $('z-today').addEventListener('click', () => doZ());
  for (const b of document.querySelectorAll('.switch-user')) b.addEventListener('click', () => signOut(false));
  $('act-lock').addEventListener('click', () => signOut(true));
  $('act-qty').addEventListener('click', changeQty);
  $('act-line-discount').addEventListener('click', lineDiscount);
  $('act-ticket-discount').addEventListener('click', ticketDiscount);
  $('act-delete').addEventListener('click', deleteLine);
  $('act-pay').addEventListener('click', payDialog);
  $('act-customer').addEventListener('click', customerDialog);
  $('act-park').addEventListener('click', park);
  $('act-drawer').addEventListener('click', openDrawer);
  $('act-resume').addEventListener('click', resumeDialog);
  $('act-return').addEventListener('click', startReturn);
  $('act-x').addEventListener('click', xReading);
  $('act-close').addEventListener('click', closeTill);
  $('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('search').value.trim();
    if (!q) return;
    // A code typed or scanned into the field rings at once; words search.
    if (/^\d{4,}$/.test(q)) {
      $('search').value = '';
      ring(q);
    } else search(q);
  });
  $('print').addEventListener('click', () => window.print());
  $('receipt-print').addEventListener('click', receiptPrint);
  $('receipt-qr').addEventListener('click', receiptQr);
  $('receipt-email').addEventListener('click', receiptEmailForm);
  $('receipt-email-form').addEventListener('submit', receiptEmail);
  $('receipt-none').addEventListener('click', newSale);
  $('new-sale').addEventListener('click', newSale);
}

async function start() {
  applyTexts();
  buildKeypad();
  wire();
  renderStatus();
  setInterval(heartbeat, 3000);
  if (!registerCode) {
    const remembered = localStorage.getItem('comptoir.register');
    if (remembered) {
      location.replace(`/registers/${encodeURIComponent(remembered)}`);
      return;
    }
    return chooseRegister();
  }
  localStorage.setItem('comptoir.register', registerCode);
  loadCart();
  for (;;) {
    try {
      const s = await api('GET', '/session');
      if (s.register.code !== registerCode) {
        showSignIn();
      } else {
        await signedIn(s);
      }
      break;
    } catch (e) {
      if (e.network) {
        await sleep(2000);
        continue;
      }
      showSignIn();
      break;
    }
  }
  heartbeat();
}

start();
