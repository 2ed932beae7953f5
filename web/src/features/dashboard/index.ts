export { TableStatusGrid } from './components/table-status';
