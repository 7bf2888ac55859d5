// Opens the print dialog when the receipt page was opened to be printed (?print=1).
if (new URLSearchParams(location.search).get('print') === '1') {
  addEventListener('load', () => print());
}
