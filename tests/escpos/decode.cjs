// Decodes ESC/POS bytes read on stdin with npos (a third-party parser) and prints JSON:
// {"lines": [...], "qr": [...], "pulses": n, "cuts": n, "code_pages": [...], "bold": [...], "unknown": [...]}.
// Text is decoded in the code page the job selected (ESC t n: 19 = CP858, 2 = CP850, 0 = CP437).
'use strict';
const parser = require('npos/lib/parser');
const rules = require('npos/lib/parser/rules');
const symbols = require('npos/lib/parser/symbols');
const iconv = require('iconv-lite');

// npos knows no GS ( k (QR codes): its length is the two bytes after "(k", as for the
// other GS ( functions.
rules[symbols.GS]['(k'] = [0, 'd16'];

const PAGES = { 0: 'cp437', 2: 'cp850', 19: 'cp858' };

const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', async () => {
  const raw = Buffer.concat(chunks);
  const ast = await parser(rules).parse(raw);
  if (ast.error) {
    console.error(String(ast.error));
    process.exit(2);
  }
  const out = { lines: [], qr: [], pulses: 0, cuts: 0, code_pages: [], bold: [] };
  let page = 'cp437';
  let bold = false;
  let text = Buffer.alloc(0);
  const flush = () => {
    const s = iconv.decode(text, page);
    text = Buffer.alloc(0);
    const parts = s.split('\n');
    if (out.pending !== undefined) parts[0] = out.pending + parts[0];
    out.pending = parts.pop();
    for (const p of parts) {
      out.lines.push(p);
      if (bold) out.bold.push(p);
    }
  };
  for (const node of ast.tree) {
    const bytes = raw.slice(node.offset, node.offset + node.length);
    if (node.ascii === 'STX' || node.fn === '' || node.fn === undefined) {
      if (node.ascii === 'ESC' || node.ascii === 'GS') continue;
      text = Buffer.concat([text, bytes]);
      continue;
    }
    flush();
    const key = node.ascii + ' ' + node.fn;
    if (key === 'ESC t') {
      const n = bytes[2];
      out.code_pages.push(n);
      page = PAGES[n] || 'cp437';
    } else if (key === 'ESC E') {
      bold = bytes[2] === 1;
    } else if (key === 'ESC p') {
      out.pulses += 1;
    } else if (key === 'GS V') {
      out.cuts += 1;
    } else if (key === 'GS (k') {
      // fn 80 (0x50) stores the symbol's data: pL pH cn fn m d1...dk
      if (bytes[6] === 0x50) out.qr.push(bytes.slice(8).toString('latin1'));
    }
  }
  flush();
  if (out.pending) out.lines.push(out.pending);
  delete out.pending;
  process.stdout.write(JSON.stringify(out));
});
