// Values split across adjacent fields: a card number typed into four inputs of four digits, an
// SSN in three ({"ssn1": "123", "ssn2": "45", "ssn3": "6789"}). No single string holds the
// finding, so the per-string scan cannot see it; the walk hands each run of adjacent sibling
// strings made only of digit groups (members of one object in key order, or elements of one
// array) to splitKind, and replaces every part of a run that forms a finding.
//
// What is caught: 2–4 adjacent strings whose digits form a Luhn-valid card number (13–19
// digits, IIN 2–6, every part at least 4 digits), and 3 adjacent strings of 3, 2 and 4 digits
// forming an SSN in issued ranges. JSON numbers are not joined (a list of numbers is data:
// coordinates, counts), nor are runs longer than four (a column of numbers, not one value).

/** Longest part considered: a part longer than this is a finding (or not) on its own. */
const MAX_PART = 24;
export const MAX_RUN = 4;

/** The digits of `s` when it is only digit groups with separators ("4111", "4111 1111",
 *  "123-45"), else null. Cheap on the common string: the first character decides. */
export function splitPart(s: string): string | null {
  const c0 = s.charCodeAt(0);
  if (!(c0 >= 0x30 && c0 <= 0x39) || s.length > MAX_PART) return null;
  let d = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) d += s[i];
    else if (c !== 0x20 && c !== 0x2d && c !== 0x2e && c !== 0x5f && c !== 0xa0) return null;
  }
  return d.length >= 2 ? d : null;
}

/** The kind a run of split parts (their digits) forms together, or null. */
export function splitKind(parts: readonly string[]): string | null {
  if (parts.length < 2 || parts.length > MAX_RUN) return null;
  if (
    parts.length === 3 &&
    parts[0].length === 3 &&
    parts[1].length === 2 &&
    parts[2].length === 4 &&
    ssnValid(parts[0], parts[1], parts[2])
  )
    return 'ssn';
  const all = parts.join('');
  if (
    all.length >= 13 &&
    all.length <= 19 &&
    all[0] >= '2' &&
    all[0] <= '6' &&
    parts.every((p) => p.length >= 4) &&
    luhnDigits(all)
  )
    return 'card';
  return null;
}

/** SSA issued ranges: area 001–899 but not 666, group 01–99, serial 0001–9999. */
function ssnValid(area: string, group: string, serial: string): boolean {
  const a = Number(area);
  return a > 0 && a < 900 && a !== 666 && group !== '00' && serial !== '0000';
}

function luhnDigits(d: string): boolean {
  let sum = 0;
  for (let i = d.length - 1, n = 0; i >= 0; i--, n++) {
    let v = d.charCodeAt(i) - 0x30;
    if (n % 2 === 1) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
  }
  return sum % 10 === 0;
}
