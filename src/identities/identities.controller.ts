import {
  ArgumentMetadata,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Injectable,
  Param,
  Patch,
  PipeTransform,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { Auth, Principal } from '../common/auth/principal';
import { DomainError, InvalidInputError } from '../common/errors';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import { createValidationPipe } from '../common/validation';
import { toBlockDto } from '../memory/dto/block.dto';
import {
  CreateIdentityDto,
  IdentityPropertyDto,
  ListIdentitiesQueryDto,
  ListIdentityAgentsQueryDto,
  UpdateIdentityDto,
} from './dto/identity.dto';
import { IdentitiesService } from './identities.service';
import { toIdentityDto } from './identity.entity';
import { PageQueryDto } from '../common/pagination';
import { ApiOk, ApiOkSchema } from '../common/api-response';
import { IdentityResponse } from './dto/identity.response';
import { AgentStateResponse } from '../agents/dto/agent.response';
import { BlockResponse } from '../memory/dto/block.response';

const identityId = () => new IdPipe('identity');
const MAX_PROPERTIES = 1000;

/** The body of PUT .../properties: a bare array, each item validated like any DTO. */
@Injectable()
class PropertiesPipe implements PipeTransform<unknown, Promise<IdentityPropertyDto[]>> {
  private readonly item = createValidationPipe();

  async transform(value: unknown, metadata: ArgumentMetadata): Promise<IdentityPropertyDto[]> {
    if (!Array.isArray(value))
      throw new InvalidInputError('Invalid request: body must be an array of properties');
    if (value.length > MAX_PROPERTIES)
      throw new InvalidInputError(`Invalid request: body: at most ${MAX_PROPERTIES} properties`);
    const out: IdentityPropertyDto[] = [];
    for (const [i, x] of value.entries()) {
      try {
        out.push(await this.item.transform(x, { ...metadata, metatype: IdentityPropertyDto }));
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        throw new InvalidInputError(e.message.replace(/^Invalid request: /, `Invalid request: [${i}].`));
      }
    }
    return out;
  }
}

@ApiTags('identities')
@Access('member')
@Controller('identities')
export class IdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @ApiOk(IdentityResponse)
  @Post()
  @HttpCode(200)
  async create(@Auth() p: Principal, @Body() dto: CreateIdentityDto) {
    return toIdentityDto(await this.identities.create(p, dto));
  }

  @ApiOk(IdentityResponse)
  @Put()
  async upsert(@Auth() p: Principal, @Body() dto: CreateIdentityDto) {
    return toIdentityDto(await this.identities.upsert(p, dto));
  }

  @ApiOk([IdentityResponse])
  @Get()
  async list(@Auth() p: Principal, @Query() q: ListIdentitiesQueryDto) {
    const found = await this.identities.list(
      p,
      {
        name: q.name,
        projectId: q.project_id,
        identifierKey: q.identifier_key,
        identityType: q.identity_type,
      },
      pageRequest(q),
    );
    return found.map(toIdentityDto);
  }

  @ApiOkSchema({ type: 'integer' })
  @Get('count')
  count(@Auth() p: Principal) {
    return this.identities.count(p);
  }

  @ApiOk(IdentityResponse)
  @Get(':identity_id')
  async get(@Auth() p: Principal, @Param('identity_id', identityId()) id: string) {
    return toIdentityDto(await this.identities.get(p, id));
  }

  @ApiOk(IdentityResponse)
  @Patch(':identity_id')
  async update(
    @Auth() p: Principal,
    @Param('identity_id', identityId()) id: string,
    @Body() dto: UpdateIdentityDto,
  ) {
    return toIdentityDto(await this.identities.update(p, id, dto));
  }

  @ApiOk(IdentityResponse)
  @Put(':identity_id/properties')
  @ApiBody({ type: [IdentityPropertyDto] })
  async properties(
    @Auth() p: Principal,
    @Param('identity_id', identityId()) id: string,
    @Body(PropertiesPipe) properties: IdentityPropertyDto[],
  ) {
    return toIdentityDto(await this.identities.replaceProperties(p, id, properties));
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Delete(':identity_id')
  async delete(@Auth() p: Principal, @Param('identity_id', identityId()) id: string) {
    await this.identities.delete(p, id);
    return null;
  }

  @ApiOk([AgentStateResponse])
  @Get(':identity_id/agents')
  agents(
    @Auth() p: Principal,
    @Param('identity_id', identityId()) id: string,
    @Query() q: ListIdentityAgentsQueryDto,
  ) {
    return this.identities.agentsOf(p, id, pageRequest(q));
  }

  @ApiOk([BlockResponse])
  @Get(':identity_id/blocks')
  async blocks(
    @Auth() p: Principal,
    @Param('identity_id', identityId()) id: string,
    @Query() q: PageQueryDto,
  ) {
    return (await this.identities.blocksOf(p, id, pageRequest(q))).map(toBlockDto);
  }
}

/** `PATCH /v1/agents/:agent_id/identities/attach|detach/:identity_id` (Letta answers null). */
@ApiTags('agents')
@Access('member')
@Controller('agents/:agent_id/identities')
export class AgentIdentitiesController {
  constructor(private readonly identities: IdentitiesService) {}

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Patch('attach/:identity_id')
  async attach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('identity_id', identityId()) id: string,
  ) {
    await this.identities.attachAgent(p, agentId, id);
    return null;
  }

  @ApiOkSchema({ nullable: true, description: 'null' })
  @Patch('detach/:identity_id')
  async detach(
    @Auth() p: Principal,
    @Param('agent_id', new IdPipe('agent')) agentId: string,
    @Param('identity_id', identityId()) id: string,
  ) {
    await this.identities.detachAgent(p, agentId, id);
    return null;
  }
}
