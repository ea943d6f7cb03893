/**
 * The file tools an agent gets with its first folder (Letta's `letta_files_core` tools): their
 * names, descriptions and JSON schemas, as Letta declares them.
 */
export const FILE_TOOL_TYPE = 'letta_files_core';

export const FILE_TOOL_SPECS = [
  {
    name: 'open_files',
    description:
      'Open one or more files and load their contents into the files section of core memory. ' +
      'Opening more files than the limit closes the least recently used ones. Give `offset` and ' +
      '`length` to view a range of lines; omit them to see the whole file (up to the view window).',
    parameters: {
      type: 'object',
      properties: {
        file_requests: {
          type: 'array',
          description: 'The files to open, each with an optional view range',
          items: {
            type: 'object',
            properties: {
              file_name: { type: 'string', description: 'The file as listed in <directories>: folder/file' },
              offset: { type: 'integer', description: 'Lines to skip (0 = from the first line)' },
              length: { type: 'integer', description: 'How many lines to view' },
            },
            required: ['file_name'],
          },
        },
        close_all_others: {
          type: 'boolean',
          description: 'Close every other open file first (default false)',
        },
      },
      required: ['file_requests'],
    },
  },
  {
    name: 'grep_files',
    description:
      'Search the contents of the files of your folders for a pattern (a keyword or a regular ' +
      'expression) and show matching lines with surrounding context and line numbers. Results ' +
      'come 20 matches at a time; use `offset` for the next page.',
    parameters: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'Keyword or regex pattern to search within file contents' },
        include: { type: 'string', description: 'Keyword or regex pattern the file names must match' },
        context_lines: {
          type: 'integer',
          description: 'Lines of context before and after each match (default 1)',
        },
        offset: { type: 'integer', description: 'Matches to skip (for the next page: 20, 40, ...)' },
      },
      required: ['pattern'],
    },
  },
  {
    name: 'semantic_search_files',
    description:
      'Search the contents of the files of your folders by meaning rather than exact words; answers ' +
      'the best matching passages with their file and line numbers.',
    parameters: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to look for' },
        limit: { type: 'integer', description: 'Most passages to return (default 5)' },
      },
      required: ['query'],
    },
  },
] as const;

export const FILE_TOOL_NAMES: readonly string[] = FILE_TOOL_SPECS.map((s) => s.name);
