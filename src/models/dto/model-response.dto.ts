export class ModelResponseDto {
  /** The name to pass as `model`. */
  id: string;
  /** `echo`, `deepseek`, `openai` or a provider from PROVIDERS_FILE. */
  provider: string;
}

/** The models usable now: those whose provider is configured. Not paginated. */
export class ModelListDto {
  data: ModelResponseDto[];
}
