import { HttpStatus, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA } from '@nestjs/common/constants';
import { ApiProperty, ApiResponse, type ApiPropertyOptions } from '@nestjs/swagger';

/**
 * Documents a route's success response with a response DTO class (or `[Class]` for Letta's bare
 * JSON arrays), at the status the route answers: its @HttpCode, else Nest's default (201 for
 * POST, 200 otherwise). Put it above the route decorators so they are read first.
 */
export function ApiOk(type: Type<unknown> | [Type<unknown>], description?: string): MethodDecorator {
  return (target, key, descriptor) => {
    const handler = descriptor.value as object;
    const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    const status = code ?? (method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK);
    const isArray = Array.isArray(type);
    return ApiResponse({
      status,
      description: description ?? 'Success',
      type: isArray ? type[0] : type,
      isArray,
    })(target, key, descriptor);
  };
}

/** A bare JSON value (a count, a string): `ApiOkSchema({ type: 'integer' })`. */
export function ApiOkSchema(schema: Record<string, unknown>, description?: string): MethodDecorator {
  return (target, key, descriptor) => {
    const handler = descriptor.value as object;
    const code = Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    const status = code ?? (method === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK);
    return ApiResponse({ status, description: description ?? 'Success', schema })(target, key, descriptor);
  };
}

/** A route answering 204 with no body (the route sets `@HttpCode(204)`). */
export function ApiNoContent(description = 'Done; no body'): MethodDecorator {
  return ApiResponse({ status: HttpStatus.NO_CONTENT, description });
}

// Property shorthands for response DTOs: every listed field is always present in the response
// (required); `N*` ones may be null.
type O = ApiPropertyOptions;
export const Str = (o: O = {}) => ApiProperty({ type: String, ...o } as O);
export const NStr = (o: O = {}) => ApiProperty({ type: String, nullable: true, ...o } as O);
export const Int = (o: O = {}) => ApiProperty({ type: 'integer', ...o } as O);
export const NInt = (o: O = {}) => ApiProperty({ type: 'integer', nullable: true, ...o } as O);
export const Num = (o: O = {}) => ApiProperty({ type: Number, ...o } as O);
export const NNum = (o: O = {}) => ApiProperty({ type: Number, nullable: true, ...o } as O);
export const Bool = (o: O = {}) => ApiProperty({ type: Boolean, ...o } as O);
export const NBool = (o: O = {}) => ApiProperty({ type: Boolean, nullable: true, ...o } as O);
export const Obj = (o: O = {}) => ApiProperty({ type: 'object', additionalProperties: true, ...o } as O);
export const NObj = (o: O = {}) =>
  ApiProperty({ type: 'object', additionalProperties: true, nullable: true, ...o } as O);
export const StrArr = (o: O = {}) => ApiProperty({ type: [String], ...o } as O);
export const NStrArr = (o: O = {}) => ApiProperty({ type: [String], nullable: true, ...o } as O);
export const ObjArr = (o: O = {}) =>
  ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, ...o } as O);
/** A date-time string (ISO 8601). */
export const Date_ = (o: O = {}) => ApiProperty({ type: String, format: 'date-time', ...o } as O);
export const NDate = (o: O = {}) =>
  ApiProperty({ type: String, format: 'date-time', nullable: true, ...o } as O);
/** Any JSON value (or null). */
export const AnyJson = (o: O = {}) =>
  ApiProperty({
    nullable: true,
    oneOf: [
      { type: 'string' },
      { type: 'number' },
      { type: 'boolean' },
      { type: 'object' },
      { type: 'array', items: {} },
    ],
    ...o,
  } as O);
