import { Controller, Get, Patch, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Access } from '../common/auth/access.decorator';
import { Public } from '../common/auth/principal';
import { RouteTable } from './route-table';

@Access('member')
@Controller('things')
class ThingsController {
  @Get(':thing_id') get() {}
  @Access('member', { read: true }) @Post('search') search() {}
  @Access('admin') @Patch(':thing_id') update() {}
}

@Public()
@Controller('ping')
class PingController {
  @Get() ping() {}
}

@Controller('forgotten')
class ForgottenController {
  @Get() list() {}
  @Access('org_admin') @Post() create() {}
}

describe('RouteTable', () => {
  it('lists every route with its effective policy, and the ones that declare none', async () => {
    const module = await Test.createTestingModule({
      imports: [DiscoveryModule],
      controllers: [ThingsController, PingController, ForgottenController],
      providers: [RouteTable],
    }).compile();
    const table = module.get(RouteTable);
    const byKey = Object.fromEntries(table.list().map((r) => [`${r.method} ${r.path}`, r]));
    expect(Object.keys(byKey).sort()).toEqual([
      'GET /v1/forgotten',
      'GET /v1/ping',
      'GET /v1/things/:thing_id',
      'PATCH /v1/things/:thing_id',
      'POST /v1/forgotten',
      'POST /v1/things/search',
    ]);
    expect(byKey['GET /v1/things/:thing_id'].policy).toEqual({ role: 'member' });
    expect(byKey['POST /v1/things/search'].policy).toEqual({ role: 'member', read: true });
    expect(byKey['PATCH /v1/things/:thing_id'].policy).toEqual({ role: 'admin' });
    expect(byKey['GET /v1/ping']).toMatchObject({ isPublic: true, policy: undefined });
    expect(table.undeclared().map((r) => `${r.method} ${r.path} ${r.controller}.${r.handler}`)).toEqual([
      'GET /v1/forgotten ForgottenController.list',
    ]);
    await module.close();
  });
});
