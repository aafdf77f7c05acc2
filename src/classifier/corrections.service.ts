import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { JobStore } from '../jobs/job-store.port';
import { CorrectionStore, type Correction } from './correction-store.port';
import { hasText } from './no-text';
import { OTHER, Taxonomy } from './taxonomy';
import { isUuid } from '../common/uuid';
import { DEFAULT_TENANT } from '../jobs/job.model';

/** Largest document index a job can have (PostgreSQL integer). */
const MAX_INDEX = 2 ** 31 - 1;

/** Records the right label of a classified document, with a snapshot of its text. */
@Injectable()
export class CorrectionsService {
  constructor(
    private readonly jobs: JobStore,
    private readonly corrections: CorrectionStore,
    private readonly taxonomy: Taxonomy,
  ) {}

  async record(jobId: string, position: number, label: string, tenantId = DEFAULT_TENANT): Promise<Correction> {
    // A malformed id is an unknown job (404), as for GET /job/{job_id}.
    const document =
      isUuid(jobId) && position >= 0 && position <= MAX_INDEX
        ? await this.jobs.getDocument(tenantId, jobId, position)
        : null;
    if (!document) throw new NotFoundException(`job ${jobId} has no document at position ${position}`);
    if (label !== OTHER && !this.taxonomy.has(label)) {
      throw new BadRequestException(
        `label '${label}' is not a document type; expected one of: ${[...this.taxonomy.categories.map((c) => c.id), OTHER].join(', ')}`,
      );
    }
    if (document.text === null || !hasText(document.text)) {
      throw new ConflictException(
        document.text === null
          ? `document ${position} of job ${jobId} has no text yet (status ${document.status}); label it once it is processed`
          : `document ${position} of job ${jobId} has no readable text to learn from`,
      );
    }
    return this.corrections.record({
      tenantId,
      jobId,
      position,
      filename: document.filename,
      label,
      predictedLabel: document.label,
      text: document.text,
    });
  }
}
