import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { IsStorableText } from '../../agents/agent-validators';

export class ListTenantsQueryDto extends PageQueryDto {
  /** Only active (`true`) or deactivated (`false`) tenants. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  active?: boolean;

  /** Substring of the slug or name. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  q?: string;
}
