import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { OTHER, Taxonomy } from '../classifier/taxonomy';
import { CategoryListDto } from './dto/categories.dto';
import { CATEGORY_LIST_EXAMPLE } from './dto/examples';

@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(private readonly taxonomy: Taxonomy) {}

  @Get()
  @ApiOperation({
    operationId: 'listCategories',
    summary: 'The document types documents are classified into',
    description:
      "The taxonomy in effect: each category's id is a document_type value and a valid categories entry " +
      'of an upload. A document that fits none is given the fallback.',
  })
  @ApiOkResponse({ type: CategoryListDto, description: 'the taxonomy', example: CATEGORY_LIST_EXAMPLE })
  listCategories(): CategoryListDto {
    return {
      categories: this.taxonomy.categories.map((c) => ({
        id: c.id,
        label: c.label,
        description: c.description,
        keywords: [...c.keywords],
        ...(c.examples ? { examples: [...c.examples] } : {}),
      })),
      fallback: OTHER,
    };
  }
}
