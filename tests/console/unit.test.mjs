// unit.test.mjs: the console's code that runs without a browser. The SMS
// counter (web/console/assets/gsm.js) must count exactly as the gateway
// does: each text is counted by the port and by `baraza broadcast --dry-run`
// (lib/gsm.c); and the two dictionaries must have the same keys, plural
// forms and placeholders.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BARAZA, SRCDIR } from './lib.mjs';

const gsm = await import(path.join(SRCDIR, 'web/console/assets/gsm.js'));
const en = (await import(path.join(SRCDIR, 'web/console/assets/i18n/en.js'))).default;
const sw = (await import(path.join(SRCDIR, 'web/console/assets/i18n/sw.js'))).default;

let dir;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'baraza-gsm-'));
  fs.mkdirSync(path.join(dir, 'flows'));
  fs.writeFileSync(path.join(dir, 'baraza.conf'), `[gateway]
listen = 127.0.0.1:0
database = baraza.db
flows = flows
country_code = 254
default_channel = web

[channel web]
type = http
api_url = http://127.0.0.1:9/send
allow_unsigned = yes
`);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

// What the gateway says of text: {encoding, segments}.
function gateway(text) {
  const r = spawnSync(BARAZA, ['-c', path.join(dir, 'baraza.conf'), 'broadcast', text, '--topic', 'nobody', '--dry-run'],
    { cwd: dir, encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return {
    encoding: /^encoding: (\S+)/m.exec(r.stdout)[1],
    segments: Number(/^segments per message: (\d+)/m.exec(r.stdout)[1]),
  };
}

const cases = [
  // GSM-7: 160 septets single, 153 per part.
  ['a GSM-7 text', 'Water off in Central on Monday 8-12. Boil water before drinking.', 'GSM-7', 1],
  ['160 GSM-7 characters', 'a'.repeat(160), 'GSM-7', 1],
  ['161 GSM-7 characters', 'a'.repeat(161), 'GSM-7', 2],
  ['306 GSM-7 characters', 'a'.repeat(306), 'GSM-7', 2],
  ['307 GSM-7 characters', 'a'.repeat(307), 'GSM-7', 3],
  // The extension table: € and [ ] take two septets, never split.
  ['extension characters', 'Bill: €1,200 [paid] {ref} ~ok~ | a\\b ^', 'GSM-7', 1],
  ['80 euro signs (160 septets)', '€'.repeat(80), 'GSM-7', 1],
  ['81 euro signs', '€'.repeat(81), 'GSM-7', 2],
  ['an escape not split across parts', 'a'.repeat(152) + '€' + 'b'.repeat(10), 'GSM-7', 2],
  ['GSM-7 letters beyond ASCII', 'Çà èé ñ ü ß Ø Δ Ω £ ¥ ¡ ¿ §', 'GSM-7', 1],
  // UCS-2: 70 single, 67 per part; an emoji is a surrogate pair.
  ['a Swahili text with an emoji', 'Habari! Maji yatakatika kesho saa nne asubuhi 😀', 'UCS-2', 1],
  ['70 UCS-2 units', 'Maji ' + 'ā'.repeat(65), 'UCS-2', 1],
  ['71 UCS-2 units', 'Maji ' + 'ā'.repeat(66), 'UCS-2', 2],
  ['a long Swahili text with emoji', 'Ndugu mteja 🙏, bili yako ya maji ni KSh 1,200. Lipa kabla ya tarehe 5 ili kuepuka kukatiwa maji. Asante! 💧', 'UCS-2', 2],
  ['a surrogate pair not split', 'a'.repeat(66) + '😀' + 'b'.repeat(10), 'UCS-2', 2],
  ['134 UCS-2 units', 'ñ'.repeat(0) + 'ē'.repeat(134), 'UCS-2', 2],
  ['135 UCS-2 units', 'ē'.repeat(135), 'UCS-2', 3],
  ['the empty text', '', 'GSM-7', 1],
];

for (const [name, text, encoding, segments] of cases) {
  test(`gsm.js counts ${name} as the gateway does`, { skip: !fs.existsSync(BARAZA) && 'baraza is not built' }, () => {
    const js = gsm.count(text);
    assert.equal(js.encoding, encoding);
    assert.equal(js.segments, segments);
    if (text !== '') assert.deepEqual({ encoding: js.encoding, segments: js.segments }, gateway(text));
  });
}

test('gsm.js counts characters as code points and what is left', () => {
  assert.deepEqual(gsm.count('Habari 😀'), { encoding: 'UCS-2', units: 9, segments: 1, chars: 8, perSegment: 70, left: 61 });
  assert.deepEqual(gsm.count('a€'), { encoding: 'GSM-7', units: 3, segments: 1, chars: 2, perSegment: 160, left: 157 });
  assert.equal(gsm.count('a'.repeat(200)).left, 153 - 47);
});

test('the English and Swahili dictionaries have the same keys, forms and placeholders', () => {
  assert.deepEqual(Object.keys(sw).sort(), Object.keys(en).sort());
  const holes = (s) => [...new Set((typeof s === 'string' ? s : Object.values(s).join(' ')).match(/\{\w+\}/g) || [])].sort();
  for (const k of Object.keys(en)) {
    assert.equal(typeof sw[k], typeof en[k], k);
    if (typeof en[k] === 'object') assert.deepEqual(Object.keys(sw[k]).sort(), Object.keys(en[k]).sort(), k);
    assert.deepEqual(holes(sw[k]), holes(en[k]), k);
  }
});

test('every string the console asks for is in the dictionaries', () => {
  const root = path.join(SRCDIR, 'web/console/assets');
  const files = ['app.js', 'login.js', 'ui.js', 'compose.js', 'progress.js', 'chart.js',
    ...fs.readdirSync(path.join(root, 'pages')).map((f) => `pages/${f}`)];
  const missing = [];
  for (const f of files) {
    const src = fs.readFileSync(path.join(root, f), 'utf8');
    for (const m of src.matchAll(/\bt\('([a-z_.0-9]+)'/g)) {
      if (!m[1].endsWith('.') && !(m[1] in en)) missing.push(`${f}: ${m[1]}`);
    }
  }
  assert.deepEqual(missing, []);
});

// A day or wall time typed or kept in a page's address: one that does not
// exist is null (the page says so), not the day the calendar rolls it to.
test('wallToIso takes days and times that exist, and nothing else', async () => {
  const ui = await import(path.join(SRCDIR, 'web/console/assets/ui.js'));
  assert.equal(ui.wallToIso('2026-12-01'), '2026-12-01T00:00:00Z');
  assert.equal(ui.wallToIso('2028-02-29T23:59'), '2028-02-29T23:59:00Z');
  for (const bad of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-04-31', '2026-12-01T24:00',
    '2026-12-01T12:60', '0099-01-01', '2026-1-1', 'yesterday', '', null, undefined]) {
    assert.equal(ui.wallToIso(bad), null, String(bad));
  }
});
