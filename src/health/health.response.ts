import { Str } from '../common/api-response';

/** Letta's Health. */
export class HealthResponse {
  @Str({ enum: ['ok'] }) status: string;
  @Str() version: string;
}
