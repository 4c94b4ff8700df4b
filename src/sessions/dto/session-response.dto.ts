import { ListResponse } from '../../core/http/list-response';

export class SessionResponseDto {
  id: string;
  name: string;
  /** The session's own model; null means the configured default. */
  model: string | null;
  created_at: Date;
  updated_at: Date;
}

export class SessionListDto extends ListResponse(SessionResponseDto) {}
