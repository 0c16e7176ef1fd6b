// time.* builtins: Go layouts, zones from the IANA database, int64 nanosecond range, and one
// clock reading per evaluation. Expectations from OPA's v1/time compliance cases.
import { afterEach, describe, expect, it } from 'vitest';
import { beginEvaluation, endEvaluation } from '../../src/rego/builtins/index.ts';
import { call, table } from './builtins-table.ts';

describe('parsing', () => {
  table([
    ['time.parse_rfc3339_ns', ['1970-01-01T00:00:00-00:00'], 0],
    ['time.parse_rfc3339_ns', ['2017-06-02T19:00:00-07:00'], 1496455200000000000n],
    // The int64 limits come back exact (as raw JSON digits through the SDK).
    ['time.parse_rfc3339_ns', ['1677-09-21T00:12:43.145224192-00:00'], -9223372036854775808n],
    ['time.parse_rfc3339_ns', ['2262-04-11T23:47:16.854775807-00:00'], 9223372036854775807n],
    ['time.parse_rfc3339_ns', ['1677-09-21T00:12:43.145224191-00:00'], undefined],
    ['time.parse_rfc3339_ns', ['2262-04-11T23:47:16.854775808-00:00'], undefined],
    ['time.parse_rfc3339_ns', ['2020-02-30T00:00:00Z'], undefined],
    ['time.parse_rfc3339_ns', ['2020-01-01'], undefined],
    ['time.parse_rfc3339_ns', [1], undefined],
    ['time.parse_ns', ['2006-01-02', '2020-02-02'], 1580601600000000000n],
    [
      'time.parse_ns',
      ['Mon Jan _2 15:04:05 MST 2006', 'Tue Feb  3 04:05:06 UTC 2009'],
      1233633906000000000n,
    ],
    ['time.parse_ns', ['RFC822Z', '02 Jan 06 15:04 -0700'], 1136239440000000000n],
    [
      'time.parse_ns',
      ['2006-01-02T15:04:05.000Z07:00', '2020-01-02T03:04:05.123+01:00'],
      1577930645123000000n,
    ],
    ['time.parse_ns', ['January 2, 2006 3:04pm', 'March 7, 2021 11:30am'], 1615116600000000000n],
    ['time.parse_ns', ['2006-01-02', '2021-02-29'], undefined],
    ['time.parse_ns', ['2006-01-02', '2021-02-03x'], undefined],
    // Jan 1 of year 0 is outside the int64 nanosecond range.
    ['time.parse_ns', ['3:04PM', '3:04AM'], undefined],
    ['time.parse_duration_ns', ['1h2m3.5s'], 3723500000000],
    ['time.parse_duration_ns', ['-1.5h'], -5400000000000],
    ['time.parse_duration_ns', ['1µs'], 1000],
    ['time.parse_duration_ns', ['0'], 0],
    ['time.parse_duration_ns', ['1'], undefined],
    ['time.parse_duration_ns', ['1d'], undefined],
    ['time.parse_duration_ns', ['3000000h'], undefined],
  ]);
});

describe('calendar fields', () => {
  table([
    ['time.date', [1517814000000000000], [2018, 2, 5]],
    ['time.date', [[1517814000000000000, 'America/Los_Angeles']], [2018, 2, 4]],
    ['time.date', [[1517832000000000000, '']], [2018, 2, 5]],
    ['time.date', [1582977600000000000], [2020, 2, 29]],
    ['time.date', [1582977600000000000 * 1000], undefined],
    ['time.date', [[1, 'Not/AZone']], undefined],
    ['time.date', [[]], undefined],
    ['time.date', [1.5], undefined],
    ['time.clock', [1517832000000000000], [12, 0, 0]],
    ['time.clock', [[1517832000000000000, 'America/New_York']], [7, 0, 0]],
    ['time.clock', [1582977600000000000], [12, 0, 0]],
    ['time.weekday', [1517832000000000000], 'Monday'],
    ['time.weekday', [1517918400000000000], 'Tuesday'],
    ['time.weekday', [1518004800000000000], 'Wednesday'],
    ['time.weekday', [1518091200000000000], 'Thursday'],
    ['time.weekday', [1518264000000000000], 'Saturday'],
    ['time.weekday', [1518350400000000000], 'Sunday'],
    ['time.weekday', [-1], 'Wednesday'],
  ]);
});

