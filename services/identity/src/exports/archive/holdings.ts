import type { DomainEvent, PayloadOfType } from '@gram/events';

/** An upload of the account: where its original is stored, and in which format. */
export interface Upload {
  originalKey: string;
  format: PayloadOfType<'MediaUploaded'>['format'];
}

/**
 * What the account has made, by id, noted from its events while events.jsonl is written, so that one pass over
 * the log serves the whole archive: the lists after it fold the stream of each id to learn what still stands.
 * Ids only, a few dozen bytes per post or like, where the items themselves (captions) could be megabytes.
 */
export class AccountHoldings {
  readonly posts = new Set<string>();
  readonly comments = new Set<string>();
  readonly replies = new Set<string>();
  /** the posts the account liked at least once */
  readonly likedPosts = new Set<string>();
  /** the accounts it followed at least once */
  readonly followees = new Set<string>();
  /** media id → its upload */
  readonly uploads = new Map<string, Upload>();

  /** Notes what one of the account's events made. */
  note(event: DomainEvent): void {
    switch (event.type) {
      case 'PostCreated':
        this.posts.add(event.data.postId);
        break;
      case 'CommentAdded':
        this.comments.add(event.data.commentId);
        break;
      case 'ReplyAdded':
        this.replies.add(event.data.replyId);
        break;
      case 'PostLiked':
        this.likedPosts.add(event.data.postId);
        break;
      case 'UserFollowed':
        this.followees.add(event.data.followeeId);
        break;
      case 'MediaUploaded':
        this.uploads.set(event.data.mediaId, {
          originalKey: event.data.original.key,
          format: event.data.format,
        });
        break;
      default:
        // Every other event ends or changes something noted above, or makes nothing the archive lists.
        break;
    }
  }
}
