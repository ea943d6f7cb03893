import ts from 'typescript';
import { HIDDEN_PARAMETERS, JsonSchemaProperty, ToolJsonSchema, ToolSchemaError } from '../types';

type FunctionLike = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression;

interface FoundFunction {
  name: string;
  fn: FunctionLike;
  exported: boolean;
}

/**
 * How the runner passes named JSON args to the function: positionally in declared order, or
 * (for a single destructured parameter `({ a, b }: {...})`) as one object.
 */
export interface TypeScriptCallShape {
  name: string;
  parameterNames: string[];
  singleObject: boolean;
}

export interface TypeScriptToolDescription {
  schema: ToolJsonSchema;
  call: TypeScriptCallShape;
}

/** Derives the schema of a TypeScript/JavaScript tool from its source (syntax only, never run). */
export function deriveTypeScriptSchema(sourceCode: string, functionName?: string): ToolJsonSchema {
  return describeTypeScriptTool(sourceCode, functionName).schema;
}

export function describeTypeScriptTool(sourceCode: string, functionName?: string): TypeScriptToolDescription {
  const file = ts.createSourceFile('tool.ts', sourceCode, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const syntax = syntaxErrors(sourceCode);
  if (syntax.length) {
    const d = syntax[0];
    const line = d.start !== undefined ? file.getLineAndCharacterOfPosition(d.start).line + 1 : undefined;
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    throw new ToolSchemaError(
      'syntax_error',
      `TypeScript syntax error${line ? ` on line ${line}` : ''}: ${text}`,
      line,
    );
  }

  const found = topLevelFunctions(file);
  const pick = functionName
    ? found.filter((f) => f.name === functionName)
    : found.some((f) => f.exported)
      ? found.filter((f) => f.exported)
      : found;
  const chosen = pick[pick.length - 1];
  if (!chosen) {
    const names = found.length ? ` (found: ${found.map((f) => f.name).join(', ')})` : '';
    throw new ToolSchemaError(
      'no_function',
      functionName
        ? `No top-level function named '${functionName}' in the TypeScript source${names}`
        : 'No top-level function found in the TypeScript source',
    );
  }

  const mapper = new TypeMapper(file);
  const paramDocs = new Map<string, string>();
  for (const tag of ts.getJSDocTags(chosen.fn)) {
    if (ts.isJSDocParameterTag(tag)) {
      const text = ts
        .getTextOfJSDocComment(tag.comment)
        ?.replace(/^\s*-\s*/, '')
        .trim();
      if (text) paramDocs.set(tag.name.getText(file).replace(/^[^.]+\./, ''), text);
    }
  }

  const properties: Record<string, JsonSchemaProperty> = {};
  const required: string[] = [];
  const params = chosen.fn.parameters.filter(
    (p) =>
      !(ts.isIdentifier(p.name) && HIDDEN_PARAMETERS.has(p.name.text)) && p.name.getText(file) !== 'this',
  );
  const single = params.length === 1 && ts.isObjectBindingPattern(params[0].name) ? params[0] : undefined;

  if (single) {
    const objectSchema = single.type
      ? mapper.map(single.type, 'the destructured argument')
      : { type: 'object' };
    for (const [key, value] of Object.entries(objectSchema.properties ?? {})) {
      if (HIDDEN_PARAMETERS.has(key)) continue;
      const description = paramDocs.get(key) ?? value.description;
      properties[key] = description ? { ...value, description } : value;
    }
    required.push(...(objectSchema.required ?? []).filter((k) => !HIDDEN_PARAMETERS.has(k)));
  } else {
    for (const p of params) {
      const name = p.name.getText(file);
      if (!ts.isIdentifier(p.name)) {
        throw new ToolSchemaError(
          'unsupported_type',
          `Parameter '${name}' uses destructuring; only a single destructured object parameter is supported`,
        );
      }
      if (p.dotDotDotToken)
        throw new ToolSchemaError('unsupported_type', `Rest parameter '...${name}' is not supported`);
      const declared = p.type ?? typeFromInitializer(p.initializer);
      if (!declared) {
        const line = file.getLineAndCharacterOfPosition(p.getStart(file)).line + 1;
        throw new ToolSchemaError(
          'missing_annotation',
          `Parameter '${name}' of '${chosen.name}' has no type annotation`,
          line,
        );
      }
      const { schema, optional } = mapper.mapParam(declared, name);
      const description = paramDocs.get(name);
      properties[name] = description ? { ...schema, description } : schema;
      if (!p.questionToken && !p.initializer && !optional) required.push(name);
    }
  }

  return {
    schema: {
      name: chosen.name,
      description: jsDocDescription(chosen.fn),
      parameters: { type: 'object', properties, required },
    },
    call: {
      name: chosen.name,
      parameterNames: params.map((p) => p.name.getText(file)),
      singleObject: Boolean(single),
    },
  };
}

/**
 * The call shape alone (parameter names in order), for running a tool: needs no type annotations,
 * so plain JavaScript works. Undefined when the function is not found.
 */
export function typeScriptCallShape(
  sourceCode: string,
  functionName: string,
): TypeScriptCallShape | undefined {
  const file = ts.createSourceFile('tool.ts', sourceCode, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const chosen = topLevelFunctions(file)
    .filter((f) => f.name === functionName)
    .pop();
  if (!chosen) return undefined;
  const params = chosen.fn.parameters.filter(
    (p) => !(ts.isIdentifier(p.name) && HIDDEN_PARAMETERS.has(p.name.text)),
  );
  return {
    name: chosen.name,
    parameterNames: params.map((p) => p.name.getText(file)),
    singleObject: params.length === 1 && ts.isObjectBindingPattern(params[0].name),
  };
}

/** `x = 'a'`, `n = 10`, `b = true`, `v = 1 as T`: a default that states its type. */
function typeFromInitializer(init: ts.Expression | undefined): ts.TypeNode | undefined {
  if (!init) return undefined;
  if (ts.isAsExpression(init) || ts.isSatisfiesExpression(init)) return init.type;
  const keyword = ts.isStringLiteralLike(init)
    ? ts.SyntaxKind.StringKeyword
    : ts.isNumericLiteral(init)
      ? ts.SyntaxKind.NumberKeyword
      : init.kind === ts.SyntaxKind.TrueKeyword || init.kind === ts.SyntaxKind.FalseKeyword
        ? ts.SyntaxKind.BooleanKeyword
        : undefined;
  return keyword === undefined
    ? undefined
    : ts.factory.createKeywordTypeNode(keyword as ts.KeywordTypeSyntaxKind);
}

function syntaxErrors(source: string): readonly ts.Diagnostic[] {
  const out = ts.transpileModule(source, {
    reportDiagnostics: true,
    fileName: 'tool.ts',
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS },
  });
  return (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
}

function topLevelFunctions(file: ts.SourceFile): FoundFunction[] {
  const found: FoundFunction[] = [];
  const isExported = (n: ts.Node) =>
    ts.canHaveModifiers(n) && (ts.getModifiers(n) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const stmt of file.statements) {
    if (ts.isFunctionDeclaration(stmt) && stmt.name && stmt.body) {
      found.push({ name: stmt.name.text, fn: stmt, exported: isExported(stmt) });
    } else if (ts.isVariableStatement(stmt)) {
      for (const decl of stmt.declarationList.declarations) {
        const init = decl.initializer;
        if (
          ts.isIdentifier(decl.name) &&
          init &&
          (ts.isArrowFunction(init) || ts.isFunctionExpression(init))
        ) {
          found.push({ name: decl.name.text, fn: init, exported: isExported(stmt) });
        }
      }
    }
  }
  return found;
}

function jsDocDescription(fn: FunctionLike): string {
  for (const node of ts.getJSDocCommentsAndTags(fn)) {
    if (ts.isJSDoc(node)) {
      const text = ts.getTextOfJSDocComment(node.comment)?.trim();
      if (text) return text;
    }
  }
  return '';
}

/** Maps type syntax to JSON schema, resolving interfaces and type aliases declared in the file. */
class TypeMapper {
  private readonly named = new Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>();
  private readonly resolving = new Set<string>();

  constructor(private readonly file: ts.SourceFile) {
    for (const stmt of file.statements) {
      if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt))
        this.named.set(stmt.name.text, stmt);
    }
  }

  mapParam(type: ts.TypeNode, param: string): { schema: JsonSchemaProperty; optional: boolean } {
    if (ts.isUnionTypeNode(type)) {
      const nullish = type.types.filter((t) => this.isNullish(t));
      if (nullish.length) {
        const rest = type.types.filter((t) => !this.isNullish(t));
        return { schema: this.union(rest, param, type), optional: true };
      }
    }
    return { schema: this.map(type, param), optional: false };
  }

  map(type: ts.TypeNode, param: string): JsonSchemaProperty {
    const fail = (): never => {
      throw new ToolSchemaError(
        'unsupported_type',
        `Parameter '${param}' has unsupported type '${type.getText(this.file)}'` +
          ' (supported: string, number, boolean, arrays, string/number literal unions, object types, interfaces)',
      );
    };
    switch (type.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { type: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { type: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.ObjectKeyword:
        return { type: 'object' };
    }
    if (ts.isParenthesizedTypeNode(type)) return this.map(type.type, param);
    if (ts.isArrayTypeNode(type)) return { type: 'array', items: this.map(type.elementType, param) };
    if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword)
      return this.map(type.type, param);
    if (ts.isTupleTypeNode(type)) {
      const prefixItems = type.elements.map((e) => this.map(ts.isNamedTupleMember(e) ? e.type : e, param));
      return { type: 'array', prefixItems, minItems: prefixItems.length, maxItems: prefixItems.length };
    }
    if (ts.isLiteralTypeNode(type)) return this.literals([type], param) ?? fail();
    if (ts.isUnionTypeNode(type))
      return this.union(
        type.types.filter((t) => !this.isNullish(t)),
        param,
        type,
      );
    if (ts.isTypeLiteralNode(type)) return this.members(type.members, param);
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText(this.file);
      const args = type.typeArguments ?? [];
      if ((name === 'Array' || name === 'ReadonlyArray') && args.length === 1) {
        return { type: 'array', items: this.map(args[0], param) };
      }
      if (name === 'Record' && args.length === 2) {
        return { type: 'object', additionalProperties: this.map(args[1], param) };
      }
      const decl = this.named.get(name);
      if (decl && !this.resolving.has(name)) {
        this.resolving.add(name);
        try {
          return ts.isInterfaceDeclaration(decl)
            ? this.members(decl.members, param)
            : this.map(decl.type, param);
        } finally {
          this.resolving.delete(name);
        }
      }
    }
    return fail();
  }

  private union(types: readonly ts.TypeNode[], param: string, whole: ts.TypeNode): JsonSchemaProperty {
    if (types.length === 1) return this.map(types[0], param);
    const literal = this.literals(types, param);
    if (literal) return literal;
    const booleans = types.every(
      (t) =>
        ts.isLiteralTypeNode(t) &&
        (t.literal.kind === ts.SyntaxKind.TrueKeyword || t.literal.kind === ts.SyntaxKind.FalseKeyword),
    );
    if (booleans) return { type: 'boolean' };
    if (types.length === 0) return this.map(whole, param);
    return { anyOf: types.map((t) => this.map(t, param)) };
  }

  /** A union of string (or number) literals becomes an enum; anything else returns undefined. */
  private literals(types: readonly ts.TypeNode[], _param: string): JsonSchemaProperty | undefined {
    const values: (string | number)[] = [];
    for (const t of types) {
      if (!ts.isLiteralTypeNode(t)) return undefined;
      const lit = t.literal;
      if (ts.isStringLiteral(lit) || ts.isNoSubstitutionTemplateLiteral(lit)) values.push(lit.text);
      else if (ts.isNumericLiteral(lit)) values.push(Number(lit.text));
      else if (ts.isPrefixUnaryExpression(lit) && ts.isNumericLiteral(lit.operand))
        values.push(-Number(lit.operand.text));
      else return undefined;
    }
    const kinds = new Set(values.map((v) => typeof v));
    if (kinds.size !== 1) return { enum: values };
    const numeric = kinds.has('number');
    return {
      type: numeric ? (values.every((v) => Number.isInteger(v)) ? 'integer' : 'number') : 'string',
      enum: values,
    };
  }

  private members(members: ts.NodeArray<ts.TypeElement>, param: string): JsonSchemaProperty {
    const properties: Record<string, JsonSchemaProperty> = {};
    const required: string[] = [];
    for (const m of members) {
      if (!ts.isPropertySignature(m) || !m.type) {
        throw new ToolSchemaError(
          'unsupported_type',
          `Parameter '${param}' has an unsupported member '${m.getText(this.file)}'`,
        );
      }
      const key = m.name.getText(this.file).replace(/^['"]|['"]$/g, '');
      const { schema, optional } = this.mapParam(m.type, `${param}.${key}`);
      const doc = ts.getJSDocCommentsAndTags(m).find(ts.isJSDoc);
      const description = doc ? ts.getTextOfJSDocComment(doc.comment)?.trim() : undefined;
      properties[key] = description ? { ...schema, description } : schema;
      if (!m.questionToken && !optional) required.push(key);
    }
    return { type: 'object', properties, required };
  }

  private isNullish(t: ts.TypeNode): boolean {
    return (
      t.kind === ts.SyntaxKind.UndefinedKeyword ||
      (ts.isLiteralTypeNode(t) && t.literal.kind === ts.SyntaxKind.NullKeyword)
    );
  }
}
