import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { QueryInteger } from './validation';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** `?limit=&offset=` for every list. */
export class PageQueryDto {
  /** Items per page, 1 to 100. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  @ApiPropertyOptional({ default: DEFAULT_PAGE_SIZE })
  limit: number = DEFAULT_PAGE_SIZE;

  /** Items to skip. */
  @IsOptional()
  @QueryInteger()
  @IsInt()
  @Min(0)
  @Max(1_000_000_000)
  @ApiPropertyOptional({ default: 0 })
  offset: number = 0;
}

/** The paging fields every list response carries beside its items. */
export class PageMetaDto {
  /** Items matching the filters, on all pages. */
  @ApiProperty({ example: 100 })
  total: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({ example: 0 })
  offset: number;
}

export interface Page<T> {
  total: number;
  limit: number;
  offset: number;
  items: T[];
}

export function pageOf<T>(items: T[], total: number, query: PageQueryDto): Page<T> {
  return { total, limit: query.limit, offset: query.offset, items };
}
