import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OTHER } from '../../classifier/taxonomy';

export class CategoryDto {
  @ApiProperty({ example: 'invoice', description: 'Stable id, the value of document_type in results.' })
  id!: string;

  @ApiProperty({ example: 'Invoice' })
  label!: string;

  @ApiProperty({ example: 'A bill from a supplier that lists goods or services ... and asks for payment.' })
  description!: string;

  @ApiProperty({ type: [String], example: ['invoice', 'amount due', 'facture', 'rechnung'] })
  keywords!: string[];

  @ApiPropertyOptional({ type: [String], description: 'Sample texts the local classifier also trains on.' })
  examples?: string[];
}

export class CategoryListDto {
  @ApiProperty({ type: [CategoryDto] })
  categories!: CategoryDto[];

  @ApiProperty({ example: OTHER, description: 'The document_type given when no category fits.' })
  fallback!: string;
}
