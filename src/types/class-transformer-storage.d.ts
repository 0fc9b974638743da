/** class-transformer's metadata storage, at the path its CommonJS build keeps it (its types sit elsewhere). */
declare module 'class-transformer/cjs/storage' {
  export { defaultMetadataStorage } from 'class-transformer/types/storage';
}
