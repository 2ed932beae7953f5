export { ScheduleEditor } from './components/schedule-editor';
export { SchedulesList } from './components/schedules-list';
