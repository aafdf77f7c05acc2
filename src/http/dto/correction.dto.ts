import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

const LABEL_RULE = 'label must be a category id from GET /categories (such as "invoice") or \'other\'';

export class RecordCorrectionDto {
  @ApiProperty({ example: 'invoice', description: "A category id from GET /categories, or 'other'." })
  @IsString({ message: LABEL_RULE })
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: LABEL_RULE })
  label!: string;
}

export class CorrectionDto {
  @ApiProperty({ format: 'uuid' })
  job_id!: string;

  @ApiProperty({ type: 'integer', minimum: 0, example: 0, description: "the document's index in the job" })
  position!: number;

  @ApiProperty({ example: 'scan-004.pdf' })
  filename!: string;

  @ApiProperty({ example: 'invoice' })
  label!: string;

  @ApiProperty({ type: String, nullable: true, example: 'receipt', description: 'What the classifier had said.' })
  predicted_label!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time' })
  updated_at!: string;
}
