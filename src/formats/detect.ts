import { dockerJsonFormat } from './docker-json.js';
import { type InputFormat, type LineFormat, RFC3339 } from './format.js';
import { criFormat, timestampedFormat } from './prefixed.js';
import { rawFormat } from './raw.js';

const DOCKER_JSON = /^\{"log":"/;
const CRI = new RegExp(`^${RFC3339} (?:stdout|stderr) [PF]`);
const TIMESTAMPED = new RegExp(`^${RFC3339} `);

export function createFormat(name: InputFormat): LineFormat {
  switch (name) {
    case 'docker-json':
      return dockerJsonFormat();
    case 'cri':
      return criFormat();
    case 'timestamped':
      return timestampedFormat();
    case 'raw':
      return rawFormat();
  }
}

/**
 * Guesses a stream's format from its first line. A timestamped guess is
 * safe for plain logs that start with a time of their own: that format
 * matches the whole line too when the part after the time names no PID.
 */
export function detectFormat(firstLine: string): InputFormat {
  if (DOCKER_JSON.test(firstLine)) return 'docker-json';
  if (CRI.test(firstLine)) return 'cri';
  if (TIMESTAMPED.test(firstLine)) return 'timestamped';
  return 'raw';
}
