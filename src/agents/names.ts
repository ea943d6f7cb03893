import { randomInt } from 'node:crypto';

const ADJECTIVES = [
  'amber',
  'brisk',
  'calm',
  'clever',
  'curious',
  'daring',
  'eager',
  'gentle',
  'keen',
  'lucid',
  'mellow',
  'nimble',
  'patient',
  'quiet',
  'rapid',
  'steady',
  'sunny',
  'swift',
  'vivid',
  'witty',
];
const NOUNS = [
  'badger',
  'beacon',
  'comet',
  'falcon',
  'fern',
  'harbor',
  'heron',
  'lantern',
  'maple',
  'meadow',
  'otter',
  'owl',
  'pine',
  'quill',
  'raven',
  'river',
  'sparrow',
  'summit',
  'willow',
  'wren',
];

/** A readable default name for an agent created without one, like Letta's. */
export function randomAgentName(): string {
  return `${ADJECTIVES[randomInt(ADJECTIVES.length)]}-${NOUNS[randomInt(NOUNS.length)]}-${randomInt(1000, 10000)}`;
}
