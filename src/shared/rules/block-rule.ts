/**
 * A takedown decision as the edge enforces it. In proxy mode rules come from a JSON-lines file, one a line:
 *   {"match":"exact"|"prefix"|"host","url":"https://example.com/path","countries":["JP"]|null,"notice":"https://.../notices/42"}
 * In edge mode they come from the control plane (notice-and-action decisions) with a numeric id.
 */
export type RuleMatchKind = 'exact' | 'prefix' | 'host';

export interface BlockRule {
  /** Stable identifier: the control plane's rule id, or the line number in a rules file. */
  readonly id: number;
  readonly match: RuleMatchKind;
  /** Absolute http(s) URL; for 'host' only its host counts. */
  readonly url: string;
  /** ISO 3166-1 alpha-2 codes (upper-case) the block applies to; null = everywhere. */
  readonly countries: readonly string[] | null;
  /** URL of the public notice record; sent as Link: <notice>; rel="blocked-by". */
  readonly notice: string;
  /** Who made the legal demand (rights holder, court, authority), shown in the 451 body. Optional. */
  readonly demandedBy?: string;
  /** Legal ground, e.g. "DMCA 17 U.S.C. 512", "DSA Art. 16", a court order reference. Optional. */
  readonly law?: string;
}

/** What a match tells the 451 response. */
export interface RuleHit {
  readonly ruleId: number;
  readonly match: RuleMatchKind;
  readonly notice: string;
  readonly countries: readonly string[] | null;
  readonly demandedBy?: string;
  readonly law?: string;
}
