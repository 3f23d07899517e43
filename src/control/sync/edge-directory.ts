/** An edge as the control plane knows it. Times are ms since epoch. */
export interface EdgeRecord {
  readonly id: string;
  readonly name: string;
  readonly region: string | null;
  readonly country: string | null;
  readonly appliedVersion: number;
  readonly registeredAt: number;
  readonly lastSeenAt: number | null;
  readonly ackedAt: number | null;
}

/** The edges table, as live configuration uses it (see db-edge-directory.ts for the Kysely implementation). */
export interface EdgeDirectory {
  /** Creates the edge, or refreshes region/country/last_seen_at of the one with this name. */
  register(
    input: { name: string; region: string | null; country: string | null },
    now: number,
  ): Promise<EdgeRecord>;
  /** Records the version an edge applied (what it reports, even lower after an accepted rollback). Null: no such edge. */
  ack(edgeId: string, version: number, now: number): Promise<EdgeRecord | null>;
  /** Records many acks at once (one transaction): the control plane batches them off the ack's critical path. */
  ackMany(acks: readonly { edgeId: string; version: number; at: number }[]): Promise<void>;
  list(): Promise<EdgeRecord[]>;
}
