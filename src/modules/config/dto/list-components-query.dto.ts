import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { COMPONENT_TYPES, ComponentType } from '../component.entity';
import { IsStorableText } from '../../agents/agent-validators';

export class ListComponentsQueryDto extends PageQueryDto {
  /** Only components of this type. */
  @IsOptional()
  @IsIn(COMPONENT_TYPES)
  type?: ComponentType;

  /** Only components carrying this tag. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsStorableText()
  tag?: string;

  /** Only enabled (`true`) or disabled (`false`) components. */
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  enabled?: boolean;
}
