/**
 * HTTP-date (RFC 9110 5.6.7): IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept.
 * Date.parse is not used because it accepts many non-HTTP spellings ("2024", ISO 8601) that would turn a
 * garbage Expires into a real date instead of "already expired".
 */
const MONTHS: Record<string, number> = {
  jan: 0,
  feb: 1,
  mar: 2,
  apr: 3,
  may: 4,
  jun: 5,
  jul: 6,
  aug: 7,
  sep: 8,
  oct: 9,
  nov: 10,
  dec: 11,
};

// Sun, 06 Nov 1994 08:49:37 GMT
const IMF = /^[A-Za-z]{3}, (\d{2}) ([A-Za-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850 = /^[A-Za-z]{6,9}, (\d{2})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
// Sun Nov  6 08:49:37 1994
const ASCTIME = /^[A-Za-z]{3} ([A-Za-z]{3}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

const memo = new Map<string, number | undefined>();
const MEMO_MAX = 512;

/** ms since epoch, or undefined when the value is not an HTTP-date. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hit = memo.get(value);
  if (hit !== undefined || memo.has(value)) return hit;
  const ms = parseUncached(value.trim());
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(value, ms);
  return ms;
}

function parseUncached(s: string): number | undefined {
  let m = IMF.exec(s);
  if (m) return build(+m[3]!, m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = RFC850.exec(s);
  if (m) return build(twoDigitYear(+m[3]!), m[2]!, +m[1]!, +m[4]!, +m[5]!, +m[6]!);
  m = ASCTIME.exec(s);
  if (m) return build(+m[6]!, m[1]!, +m[2]!.trim(), +m[3]!, +m[4]!, +m[5]!);
  return undefined;
}

/** RFC 9110 5.6.7: a two-digit year more than 50 years in the future means the past century. */
function twoDigitYear(yy: number): number {
  const thisYear = new Date().getUTCFullYear();
  let y = Math.floor(thisYear / 100) * 100 + yy;
  if (y > thisYear + 50) y -= 100;
  return y;
}

function build(year: number, mon: string, day: number, h: number, mi: number, s: number): number | undefined {
  const month = MONTHS[mon.toLowerCase()];
  if (month === undefined || day < 1 || day > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, month, day, h, mi, Math.min(s, 59));
  // Reject days that roll over into the next month (31 Feb).
  if (new Date(ms).getUTCDate() !== day) return undefined;
  return ms;
}

/** IMF-fixdate for ms since epoch. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
