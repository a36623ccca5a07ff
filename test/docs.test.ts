// The documentation keeps up with the code: docs/development.md's layout tree
// lists every file of src/ and nothing that is gone, the README's
// configuration lists every setting src/config.ts reads, every relative
// link in README.md and docs/ reaches a file, and every GraphQL document they
// show passes the default limits.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/config.js';
import { HEAVY_COST } from '../src/limits/admission.js';
import { costOf } from './support/cost.js';

const REPO = resolve(import.meta.dirname, '..');
const read = (path: string) => readFile(join(REPO, path), 'utf8');

async function filesUnder(dir: string, skip: string[] = []): Promise<string[]> {
  const entries = await readdir(join(REPO, dir), { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(REPO, join(entry.parentPath, entry.name)))
    .filter((path) => !skip.some((prefix) => path.startsWith(prefix)))
    .sort();
}

/** The paths of the layout tree: two spaces per level, folders end in `/`, a description after the name. */
function treePaths(markdown: string): string[] {
  const start = markdown.indexOf('\n## Layout\n');
  const block = /```text\n([\s\S]*?)\n```/.exec(markdown.slice(start))?.[1];
  if (start < 0 || block === undefined) throw new Error('docs/development.md has no "## Layout" tree');
  const folders: string[] = [];
  const paths: string[] = [];
  for (const line of block.split('\n')) {
    const match = /^( *)(\S+)/.exec(line);
    if (!match) continue;
    const depth = match[1]!.length / 2;
    const name = match[2]!;
    if (!Number.isInteger(depth) || depth > folders.length) throw new Error(`layout tree: bad indent: ${line}`);
    folders.length = depth;
    if (name.endsWith('/')) folders.push(name);
    else paths.push(folders.join('') + name);
  }
  return paths.sort();
}

describe('the documentation', () => {
  it("docs/development.md's layout tree lists every file of src/ and only files that exist", async () => {
    const listed = treePaths(await read('docs/development.md'));
    const sources = await filesUnder('src', ['src/generated/']);
    expect(
      sources.filter((path) => !listed.includes(path)),
      'files missing from the tree',
    ).toEqual([]);
    expect(
      listed.filter((path) => !existsSync(join(REPO, path))),
      'listed files that do not exist',
    ).toEqual([]);
  });

  it("the README's configuration has a line for every setting src/config.ts reads", async () => {
    const config = await read('src/config.ts');
    const schema = /const settings = z\.object\(\{([\s\S]*?)\n\}\);/.exec(config)?.[1];
    if (!schema) throw new Error('src/config.ts: no `settings` object found');
    const settings = [...schema.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!);
    expect(settings.length).toBeGreaterThan(20);
    const readme = await read('README.md');
    const start = readme.indexOf('\n## Configuration\n');
    const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    for (const setting of settings)
      expect(
        rows.filter((row) => row.startsWith(`| \`${setting}\` |`)),
        `${setting}: one line in the README`,
      ).toHaveLength(1);
  });

  it('every relative link in README.md and docs/ points to an existing file', async () => {
    const pages = ['README.md', ...(await filesUnder('docs')).filter((path) => path.endsWith('.md'))];
    const broken: string[] = [];
    for (const page of pages) {
      const text = (await read(page)).replace(/^```[\s\S]*?^```$/gm, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = decodeURIComponent(target!.split('#')[0]!);
        if (!existsSync(resolve(REPO, dirname(page), path))) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
  // A reader copies these: none may be refused for its cost, and the README's tour stays a light read.
  it('prices every GraphQL document of README.md and docs/ within the default limits', async () => {
    const files = ['README.md', ...(await filesUnder('docs')).filter((path) => path.endsWith('.md'))];
    // The values of the variables the documents declare (a document with another variable fails here, by name).
    const variables = { organization: 'default', user: 'alice', after: null, role: { name: 'reviewer' } };
    let documents = 0;
    for (const file of files) {
      for (const [, document] of (await read(file)).matchAll(/```graphql\n([\s\S]*?)```/g)) {
        documents++;
        const cost = costOf(document!, variables);
        expect(cost, `${file}: ${document}`).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
        if (file === 'README.md') expect(cost, document).toBeLessThan(HEAVY_COST);
      }
    }
    expect(documents).toBeGreaterThanOrEqual(9);
  });
});
