import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppSettings } from './settings';

export const APP_SETTINGS = Symbol('APP_SETTINGS');

/** Makes the validated settings injectable everywhere as `@Inject(APP_SETTINGS)`. */
@Global()
@Module({})
export class SettingsModule {
  static forRoot(settings: AppSettings): DynamicModule {
    return {
      module: SettingsModule,
      providers: [{ provide: APP_SETTINGS, useValue: settings }],
      exports: [APP_SETTINGS],
    };
  }
}
