import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
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
}
