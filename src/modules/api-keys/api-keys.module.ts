import { Global, Module } from '@nestjs/common';
import { API_KEY_AUTHENTICATOR } from '../../shared/auth/auth.ports';
import { AuditModule } from '../audit/audit.module';
import { ApiKeyAuthenticatorService } from './api-key-authenticator.service';
import { ApiKeysController } from './api-keys.controller';
import { PlatformKeysController } from './platform-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';

/** Global because authentication (shared/auth) checks keys through API_KEY_AUTHENTICATOR. */
@Global()
@Module({
  imports: [AuditModule],
  controllers: [ApiKeysController, PlatformKeysController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyAuthenticatorService,
    { provide: API_KEY_AUTHENTICATOR, useExisting: ApiKeyAuthenticatorService },
  ],
  exports: [API_KEY_AUTHENTICATOR, ApiKeysService],
})
export class ApiKeysModule {}
