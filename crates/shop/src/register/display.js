// The customer display of one register (/registers/{code}/display): it follows what the
// register rings up through the shop server (long polling on /app/v1/registers/{code}/display),
// in the browser where that register is signed in (a second monitor) or one signed in there.
const WORDS = {
  fr: {
    welcome: 'Bonjour et bienvenue', total: 'Total', paid_total: 'Total payé', change: 'Rendu',
    thanks: 'Merci de votre visite !', signed_out: 'Ouvrez la caisse {r} dans ce navigateur pour afficher ses achats ici.',
    cash: 'Espèces', card: 'Carte bancaire', cheque: 'Chèque', voucher: "Bon d'achat", other: 'Autre', loyalty: 'Points fidélité',
  },
  en: {
    welcome: 'Hello and welcome', total: 'Total', paid_total: 'Total paid', change: 'Change',
    thanks: 'Thank you for your visit!', signed_out: 'Open register {r} in this browser to show its sales here.',
    cash: 'Cash', card: 'Card', cheque: 'Cheque', voucher: 'Voucher', other: 'Other', loyalty: 'Loyalty points',
  },
};
const lang = (navigator.language || 'fr').toLowerCase().startsWith('fr') ? 'fr' : 'en';
const t = (k) => WORDS[lang][k] || k;
const $ = (id) => document.getElementById(id);
const register = decodeURIComponent(location.pathname.split('/')[2] || '');
const money = (c) => (c / 100).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { style: 'currency', currency: 'EUR' });
const qty = (q) => (Number.isInteger(q) ? String(q) : q.toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 3 }));

document.documentElement.lang = lang;
$('welcome').textContent = t('welcome');
$('total-label').textContent = t('total');
$('paid-total-label').textContent = t('paid_total');
$('change-label').textContent = t('change');
$('thanks').textContent = t('thanks');

function show(state) {
  document.body.dataset.phase = state.phase;
  $('idle').hidden = state.phase !== 'idle';
  $('cart').hidden = state.phase !== 'cart';
  $('paid').hidden = state.phase !== 'paid';
  $('signed-out').hidden = true;
  if (state.phase === 'cart') {
    const body = $('lines').tBodies[0];
    body.replaceChildren(...state.lines.map((l) => {
      const tr = document.createElement('tr');
      for (const [cls, text] of [['qty', qty(l.qty) + ' ×'], ['name', l.name], ['amount', money(l.amount)]]) {
        const td = document.createElement('td');
        td.className = cls;
        td.textContent = text;
        tr.append(td);
      }
      return tr;
    }));
    $('total').textContent = money(state.total);
  } else if (state.phase === 'paid') {
    $('paid-total').textContent = money(state.total);
    $('tenders').replaceChildren(...state.tenders.map((p) => {
      const li = document.createElement('li');
      li.textContent = `${t(p.method)} ${money(p.amount)}`;
      return li;
    }));
    $('change-line').hidden = !state.change;
    $('change').textContent = money(state.change);
  }
}

async function follow() {
  let version = null;
  let wait = 500;
  for (;;) {
    try {
      const q = version === null ? '' : `?after=${version}`;
      const r = await fetch(`/app/v1/registers/${encodeURIComponent(register)}/display${q}`, { credentials: 'same-origin' });
      if (r.status === 403 || r.status === 401) {
        $('idle').hidden = true; $('cart').hidden = true; $('paid').hidden = true;
        $('signed-out').hidden = false;
        $('signed-out').textContent = t('signed_out').replace('{r}', register);
        await new Promise((ok) => setTimeout(ok, 3000));
        continue;
      }
      if (!r.ok) throw new Error(String(r.status));
      const state = await r.json();
      version = state.version;
      show(state);
      wait = 500;
    } catch {
      // The server restarts or the network drops: try again, a little later each time.
      await new Promise((ok) => setTimeout(ok, wait));
      wait = Math.min(wait * 2, 5000);
    }
  }
}

fetch('/app/v1/session', { credentials: 'same-origin' }).then((r) => (r.ok ? r.json() : null)).then((s) => {
  if (s && s.shop) $('shop-name').textContent = s.shop.name;
}).catch(() => {});
follow();
