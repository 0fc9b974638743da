import { RunMetricsDto } from '../../runs/dto/run-response.dto';

/** A non-streamed chat answer. */
export class ChatResponseDto {
  run_id: string;
  session_id: string;
  response: string;
  metrics: RunMetricsDto;
}
