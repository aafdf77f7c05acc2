import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** Every error the API returns has this shape. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode!: number;

  @ApiProperty({ example: 'Bad Request' })
  error!: string;

  @ApiProperty({ example: "file 'scan.pdf' is empty" })
  message!: string;

  @ApiPropertyOptional({ description: 'Quote it when reporting a 500: the server logged the cause under this id.' })
  errorId?: string;
}
