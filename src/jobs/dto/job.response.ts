import { Date_, NBool, NDate, NInt, NObj, NStr, Str } from '../../common/api-response';
import { JOB_STATUSES } from '../job.entity';

/** Letta's Job (toJobDto): today, the ingestion of one uploaded file. */
export class JobResponse {
  @Str({ example: 'job-…' }) id: string;
  @Str({ enum: JOB_STATUSES }) status: string;
  @Str({ enum: ['job'] }) job_type: string;
  @NObj({ description: 'type, file_id, source_id (and error, progress)' }) metadata: Record<
    string,
    unknown
  > | null;
  @NObj({ description: 'stage (parsing, embedding), done and total chunks' })
  progress: Record<string, unknown> | null;
  @NStr() user_id: string | null;
  @NStr({ description: 'end_turn, error or cancelled once ended' }) stop_reason: string | null;
  @NBool() background: boolean | null;
  @NStr() agent_id: string | null;
  @NStr() callback_url: string | null;
  @NDate() callback_sent_at: string | null;
  @NInt() callback_status_code: number | null;
  @NStr() callback_error: string | null;
  @NInt() ttft_ns: number | null;
  @NInt() total_duration_ns: number | null;
  @Date_() created_at: string;
  @Date_() updated_at: string;
  @NDate() completed_at: string | null;
}
