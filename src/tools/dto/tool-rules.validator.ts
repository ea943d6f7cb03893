import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';

/** A tool name as a rule refers to it (OpenAI function names). */
const TOOL_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

type Check = (rule: Record<string, unknown>, at: string) => string | undefined;

const str =
  (field: string, optional = false): Check =>
  (r, at) => {
    const v = r[field];
    if (v == null) return optional ? undefined : `${at}.${field} is required`;
    return typeof v === 'string' ? undefined : `${at}.${field} must be a string`;
  };

const toolName =
  (field: string): Check =>
  (r, at) => {
    const v = r[field];
    if (v == null) return `${at}.${field} is required`;
    return typeof v === 'string' && TOOL_NAME.test(v)
      ? undefined
      : `${at}.${field} must be a tool name, got ${JSON.stringify(v)}`;
  };

const toolNames =
  (field: string): Check =>
  (r, at) => {
    const v = r[field];
    if (!Array.isArray(v)) return `${at}.${field} must be an array of tool names`;
    const bad = v.find((n) => typeof n !== 'string' || !TOOL_NAME.test(n));
    return bad === undefined
      ? undefined
      : `${at}.${field} contains ${JSON.stringify(bad)}, which is not a tool name`;
  };

const object =
  (field: string, optional = true): Check =>
  (r, at) => {
    const v = r[field];
    if (v == null) return optional ? undefined : `${at}.${field} is required`;
    return typeof v === 'object' && !Array.isArray(v) ? undefined : `${at}.${field} must be an object`;
  };

const bool =
  (field: string): Check =>
  (r, at) =>
    r[field] == null || typeof r[field] === 'boolean' ? undefined : `${at}.${field} must be a boolean`;

const childArgNodes: Check = (r, at) => {
  const v = r.child_arg_nodes;
  if (v == null) return undefined;
  if (!Array.isArray(v)) return `${at}.child_arg_nodes must be an array`;
  for (const [i, node] of v.entries()) {
    const where = `${at}.child_arg_nodes[${i}]`;
    if (typeof node !== 'object' || node === null) return `${where} must be an object`;
    const problem =
      toolName('name')(node as Record<string, unknown>, where) ??
      object('args')(node as Record<string, unknown>, where);
    if (problem) return problem;
  }
  return undefined;
};

const outputMapping: Check = (r, at) => {
  const v = r.child_output_mapping;
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return `${at}.child_output_mapping must be an object`;
  const bad = Object.entries(v).find(([, name]) => typeof name !== 'string' || !TOOL_NAME.test(name));
  return bad ? `${at}.child_output_mapping.${bad[0]} must be a tool name` : undefined;
};

const maxCount: Check = (r, at) =>
  Number.isInteger(r.max_count_limit) && (r.max_count_limit as number) >= 1
    ? undefined
    : `${at}.max_count_limit must be an integer of at least 1`;

const COMMON = { tool_name: toolName('tool_name'), prompt_template: str('prompt_template', true) };

/** Letta's tool rule types (the `type` discriminator) and the fields each one takes. */
const RULES: Record<string, Record<string, Check>> = {
  constrain_child_tools: { ...COMMON, children: toolNames('children'), child_arg_nodes: childArgNodes },
  run_first: { ...COMMON, args: object('args') },
  exit_loop: COMMON,
  conditional: {
    ...COMMON,
    child_output_mapping: outputMapping,
    default_child: (r, at) => (r.default_child == null ? undefined : toolName('default_child')(r, at)),
    require_output_mapping: bool('require_output_mapping'),
  },
  continue_loop: COMMON,
  required_before_exit: COMMON,
  max_count_per_step: { ...COMMON, max_count_limit: maxCount },
  parent_last_tool: { ...COMMON, children: toolNames('children') },
  requires_approval: COMMON,
};

/** The first problem with a `tool_rules` list, or undefined when every rule is well-formed. */
export function toolRulesProblem(value: unknown, field = 'tool_rules'): string | undefined {
  if (value == null) return undefined;
  if (!Array.isArray(value)) return `${field} must be an array of tool rules`;
  for (const [i, rule] of value.entries()) {
    const at = `${field}[${i}]`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return `${at} must be an object`;
    const r = rule as Record<string, unknown>;
    const fields = typeof r.type === 'string' ? RULES[r.type] : undefined;
    if (!fields) return `${at}.type must be one of ${Object.keys(RULES).join(', ')}`;
    const unknownField = Object.keys(r).find((k) => k !== 'type' && !(k in fields));
    if (unknownField) return `${at}.${unknownField} is not a field of a ${r.type} rule`;
    for (const check of Object.values(fields)) {
      const problem = check(r, at);
      if (problem) return problem;
    }
  }
  return undefined;
}

/** class-validator decorator for `tool_rules` fields: each rule's type and required fields. */
export function IsToolRules(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name: 'isToolRules',
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => toolRulesProblem(value) === undefined,
        defaultMessage: (args: ValidationArguments) => toolRulesProblem(args.value) ?? 'invalid tool_rules',
      },
    });
}
