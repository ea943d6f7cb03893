import { Body, Controller, Delete, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Access } from '../common/auth/access.decorator';
import { Auth, AuthPrincipal, orgScope } from '../common/auth/principal';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import {
  CreateOrganizationDto,
  CreateUserDto,
  ListOrgsQueryDto,
  ListUsersQueryDto,
  UpdateOrganizationDto,
  toOrganizationDto,
  toUserDto,
} from './admin.dto';
import { OrganizationsService } from './organizations.service';
import { ApiOk } from '../common/api-response';
import { IdResponse, OrganizationResponse, UserResponse } from './admin.response';

/**
 * Letta's admin routes for tenants. `admin` manages every organization; an `org_admin` sees and
 * manages only its own (another organization's ids answer 404, its lists come back empty).
 */
@ApiTags('admin')
@Access('org_admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly organizations: OrganizationsService) {}

  @ApiOk([OrganizationResponse])
  @Get('orgs')
  async listOrgs(@Auth() p: AuthPrincipal, @Query() q: ListOrgsQueryDto) {
    const orgs = await this.organizations.listOrganizations(
      pageRequest({ ...q, after: q.after ?? q.cursor }, { order: 'asc' }),
      orgScope(p),
    );
    return orgs.map(toOrganizationDto);
  }

  @ApiOk(OrganizationResponse)
  @Access('admin')
  @Post('orgs')
  @HttpCode(200)
  async createOrg(@Body() body: CreateOrganizationDto) {
    return toOrganizationDto(await this.organizations.createOrganization(body.name ?? 'organization'));
  }

  @ApiOk(OrganizationResponse)
  @Patch('orgs')
  async updateOrg(
    @Auth() p: AuthPrincipal,
    @Query('org_id', new IdPipe('org')) orgId: string,
    @Body() body: UpdateOrganizationDto,
  ) {
    const org = await this.organizations.updateOrganization(p, orgId, {
      name: body.name,
      privilegedTools: body.privileged_tools,
    });
    return toOrganizationDto(org);
  }

  @ApiOk(IdResponse)
  @Access('admin')
  @Delete('orgs')
  async deleteOrg(@Query('org_id', new IdPipe('org')) orgId: string) {
    await this.organizations.deleteOrganization(orgId);
    return { id: orgId };
  }

  @ApiOk([UserResponse])
  @Get('users')
  async listUsers(@Auth() p: AuthPrincipal, @Query() q: ListUsersQueryDto) {
    const page = pageRequest({ ...q, after: q.after ?? q.cursor }, { order: 'asc' });
    return (await this.organizations.listUsers(p, q.org_id, page)).map(toUserDto);
  }

  @ApiOk(UserResponse)
  @Post('users')
  @HttpCode(200)
  async createUser(@Auth() p: AuthPrincipal, @Body() body: CreateUserDto) {
    const orgId = body.organization_id ? new IdPipe('org').transform(body.organization_id) : undefined;
    return toUserDto(await this.organizations.createUser(p, orgId, body.name));
  }

  @ApiOk(IdResponse)
  @Delete('users')
  async deleteUser(@Auth() p: AuthPrincipal, @Query('user_id', new IdPipe('user')) userId: string) {
    await this.organizations.deleteUser(userId, orgScope(p));
    return { id: userId };
  }
}
