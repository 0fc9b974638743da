import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';

export class ListApiKeysQueryDto extends PageQueryDto {
  /** Also list revoked keys. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  @ApiPropertyOptional({ default: false })
  include_revoked: boolean = false;
}
