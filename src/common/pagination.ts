import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { NotFoundError } from './errors';

/** Letta cursor pagination: lists are bare arrays; `after`/`before` are ids of the previous page's edge. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Return items before this id in the chosen order' })
  @IsOptional()
  @IsString()
  before?: string;

  @ApiPropertyOptional({ description: 'Return items after this id in the chosen order' })
  @IsOptional()
  @IsString()
  after?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';

  @ApiPropertyOptional({ enum: ['created_at'], default: 'created_at' })
  @IsOptional()
  @IsIn(['created_at'])
  order_by?: 'created_at';
}

export interface PageRequest {
  before?: string;
  after?: string;
  limit: number;
  order: 'asc' | 'desc';
}

export function pageRequest(
  q: PageQueryDto,
  defaults: { order?: 'asc' | 'desc'; limit?: number } = {},
): PageRequest {
  return {
    before: q.before,
    after: q.after,
    limit: q.limit ?? defaults.limit ?? 50,
    order: q.order ?? defaults.order ?? 'desc',
  };
}

/**
 * Applies keyset pagination on (created_at, id) to a query whose main alias is `alias`.
 * The cursor row is looked up inside the same tenant-scoped table, so a foreign id is a 404.
 * `before` pages are fetched in reverse and flipped back, so results keep the chosen order.
 */
export async function paginate<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  page: PageRequest,
  kind: string,
): Promise<T[]> {
  const desc = page.order === 'desc';
  const cursorId = page.after ?? page.before;
  const forward = page.before === undefined;
  if (cursorId !== undefined) {
    const exists = await qb
      .clone()
      .select(`${alias}.id`, 'id')
      .andWhere(`${alias}.id = :cursorId`, { cursorId })
      .getRawOne<{ id: string }>();
    if (!exists) throw new NotFoundError(kind, cursorId);
    // After the cursor in listing order means "greater" when ascending. The comparison is a
    // row value against the cursor's own stored timestamp, so no precision is lost in JS.
    const greater = forward !== desc;
    const op = greater ? '>' : '<';
    const table = qb.expressionMap.mainAlias!.metadata.tableName;
    qb.andWhere(
      `(${alias}.created_at, ${alias}.id) ${op} (SELECT c.created_at, c.id FROM ${table} c WHERE c.id = :cursorId)`,
      { cursorId },
    );
  }
  const fetchDesc = forward ? desc : !desc;
  const dir = fetchDesc ? 'DESC' : 'ASC';
  qb.orderBy(`${alias}.created_at`, dir).addOrderBy(`${alias}.id`, dir).limit(page.limit);
  const rows = await qb.getMany();
  return forward ? rows : rows.reverse();
}
