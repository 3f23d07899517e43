import type { CachedHead } from './cache-entry.js';
import { parseDeltaSeconds } from './cache-control.js';
import { firstValue } from './header-values.js';
import { parseHttpDate } from './http-date.js';

/**
 * RFC 9111 4.2.3 current_age, in whole seconds, never negative:
 *   apparent_age = max(0, response_time - date_value)
 *   corrected_age_value = age_value + (response_time - request_time)
 *   corrected_initial_age = max(apparent_age, corrected_age_value)
 *   current_age = corrected_initial_age + (now - response_time)
 * A missing or invalid Date counts as the time the response arrived; an invalid Age as 0. Clock skew that would
 * make a delay or resident time negative counts as 0.
 */
export function currentAge(head: CachedHead, now: number): number {
  const date = parseHttpDate(firstValue(head.headers, 'date')) ?? head.responseTime;
  const ageHeader = firstValue(head.headers, 'age');
  const ageValue = ageHeader === undefined ? 0 : (parseDeltaSeconds(ageHeader.trim()) ?? 0);
  const apparentAge = Math.max(0, head.responseTime - date);
  const responseDelay = Math.max(0, head.responseTime - head.requestTime);
  const correctedAgeValue = ageValue * 1000 + responseDelay;
  const correctedInitialAge = Math.max(apparentAge, correctedAgeValue);
  const residentTime = Math.max(0, now - head.responseTime);
  const age = Math.floor((correctedInitialAge + residentTime) / 1000);
  // NaN (non-finite times) must not leak out as an age.
  return Number.isFinite(age) && age > 0 ? age : 0;
}
