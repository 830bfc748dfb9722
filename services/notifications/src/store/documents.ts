/*
 * The documents the notifications read model keeps. Each event writes the document of its own stream (an account,
 * a post, a comment, a reply, an edge between two accounts or an account and a post) guarded by that stream's
 * revision, so a redelivered event changes nothing; the notifications are then reconciled from those documents as
 * stored, never from the event alone, so events of different streams meet at the same state in any order.
 */

/** Every document: `_id` is its key, `rev` the revision of its stream last applied. */
export interface StreamDoc {
  _id: string;
  rev: number;
}

/** An account as notifications show it (UserSummary), or the tombstone of a deleted one (no personal fields). */
export interface AccountDoc extends StreamDoc {
  userName: string;
  name: string;
  profilePic: string;
  isPrivate: boolean;
  deleted: boolean;
}

export interface PostDoc extends StreamDoc {
  authorId: string;
  photo: string;
  /** the accounts its caption mentions */
  mentions: string[];
  /** when the caption that mentions them was written */
  mentionedAt: string;
  deleted: boolean;
}

/** A comment, remembered for the replies that reach its author (a reply may arrive before its comment). */
export interface CommentDoc extends StreamDoc {
  postId: string;
  authorId: string;
  deleted: boolean;
}

/** A reply, remembered until its comment is known: who the comment's author is decides one of its recipients. */
export interface ReplyDoc extends StreamDoc {
  commentId: string;
  postId: string;
  postAuthorId: string;
  authorId: string;
  text: string;
  mentions: string[];
  at: string;
  deleted: boolean;
}

/**
 * The state of one relation stream: a like (`like-<postId>_<userId>`), a follow, a mute or a block. `from` is the
 * one who acts (liker, follower, muter, blocker), `to` the account or post it acts on.
 */
export interface EdgeDoc extends StreamDoc {
  kind: 'like' | 'follow' | 'mute' | 'block';
  from: string;
  to: string;
  /** like, mute, block: `on` or `off`; follow: `none`, `requested` or `following` */
  state: 'on' | 'off' | 'none' | 'requested' | 'following';
  /** when the current state began */
  at: string;
  /** like: the post's author, who is notified */
  postAuthorId?: string;
  /** follow: when its pending request was accepted, while the follow it started lasts */
  acceptedAt?: string;
  /** follow: the `follow` notification it joined (see FollowGrouping) */
  group?: string;
}

export type NotificationType =
  | 'like'
  | 'comment'
  | 'reply'
  | 'mention'
  | 'follow'
  | 'follow_request'
  | 'follow_accepted';

/**
 * One notification of one recipient. `_id` is a UUID derived from (recipient, key), the key saying what the
 * notification groups (`like:<postId>`, `comment:<commentId>`, ...): the same event applied twice finds the same
 * document. `actors` maps each actor to the time of its act; who of them is shown is decided when read (mutes,
 * blocks and deletions change it), so this document never depends on the order relations arrived in.
 */
export interface NotificationDoc {
  _id: string;
  recipient: string;
  key: string;
  type: NotificationType;
  actors: Record<string, string>;
  /** the keys of `actors`, for finding an actor's notifications */
  actorIds: string[];
  postId?: string;
  /** the author of `postId`: whether the recipient may read the post is decided on it */
  postAuthorId?: string;
  /** the comment it is about, or the comment a reply it is about is under */
  commentId?: string;
  replyId?: string;
  /** the text of the comment or reply it is about */
  text?: string;
  createdAt: string;
  updatedAt: string;
}

/** An account's read marker and its newest `follow` notification. */
export interface MarkDoc {
  _id: string;
  /** every notification updated at or before this is read */
  readUpTo?: string;
  /** the key of the newest `follow` notification, which new follows join while it is unread */
  followGroup?: string;
}
