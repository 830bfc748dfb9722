import { Type } from '@sinclair/typebox';

/**
 * The field rules of API.md as schemas. Free text is trimmed and checked by service-kit's text rules
 * before the schema sees it (the routes' `textFields`), so each rule reads as plainly as API.md
 * states it: a name of spaces is an empty name, and surrounding spaces never count against a length.
 */
export const Name = Type.String({
  minLength: 1,
  maxLength: 50,
  description: '1-50 characters, trimmed; one line without control characters, not only invisible ones',
});
export const UserName = Type.String({
  minLength: 3,
  maxLength: 30,
  pattern: '^[A-Za-z0-9._]+$',
  description: '3-30 of A-Z, a-z, 0-9, "." and "_", trimmed; unique case-insensitively',
});
export const Email = Type.String({
  format: 'email',
  maxLength: 254,
  description: 'an email address, trimmed; unique case-insensitively',
});
export const PhoneNo = Type.String({
  pattern: '^\\+?[0-9]{7,15}$',
  description: '7-15 digits with an optional leading "+"; unique',
});
export const Password = Type.String({ minLength: 8, maxLength: 128, description: '8-128 characters' });
export const Bio = Type.String({
  maxLength: 150,
  description: '0-150 characters, trimmed; no control characters but tabs and line breaks',
});
export const ProfilePic = Type.String({
  format: 'uri',
  pattern: '^https?://',
  maxLength: 2048,
  description: 'an http(s) URL, at most 2048 characters',
});
