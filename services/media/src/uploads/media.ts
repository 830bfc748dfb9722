import type { EventOfType, PayloadOfType } from '@gram/events';
import { assertNever, type Decider, DomainError } from '@gram/service-kit';

export type MediaEvent = EventOfType<'MediaUploaded'> | EventOfType<'MediaErased'>;
export type MediaUpload = PayloadOfType<'MediaUploaded'>;

export type MediaCommand =
  /** An upload whose files are stored: recording it is what makes it exist. */
  | { type: 'RecordUpload'; data: MediaUpload }
  /** The upload's files are gone from the storage (its uploader's account is being deleted): record it. */
  | { type: 'EraseMedia'; data: { mediaId: string; erasedAt: string } };

export type MediaState =
  | { status: 'none' }
  | { status: 'uploaded'; upload: MediaUpload }
  | { status: 'erased'; mediaId: string; erasedAt: string };

export type MediaErrorCode = 'MediaAlreadyUploaded';
export type MediaError = DomainError<MediaErrorCode>;

export const initialMediaState = (): MediaState => ({ status: 'none' });

export function evolveMedia(_state: MediaState, event: MediaEvent): MediaState {
  switch (event.type) {
    case 'MediaUploaded':
      return { status: 'uploaded', upload: event.data };
    case 'MediaErased':
      return { status: 'erased', mediaId: event.data.mediaId, erasedAt: event.data.erasedAt };
    default:
      return assertNever(event);
  }
}

export function decideMedia(command: MediaCommand, state: MediaState): readonly MediaEvent[] | MediaError {
  switch (command.type) {
    case 'RecordUpload':
      // The bytes behind a media's URLs never change (they are cached as immutable): a media id is
      // recorded once, and a second upload under the same id is refused rather than replacing it, even
      // once its files were erased.
      if (state.status !== 'none') {
        return new DomainError('MediaAlreadyUploaded', `media ${command.data.mediaId} already exists`);
      }
      return [{ type: 'MediaUploaded', data: command.data }];
    case 'EraseMedia':
      // The erasure of an account is retried whole until it succeeds: an upload erased already, or one never
      // recorded, has nothing left to erase, and the erasure must not stop on it.
      if (state.status !== 'uploaded') return [];
      return [
        {
          type: 'MediaErased',
          data: {
            mediaId: state.upload.mediaId,
            uploaderId: state.upload.uploaderId,
            erasedAt: command.data.erasedAt,
          },
        },
      ];
    default:
      return assertNever(command);
  }
}

export const mediaDecider: Decider<MediaCommand, MediaState, MediaEvent, MediaError> = {
  initialState: initialMediaState,
  evolve: evolveMedia,
  decide: decideMedia,
};
