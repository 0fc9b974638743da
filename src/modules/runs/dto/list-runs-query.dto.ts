import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../../shared/http/pagination.dto';
import { RUN_STATUSES, RunStatus } from '../run.entity';
import { IsStorableText } from '../../agents/agent-validators';

/** `GET /runs` filters. */
export class ListRunsQueryDto extends PageQueryDto {
  /** Only runs of this agent. */
  @IsOptional()
  @IsUUID()
  agent_id?: string;

  /** Only runs of this user. */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  user_id?: string;

  /** Only runs of this session (conversation). */
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @IsStorableText()
  session_id?: string;

  /** Only runs in this state. */
  @IsOptional()
  @IsIn(RUN_STATUSES)
  status?: RunStatus;
}
