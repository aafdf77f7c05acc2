import { Injectable } from '@nestjs/common';
import { Conflict, DocumentNotFound, InvalidRequest } from '../common/errors';
import { JobStore } from '../jobs/job-store.port';
import { CorrectionStore, type Correction } from './correction-store.port';
import { hasText } from './no-text';
import { OTHER, Taxonomy } from './taxonomy';

/** Records the right label of a classified document, with a snapshot of its text. */
@Injectable()
export class CorrectionsService {
  constructor(
    private readonly jobs: JobStore,
    private readonly corrections: CorrectionStore,
    private readonly taxonomy: Taxonomy,
  ) {}

  /** @param jobId a UUID and position an integer from 0 (the HTTP pipes check both first). */
  async record(jobId: string, position: number, label: string): Promise<Correction> {
    const document = await this.jobs.getDocument(jobId, position);
    if (!document) throw new DocumentNotFound(jobId, position);
    if (label !== OTHER && !this.taxonomy.has(label)) {
      throw new InvalidRequest(
        `label '${label}' is not a document type; expected one of: ${[...this.taxonomy.categories.map((c) => c.id), OTHER].join(', ')}`,
      );
    }
    if (document.text === null || !hasText(document.text)) {
      throw new Conflict(
        document.text === null
          ? `document ${position} of job ${jobId} has no text yet (status ${document.status}); label it once it is processed`
          : `document ${position} of job ${jobId} has no readable text to learn from`,
      );
    }
    return this.corrections.record({
      jobId,
      position,
      filename: document.filename,
      label,
      predictedLabel: document.label,
      text: document.text,
    });
  }
}