describe('arithmetic', () => {
  table([
    ['time.add_date', [1585852421593912000, 3, 9, 12], 1705257221593912000n],
    ['time.add_date', [1585852421593912000, -1, -1, -1], 1551465221593912000n],
    ['time.add_date', [0, 2262, 1, 1], undefined],
    ['time.add_date', [-9223372036854775808, 0, 0, -1], undefined],
    // Go normalises: Jan 31 + 1 month = Mar 3 (2021 is not a leap year).
    ['time.add_date', [1612051200000000000, 0, 1, 0], 1614729600000000000n],
    ['time.add_date', [0, 0, 0, 1.5], undefined],
  ]);
  const day = (s: string): number => Number(call('time.parse_ns', '2006-01-02', s));
  it('time.diff counts calendar units (leap years included)', () => {
    expect(call('time.diff', day('2020-02-02'), day('2020-03-01'))).toEqual([0, 0, 28, 0, 0, 0]);
    expect(call('time.diff', day('2021-02-02'), day('2021-03-01'))).toEqual([0, 0, 27, 0, 0, 0]);
    expect(call('time.diff', day('2004-02-29'), day('2005-03-01'))).toEqual([1, 0, 1, 0, 0, 0]);
    expect(call('time.diff', day('2005-03-01'), day('2004-02-29'))).toEqual([1, 0, 1, 0, 0, 0]);
  });
  it('time.diff compares two zones in the first one', () => {
    const t = 1700000000000000000;
    expect(call('time.diff', [t + 60e9, 'UTC'], [t, 'Asia/Shanghai'])).toEqual([0, 0, 0, 0, 1, 0]);
    expect(call('time.diff', t + 61e9, t)).toEqual([0, 0, 0, 0, 1, 1]);
  });
});

describe('formatting', () => {
  // The compliance case uses 1670006453141828752, which a JSON double cannot carry: the host
  // sees the double's shortest decimal form, 1670006453141828900.
  const t = 1670006453141828752;
  table([
    ['time.format', [t], '2022-12-02T18:40:53.1418289Z'],
    ['time.format', [[t, 'Asia/Kolkata']], '2022-12-03T00:10:53.1418289+05:30'],
    [
      'time.format',
      [[t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006']],
      'Sat Dec 03 00:10:53 +0530 2022',
    ],
    ['time.format', [[t, 'Asia/Kolkata', 'RFC1123Z']], 'Sat, 03 Dec 2022 00:10:53 +0530'],
    ['time.format', [[t, 'Asia/Kolkata', 'RFC1123']], 'Sat, 03 Dec 2022 00:10:53 IST'],
    ['time.format', [[1e18, 'America/New_York', 'UnixDate']], 'Sat Sep  8 21:46:40 EDT 2001'],
    ['time.format', [[1e18, 'Europe/London', 'RFC850']], 'Sunday, 09-Sep-01 02:46:40 BST'],
    [
      'time.format',
      [[0, 'UTC', 'Monday, 02-Jan-06 3:04:05.000 PM MST __2 002']],
      'Thursday, 01-Jan-70 12:00:00.000 AM UTC   1 001',
    ],
    ['time.format', [[0, 'UTC', '2006-01-02T15:04:05.999999999Z07:00']], '1970-01-01T00:00:00Z'],
    ['time.format', [1582977600 * 10e12], undefined],
  ]);
});

describe('time.now_ns is fixed per evaluation', () => {
  afterEach(() => endEvaluation());
  it('returns one instant for every call in an evaluation', () => {
    beginEvaluation();
    const a = call('time.now_ns');
    const b = call('time.now_ns');
    expect(a).toEqual(b);
    expect(typeof a).toBe('bigint');
    expect(Number(a)).toBeGreaterThan(1.7e18);
  });
  it('can be pinned for an evaluation', () => {
    beginEvaluation({ nowNs: 1517832000000000000n });
    expect(call('time.now_ns')).toEqual(1517832000000000000n);
    expect(call('time.weekday', Number(call('time.now_ns')))).toBe('Monday');
  });
  it('without beginEvaluation, the reading lasts until the end of the synchronous job', async () => {
    const a = call('time.now_ns');
    expect(call('time.now_ns')).toEqual(a);
    await new Promise((r) => setTimeout(r, 5));
    expect(call('time.now_ns')).not.toEqual(a);
  });
});
