// gsm.js: how many SMS segments a text takes, exactly as the gateway counts
// (a port of lib/gsm.c; tests/console/unit.test.mjs checks it against the
// gateway's own count). GSM-7: 160 septets single, 153 per part, an
// extension character (€ [ ] { } \ ^ ~ | and form feed) takes two and is
// never split. Anything else: UCS-2, 70 UTF-16 units single, 67 per part,
// a surrogate pair never split. The empty text is one segment.

// The GSM 7-bit default alphabet (TS 23.038 6.2.1), without the escape.
const BASIC = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const EXT = '\f^{}\\[~]|€';
const basic = new Set([...BASIC].filter((c) => c !== '\u001b'));
const ext = new Set([...EXT]);

export const GSM7_SINGLE = 160;
export const GSM7_PART = 153;
export const UCS2_SINGLE = 70;
export const UCS2_PART = 67;

// Septets the character c takes: 1, 2 (extension) or 0 (no GSM-7 form).
export function septets(c) {
  if (basic.has(c)) return 1;
  if (ext.has(c)) return 2;
  return 0;
}

// {encoding: 'GSM-7'|'UCS-2', units, segments, chars, perSegment, left}:
// left is what the last segment still holds, in the encoding's units.
export function count(text) {
  const chars = [...(text || '')]; // code points; lone surrogates count as one
  let gsm7 = true;
  let sept = 0;
  let utf16 = 0;
  for (const c of chars) {
    utf16 += c.length;
    if (gsm7) {
      const w = septets(c);
      if (w === 0) gsm7 = false;
      sept += w;
    }
  }
  const units = gsm7 ? sept : utf16;
  const single = gsm7 ? GSM7_SINGLE : UCS2_SINGLE;
  if (units <= single) {
    return {
      encoding: gsm7 ? 'GSM-7' : 'UCS-2', units, segments: 1, chars: chars.length,
      perSegment: single, left: single - units,
    };
  }
  const part = gsm7 ? GSM7_PART : UCS2_PART;
  let segments = 0;
  let used = 0;
  for (const c of chars) {
    const w = gsm7 ? septets(c) : c.length;
    if (segments === 0 || used + w > part) {
      segments++;
      used = 0;
    }
    used += w;
  }
  return {
    encoding: gsm7 ? 'GSM-7' : 'UCS-2', units, segments, chars: chars.length,
    perSegment: part, left: part - used,
  };
}
