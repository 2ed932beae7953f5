export { TablesList } from './components/tables-list';
export { TablePage } from './components/table-page';
