import { NotFound } from '../../queries/paging.js';
import type { ProfileView, UserSummaryView } from '../../queries/views.js';
import type { Doc, DocumentStore } from '../../store/document-store.js';
import { isFollowing } from '../follows/queries.js';
import { isLiveUser, liveUserNamed, type UserDocument } from './documents.js';

export async function profile(
  documents: DocumentStore,
  userId: string,
  viewerId?: string,
): Promise<ProfileView> {
  const user = await documents.get('users', userId);
  if (!isLiveUser(user)) throw new NotFound(`no user ${userId}`);
  return profileView(documents, user as UserDocument, viewerId);
}

export async function profileByUserName(
  documents: DocumentStore,
  userName: string,
  viewerId?: string,
): Promise<ProfileView> {
  const user = await documents.findOne('users', liveUserNamed(userName));
  if (!user) throw new NotFound(`no user named ${userName}`);
  return profileView(documents, user as UserDocument, viewerId);
}

/** Summaries of the live accounts among `ids`; an account not projected yet or deleted is left out. */
export async function summaries(
  documents: DocumentStore,
  ids: string[],
): Promise<Map<string, UserSummaryView>> {
  const users = await documents.getMany('users', [...new Set(ids)]);
  return new Map(users.filter(isLiveUser).map((user) => [user.id, summaryOf(user as UserDocument)]));
}

/** The summaries of the accounts `field` names in each of `edges`, in their order, the unknown left out. */
export async function summariesOf(
  documents: DocumentStore,
  edges: readonly Doc[],
  field: string,
): Promise<UserSummaryView[]> {
  const users = await summaries(
    documents,
    edges.map((edge) => edge[field] as string),
  );
  return edges.flatMap((edge) => {
    const user = users.get(edge[field] as string);
    return user ? [user] : [];
  });
}

function summaryOf(user: UserDocument): UserSummaryView {
  return { id: user.id, userName: user.userName, name: user.name, profilePic: user.profilePic };
}

async function profileView(
  documents: DocumentStore,
  user: UserDocument,
  viewerId?: string,
): Promise<ProfileView> {
  const view: ProfileView = {
    ...summaryOf(user),
    bio: user.bio,
    followersCount: user.followersCount ?? 0,
    followingCount: user.followingCount ?? 0,
    postCount: user.postCount ?? 0,
    createdAt: user.createdAt,
  };
  if (viewerId !== undefined) view.followedByMe = await isFollowing(documents, viewerId, user.id);
  return view;
}
