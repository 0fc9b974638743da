import { Module } from '@nestjs/common';
import { SecretBox } from './secret-box';

/** Encryption of component secrets at rest; imported by the modules that seal or open them. */
@Module({ providers: [SecretBox], exports: [SecretBox] })
export class SecretsModule {}
