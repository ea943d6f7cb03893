import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { IdPipe } from '../common/id.pipe';
import { pageRequest } from '../common/pagination';
import {
  CreateOrganizationDto,
  CreateUserDto,
  ListOrgsQueryDto,
  ListUsersQueryDto,
  toOrganizationDto,
  toUserDto,
} from './admin.dto';
import { DEFAULT_ORG_ID, OrganizationsService } from './organizations.service';

/** Letta's admin routes for tenants. Role checks arrive with API keys; today auth is off. */
@ApiTags('admin')
@Controller('admin')
export class AdminController {
  constructor(private readonly organizations: OrganizationsService) {}

  @Get('orgs')
  async listOrgs(@Query() q: ListOrgsQueryDto) {
    const orgs = await this.organizations.listOrganizations(
      pageRequest({ ...q, after: q.after ?? q.cursor }, { order: 'asc' }),
    );
    return orgs.map(toOrganizationDto);
  }

  @Post('orgs')
  @HttpCode(200)
  async createOrg(@Body() body: CreateOrganizationDto) {
    return toOrganizationDto(await this.organizations.createOrganization(body.name ?? 'organization'));
  }

  @Delete('orgs')
  async deleteOrg(@Query('org_id', new IdPipe('org')) orgId: string) {
    await this.organizations.deleteOrganization(orgId);
    return { id: orgId };
  }

  @Get('users')
  async listUsers(@Query() q: ListUsersQueryDto) {
    const users = await this.organizations.listUsers(
      q.org_id,
      pageRequest({ ...q, after: q.after ?? q.cursor }, { order: 'asc' }),
    );
    return users.map(toUserDto);
  }

  @Post('users')
  @HttpCode(200)
  async createUser(@Body() body: CreateUserDto) {
    const orgId = body.organization_id ? new IdPipe('org').transform(body.organization_id) : DEFAULT_ORG_ID;
    return toUserDto(await this.organizations.createUser(orgId, body.name));
  }

  @Delete('users')
  async deleteUser(@Query('user_id', new IdPipe('user')) userId: string) {
    await this.organizations.deleteUser(userId);
    return { id: userId };
  }
}
