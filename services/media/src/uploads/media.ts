import type { EventOfType, PayloadOfType } from '@gram/events';
import { assertNever, type Decider, DomainError } from '@gram/service-kit';

export type MediaEvent = EventOfType<'MediaUploaded'>;
export type MediaUpload = PayloadOfType<'MediaUploaded'>;

/** An upload whose files are stored: recording it is what makes it exist. */
export type MediaCommand = { type: 'RecordUpload'; data: MediaUpload };

export type MediaState = { status: 'none' } | { status: 'uploaded'; upload: MediaUpload };

export type MediaErrorCode = 'MediaAlreadyUploaded';
export type MediaError = DomainError<MediaErrorCode>;

export const initialMediaState = (): MediaState => ({ status: 'none' });

export function evolveMedia(_state: MediaState, event: MediaEvent): MediaState {
  switch (event.type) {
    case 'MediaUploaded':
      return { status: 'uploaded', upload: event.data };
    default:
      return assertNever(event.type);
  }
}

export function decideMedia(command: MediaCommand, state: MediaState): readonly MediaEvent[] | MediaError {
  switch (command.type) {
    case 'RecordUpload':
      // The bytes behind a media's URLs never change (they are cached as immutable): a media id is
      // recorded once, and a second upload under the same id is refused rather than replacing it.
      if (state.status === 'uploaded') {
        return new DomainError('MediaAlreadyUploaded', `media ${command.data.mediaId} already exists`);
      }
      return [{ type: 'MediaUploaded', data: command.data }];
    default:
      return assertNever(command.type);
  }
}

export const mediaDecider: Decider<MediaCommand, MediaState, MediaEvent, MediaError> = {
  initialState: initialMediaState,
  evolve: evolveMedia,
  decide: decideMedia,
};
