// GraphQL Code Generator, with the configuration docs/clients.md shows, on
// the operations of README.md and docs/clients.md: it generates, what it
// writes type-checks, and DateTime comes out as `string`.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generate } from '@graphql-codegen/cli';
import { parse, printSchema } from 'graphql';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../src/schema/index.js';

const REPO = resolve(import.meta.dirname, '..');

/** The ```graphql blocks of a Markdown file. */
async function graphqlBlocks(file: string): Promise<string[]> {
  const text = await readFile(join(REPO, file), 'utf8');
  return [...text.matchAll(/^```graphql\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/** The scalar mapping docs/clients.md gives, read from its codegen.ts block so that the two cannot drift apart. */
async function documentedScalars(): Promise<unknown> {
  const text = await readFile(join(REPO, 'docs/clients.md'), 'utf8');
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(text)?.[1] ?? '';
  const scalars = /scalars: (\{.*\}),\n/.exec(block)?.[1];
  if (!scalars) throw new Error('docs/clients.md shows no codegen `scalars` setting');
  return Function(`return (${scalars});`)();
}

describe('GraphQL Code Generator on the documented operations', () => {
  let dir: string;
  let documents: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gateway-codegen-'));
    documents = [...(await graphqlBlocks('README.md')), ...(await graphqlBlocks('docs/clients.md'))];
    // Anonymous operations (the README's examples) get names: the client preset types operations by name.
    let anonymous = 0;
    const named = documents.map((doc) =>
      doc.replace(
        /^(\s*)(query|mutation)?\s*([({])/,
        (_all, space, kind = 'query', brace) => `${space}${kind} Readme${++anonymous} ${brace === '(' ? '(' : '{'}`,
      ),
    );
    await writeFile(join(dir, 'schema.graphql'), printSchema(schema));
    await writeFile(join(dir, 'operations.graphql'), named.join('\n'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds the operations in the documentation, each valid GraphQL', () => {
    expect(documents.length).toBeGreaterThanOrEqual(6);
    for (const doc of documents) expect(() => parse(doc)).not.toThrow();
  });

  it('generates types that compile, with DateTime as string', { timeout: 120_000 }, async () => {
    await generate(
      {
        schema: join(dir, 'schema.graphql'),
        documents: join(dir, 'operations.graphql'),
        silent: true,
        generates: {
          [join(dir, 'gql/')]: {
            preset: 'client',
            config: { scalars: (await documentedScalars()) as Record<string, string>, enumsAsTypes: true },
            presetConfig: { persistedDocuments: true },
          },
        },
      },
      true,
    );
    // Compile-time checks: the operations' DateTime fields are exactly string (not any, not unknown).
    await writeFile(
      join(dir, 'check.ts'),
      `import type { AddMemberMutation, MemberPageQuery } from './gql/graphql';
type IsAny<T> = 0 extends 1 & T ? true : false;
type IsExactlyString<T> = IsAny<T> extends true ? false : [T] extends [string] ? ([string] extends [T] ? true : false) : false;
export const added: IsExactlyString<AddMemberMutation['addOrganizationMember']['createdAt']> = true;
type Edge = NonNullable<NonNullable<MemberPageQuery['organization']>['members']>['edges'][number];
export const createdAt: IsExactlyString<Edge['node']['createdAt']> = true;
`,
    );
    const program = ts.createProgram([join(dir, 'check.ts'), join(dir, 'gql/index.ts')], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      typeRoots: [join(REPO, 'node_modules/@types')],
      baseUrl: REPO,
      paths: { '*': [join(REPO, 'node_modules/*')] },
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
    const persisted = JSON.parse(await readFile(join(dir, 'gql/persisted-documents.json'), 'utf8'));
    expect(Object.keys(persisted).length).toBe(documents.length);
  });
});
