import { ListResponse } from '../../core/http/list-response';

export class ApiKeyResponseDto {
  id: string;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  /** The key's own request limit per minute; null: only the user's limit applies. */
  rate_limit_per_minute: number | null;
  /** The only models the key may use; null: any model. */
  models: string[] | null;
  /** The key's own daily token limit (input + output, UTC day); null: only the user's quota applies. */
  tokens_per_day: number | null;
}

/** Only the creation answer carries the key itself. */
export class CreatedApiKeyResponseDto extends ApiKeyResponseDto {
  /** The whole key (`oc_…`): shown once, never again. */
  key: string;
}

export class ApiKeyListDto extends ListResponse(ApiKeyResponseDto) {}
