import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { IsStorableText } from '../../agents/agent-validators';

export class ListTemplatesQueryDto extends PageQueryDto {
  /** Only the global templates, or only your tenant's own. */
  @IsOptional()
  @IsIn(['global', 'tenant'])
  scope?: 'global' | 'tenant';

  /** Only templates carrying this tag. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsStorableText()
  tag?: string;

  /** Substring of the name or description (case-insensitive). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  q?: string;
}
