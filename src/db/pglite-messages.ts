// What the serving thread and the embedded database's thread (pglite-thread.ts) say to each other.
import type { MessagePort } from 'node:worker_threads';
import type { RowMode } from '@electric-sql/pglite';

/** What the database's thread is started with. */
export interface DatabaseThreadData {
  dataDir: string;
  startParams: string[];
}

/** A call of PGlite's API; `tx` names an open transaction to run it in. */
export type ToDatabaseThread = { id: number } & (
  | {
      op: 'query';
      text: string;
      values: unknown[] | undefined;
      rowMode: RowMode | undefined;
      /** Type ids whose values come back as PostgreSQL's text, for the caller's own parsers. */
      rawTypes: number[];
      tx?: number;
    }
  | { op: 'exec'; text: string; tx?: number }
  | { op: 'begin'; tx?: undefined }
  | { op: 'rollback' | 'end'; tx: number; rollback?: boolean }
  | { op: 'close'; tx?: undefined }
  /** Another thread's line to the database (the heavy-query lane's): its calls are answered as these are. */
  | { op: 'connect'; port: MessagePort; tx?: undefined }
);

/** The answer to the call `id` (0: the thread is ready). */
export interface FromDatabaseThread {
  id: number;
  result?: unknown;
  error?: {
    message: string;
    name?: string;
    /** Whether it was PostgreSQL's error (PGlite's DatabaseError), with its fields. */
    database?: boolean;
    fields: Record<string, unknown>;
  };
}
