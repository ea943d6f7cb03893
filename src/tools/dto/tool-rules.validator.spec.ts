import { toolRulesProblem } from './tool-rules.validator';

describe('tool rule validation', () => {
  it('accepts every Letta rule type in its documented shape', () => {
    expect(
      toolRulesProblem([
        {
          type: 'constrain_child_tools',
          tool_name: 'a',
          children: ['b', 'c'],
          child_arg_nodes: [{ name: 'b', args: { x: 1 } }],
        },
        { type: 'run_first', tool_name: 'a', args: { q: 'x' }, prompt_template: null },
        { type: 'exit_loop', tool_name: 'send_message' },
        {
          type: 'conditional',
          tool_name: 'a',
          child_output_mapping: { true: 'b' },
          default_child: 'c',
          require_output_mapping: false,
        },
        { type: 'continue_loop', tool_name: 'a' },
        { type: 'required_before_exit', tool_name: 'a' },
        { type: 'max_count_per_step', tool_name: 'a', max_count_limit: 2 },
        { type: 'parent_last_tool', tool_name: 'a', children: ['b'] },
        { type: 'requires_approval', tool_name: 'deploy' },
      ]),
    ).toBeUndefined();
    expect(toolRulesProblem(null)).toBeUndefined();
    expect(toolRulesProblem([])).toBeUndefined();
  });

  it.each([
    [[{ tool_name: 'a' }], /tool_rules\[0\]\.type must be one of/],
    [[{ type: 'nope', tool_name: 'a' }], /type must be one of/],
    [[{ type: 'exit_loop' }], /tool_rules\[0\]\.tool_name is required/],
    [[{ type: 'exit_loop', tool_name: 'has space' }], /tool_name must be a tool name/],
    [
      [
        { type: 'exit_loop', tool_name: 'a' },
        { type: 'constrain_child_tools', tool_name: 'a' },
      ],
      /tool_rules\[1\]\.children/,
    ],
    [[{ type: 'constrain_child_tools', tool_name: 'a', children: ['ok', 3] }], /children contains 3/],
    [[{ type: 'max_count_per_step', tool_name: 'a', max_count_limit: 0 }], /max_count_limit/],
    [[{ type: 'conditional', tool_name: 'a' }], /child_output_mapping must be an object/],
    [[{ type: 'conditional', tool_name: 'a', child_output_mapping: { x: 1 } }], /child_output_mapping\.x/],
    [[{ type: 'run_first', tool_name: 'a', args: [1] }], /args must be an object/],
    [[{ type: 'exit_loop', tool_name: 'a', children: ['b'] }], /children is not a field of a exit_loop rule/],
  ])('reports %j', (rules, problem) => {
    expect(toolRulesProblem(rules)).toMatch(problem);
  });
});
