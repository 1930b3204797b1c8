import { createContext, useContext } from 'react';
import { browserTimeZone } from '../api';

/** Whether the browser may show notifications: 'unsupported' where it has no Notification API. */
export type NotificationState = NotificationPermission | 'unsupported';

/** What the task views need from the page: the user's stored time zone, and notification permission. */
export interface TasksSettings {
  /** The IANA zone reminders are entered and shown in (the user's, from /api/settings). */
  timeZone: string;
  notifications: NotificationState;
  /** Asks the browser for permission: call only from a user's click. */
  requestNotifications(): void;
}

export const TasksContext = createContext<TasksSettings>({
  timeZone: browserTimeZone() ?? 'UTC',
  notifications: 'unsupported',
  requestNotifications: () => {},
});

export const useTasksSettings = () => useContext(TasksContext);
