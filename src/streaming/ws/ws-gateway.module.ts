import { Module } from '@nestjs/common';
import { WsGateway } from './ws.gateway';

/**
 * The `/ws` gateway, part of streaming: the API process imports it (the worker has no HTTP
 * server); it uses the global StreamingModule (bus, run sources) and AuthModule (credentials,
 * connection cap).
 */
@Module({ providers: [WsGateway], exports: [WsGateway] })
export class WsGatewayModule {}
