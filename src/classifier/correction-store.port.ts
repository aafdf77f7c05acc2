/** A document's right label, as recorded by a user. */
export interface Correction {
  /** The document corrected; null once its job was deleted (the example outlives it). */
  jobId: string | null;
  /** The document's index in its job. */
  position: number | null;
  filename: string;
  /** A taxonomy id, or 'other'. */
  label: string;
  /** What the classifier had said, when it had said something. */
  predictedLabel: string | null;
  /** Snapshot of the document's text, so the example outlives the job. */
  text: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewCorrection extends Pick<Correction, 'filename' | 'label' | 'predictedLabel' | 'text'> {
  tenantId: string;
  jobId: string;
  position: number;
}

/**
 * Port: recorded corrections, each tenant's apart (a tenant's corrections train only its own
 * model). The server records them and worker processes train on them, so the store (not memory)
 * is the truth; `revision` lets readers notice new ones cheaply. A tenant left out is the default
 * tenant (the embedded service without keys).
 */
export abstract class CorrectionStore {
  /** Records the label of one document; a second call for the same document replaces the first. */
  abstract record(correction: NewCorrection): Promise<Correction>;
  /** The tenant's most recently recorded corrections first. */
  abstract list(limit: number, tenantId?: string): Promise<Correction[]>;
  /** Changes whenever one of the tenant's corrections is recorded or replaced. */
  abstract revision(tenantId?: string): Promise<string>;
}
