import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class RecordCorrectionDto {
  @ApiProperty({ example: 'invoice', description: "A category id from GET /categories, or 'other'." })
  @IsString()
  @Matches(/^[a-z][a-z0-9_]{0,62}$/, { message: 'label must be a category id such as "invoice"' })
  label!: string;
}

export class CorrectionDto {
  @ApiProperty({ format: 'uuid' })
  job_id!: string;

  @ApiProperty({ example: 0 })
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
