import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { AGENT_STATUSES, type AgentStatus } from '../agent.entity';
import { IsStorableText } from '../agent-validators';

export class ListAgentsQueryDto extends PageQueryDto {
  /** Only agents carrying this tag. */
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @IsStorableText()
  tag?: string;

  /** Only `active` or `inactive` agents. */
  @IsOptional()
  @IsIn(AGENT_STATUSES)
  status?: AgentStatus;

  /** Substring of the name or description (case-insensitive). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  q?: string;

  /**
   * The `next_cursor` of the page before: the page after it, by name, however agents were added
   * or deleted in between (offset paging would skip or repeat one). Not with `offset`.
   */
  @IsOptional()
  @IsString()
  @MaxLength(400)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a next_cursor of this list' })
  cursor?: string;
}
