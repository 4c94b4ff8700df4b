export interface ApiKeyResponseDto {
  id: string;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
}

/** Only the creation answer carries the key itself. */
export interface CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  key: string;
}
