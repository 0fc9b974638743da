// The package exports `./contrib/*` through its exports map, which `moduleResolution: node`
// (needed for CommonJS NestJS) does not read; this declares the one extension we load.
declare module '@electric-sql/pglite/contrib/pgcrypto' {
  import type { Extension } from '@electric-sql/pglite';
  export const pgcrypto: Extension;
}
