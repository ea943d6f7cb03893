import { compileSystemPrompt } from './prompt';

describe('compileSystemPrompt', () => {
  const input = {
    system: 'Be kind.\n{CORE_MEMORY}\nEnd.',
    blocks: [
      { label: 'persona', value: 'I am Sam', limit: 5000, description: 'Who I am', readOnly: true },
      { label: 'human', value: '', limit: 200, updatedAt: new Date('2025-01-02T03:04:05Z') },
    ],
    now: new Date('2025-06-01T15:30:00Z'),
    timezone: 'America/New_York',
    recallMessageCount: 12,
    archivalPassageCount: 3,
    archiveTags: ['work', 'home'],
  };

  it('renders blocks with label, description, counts, read-only flag and value', () => {
    const out = compileSystemPrompt(input);
    expect(out.startsWith('Be kind.\n<memory_blocks>')).toBe(true);
    expect(out.endsWith('</memory_metadata>\nEnd.')).toBe(true);
    expect(out).toContain(
      '<persona>\n<description>\nWho I am\n</description>\n<metadata>\n- read_only=true\n- chars_current=8\n- chars_limit=5000\n</metadata>\n<value>\nI am Sam\n</value>\n</persona>',
    );
    expect(out).toContain('<human>\n<metadata>\n- chars_current=0\n- chars_limit=200');
  });

  it('renders metadata in the agent timezone', () => {
    const out = compileSystemPrompt(input);
    expect(out).toContain('- Current date and time: 2025-06-01 11:30:00 AM EDT');
    expect(out).toContain('- Core memory last edited: 2025-01-01 10:04:05 PM EST');
    expect(out).toContain('12 earlier message(s)');
    expect(out).toContain('3 passage(s)');
    expect(out).toContain('tags in use: work, home');
  });

  it('appends memory when there is no placeholder, and is fast', () => {
    expect(compileSystemPrompt({ ...input, system: 'Plain.' }).startsWith('Plain.\n\n<memory_blocks>')).toBe(
      true,
    );
    const t = performance.now();
    for (let i = 0; i < 2000; i++) compileSystemPrompt(input);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
