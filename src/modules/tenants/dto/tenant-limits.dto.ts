import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';

export const MODEL_PROVIDERS = ['openai', 'scripted'] as const;

/** Per-tenant overrides of tier limits. Omitted: unchanged; `null` (on update): back to the tier's value. */
export class TenantLimitOverridesDto {
  /** Most agents the tenant may keep. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  max_agents?: number | null;

  /** Model providers its agents may use. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsIn(MODEL_PROVIDERS, { each: true })
  allowed_model_providers?: string[] | null;

  /** Most tools one agent may reference. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(1_000)
  max_tools_per_agent?: number | null;

  /** Longest system prompt, in characters. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  max_prompt_length?: number | null;

  /** Most runs executing at once. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100_000)
  max_concurrent_runs?: number | null;

  /** API requests per minute, counted across the tenant. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  requests_per_minute?: number | null;
}
