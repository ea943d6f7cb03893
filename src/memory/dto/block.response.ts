import { Bool, Int, NBool, NStr, Obj, Str, StrArr } from '../../common/api-response';

/** Letta's BlockResponse (toBlockDto). */
export class BlockResponse {
  @Str({ example: 'block-…' }) id: string;
  @Str() label: string;
  @Str() value: string;
  @Int() limit: number;
  @NStr() description: string | null;
  @Obj() metadata: Record<string, unknown>;
  @StrArr() tags: string[];
  @Bool() read_only: boolean;
  @NBool() hidden: boolean | null;
  @Bool() is_template: boolean;
  @NStr() template_name: string | null;
  @NStr() template_id: string | null;
  @NStr() base_template_id: string | null;
  @NStr() deployment_id: string | null;
  @NStr() entity_id: string | null;
  @NStr() project_id: string | null;
  @NBool() preserve_on_migration: boolean | null;
  @NStr() created_by_id: string | null;
  @NStr() last_updated_by_id: string | null;
}
