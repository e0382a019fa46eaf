import type { Command } from 'commander';
import { buildProgram } from '../../../bin/cli/main';
import { clip } from '../../../bin/local/output';

function allCommands(command: Command, path: string[] = []): [string, Command][] {
  const here: [string, Command][] = [[[...path, command.name()].join(' '), command]];
  return here.concat(...command.commands.map((c) => allCommands(c, [...path, command.name()])));
}

const io = { out: () => undefined, err: () => undefined, isTTY: false };
const commands = allCommands(buildProgram(io));

describe('every --help says what a person needs', () => {
  it.each(commands)('%s', (_name, command) => {
    const help = command.helpInformation();
    expect(help).not.toContain('(default: [])');
    expect(help).not.toMatch(/\(default: \[/);
    expect(help).not.toMatch(/\bissue[ -]\d/i);
    for (const option of command.options) {
      // A duration flag shows its default as a duration (3m), never as milliseconds.
      if (/<duration>/.test(option.flags) && option.defaultValue !== undefined)
        expect(option.defaultValueDescription ?? '').toMatch(/^\d+(\.\d+)?(ms|s|m|h|d|w)$/);
    }
  });
});

describe('clip', () => {
  it.each([
    ['short text stays whole', 40, 'short text stays whole'],
    ['the shadow pool scale-out was refused by the service quota', 30, 'the shadow pool scale-out was…'],
    [
      'PlanRejectedError: there is no shadow pool to return from',
      40,
      'PlanRejectedError: there is no shadow…',
    ],
  ])('%s (%i)', (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(max);
  });
});
