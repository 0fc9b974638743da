import { defineErrors } from '../../shared/errors/app-error';

export type EventsErrorCode = 'CHANGES_PRUNED';

export const eventsError = defineErrors<EventsErrorCode>({
  CHANGES_PRUNED: 410,
});
