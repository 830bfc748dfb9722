import { describe } from 'vitest';
import { notificationRules } from '../../test/rules.js';
import { memoryNotificationStore } from '../store/memory.js';

describe('notifications on the memory store', () => {
  notificationRules(async () => memoryNotificationStore());
});
