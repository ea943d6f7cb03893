import { StrArr } from '../../common/api-response';

/** Letta's ImportedAgentsResponse. */
export class ImportedAgentsResponse {
  @StrArr() agent_ids: string[];
}
