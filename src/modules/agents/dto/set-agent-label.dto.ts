import { IsInt, Max, Min } from 'class-validator';

export class SetAgentLabelDto {
  /** The version the label points at. */
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  version: number;
}
