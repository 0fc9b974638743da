import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsIsoDateTime } from '../../../shared/http/validation';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { IsStorableText } from '../../agents/agent-validators';

export class ListAuditQueryDto extends PageQueryDto {
  /** Only entries about this kind of resource, e.g. `tenant`, `api_key`, `agent`. */
  @IsOptional()
  @IsString()
  @IsStorableText()
  @MaxLength(64)
  resource_type?: string;

  /** Only entries about this resource id. */
  @IsOptional()
  @IsString()
  @IsStorableText()
  @MaxLength(200)
  resource_id?: string;

  /** Only entries by this actor, e.g. `user:alice` or `api_key:<id>`. */
  @IsOptional()
  @IsString()
  @IsStorableText()
  @MaxLength(300)
  actor?: string;

  /** Only entries of this action, e.g. `api_key.revoked`. */
  @IsOptional()
  @IsString()
  @IsStorableText()
  @MaxLength(100)
  action?: string;

  /** Entries at or after this time (ISO 8601). */
  @IsOptional()
  @IsIsoDateTime()
  from?: Date;

  /** Entries before this time (ISO 8601). */
  @IsOptional()
  @IsIsoDateTime()
  to?: Date;
}
